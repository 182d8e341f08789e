// The word-problem scenarios of `dusk data synth math`, as data: for each scenario the opening sentence, one
// question sentence and one worked-answer sentence per operation (GSM8K style, with the `<<a+b=c>>` annotation),
// and the final question. Placeholders: {name} {he} {him} {his} {He} {His} {himself} (the person), {a} (the first
// number), {n} (this step's number), {v} (the running value before the step), {r} (after it), {ord} and {prev}
// (ordinals of this and the previous day), {last} (ordinal of the last day), {fraction} ("half", "a third", …),
// {item} (a plural noun), {friend}, {chore}, {purchase}, {relative}.

/** The four operations, as GSM8K's annotations spell them. */
export type MathOp = "+" | "-" | "*" | "/";

/** The sentences of one operation: variants of the question sentence and of the worked-answer sentence. */
export interface OpTemplates {
  readonly question: readonly string[];
  readonly answer: readonly string[];
}

/** One scenario: an opening, per-operation sentences and the final question. */
export interface MathScenario {
  readonly id: string;
  readonly start: readonly string[];
  readonly ops: Readonly<Record<MathOp, OpTemplates>>;
  readonly ask: readonly string[];
}

/** Annotated worked-answer arithmetic for an operation: "{v} + {n} = <<{v}+{n}={r}>>{r}" (with a unit prefix like "$"). */
export function calc(op: MathOp, prefix = ""): string {
  return `{v} ${op} {n} = ${prefix}<<{v}${op}{n}={r}>>{r}`;
}

export const MATH_SCENARIOS: readonly MathScenario[] = [
  {
    id: "travel",
    start: ["On the first day of a cycling trip, {name} rides {a} kilometers.", "{name} goes on a cycling trip and rides {a} kilometers on the first day."],
    ops: {
      "+": { question: ["On the {ord} day {he} rides {n} kilometers more than on the {prev} day."], answer: [`On the {ord} day {he} rides ${calc("+")} kilometers.`] },
      "-": { question: ["On the {ord} day {he} rides {n} kilometers less than on the {prev} day."], answer: [`On the {ord} day {he} rides ${calc("-")} kilometers.`] },
      "*": { question: ["On the {ord} day {he} rides {n} times as far as on the {prev} day."], answer: [`On the {ord} day {he} rides ${calc("*")} kilometers.`] },
      "/": { question: ["On the {ord} day {he} rides {fraction} as far as on the {prev} day."], answer: [`On the {ord} day {he} rides ${calc("/")} kilometers.`] },
    },
    ask: ["How many kilometers does {name} ride on the {last} day?"],
  },
  {
    id: "reading",
    start: ["{name} starts a new book and reads {a} pages on the first day."],
    ops: {
      "+": { question: ["On the {ord} day {he} reads {n} pages more than on the {prev} day."], answer: [`On the {ord} day {he} reads ${calc("+")} pages.`] },
      "-": { question: ["On the {ord} day {he} reads {n} pages fewer than on the {prev} day."], answer: [`On the {ord} day {he} reads ${calc("-")} pages.`] },
      "*": { question: ["On the {ord} day {he} reads {n} times as many pages as on the {prev} day."], answer: [`On the {ord} day {he} reads ${calc("*")} pages.`] },
      "/": { question: ["On the {ord} day {he} reads only {fraction} as many pages as on the {prev} day."], answer: [`On the {ord} day {he} reads ${calc("/")} pages.`] },
    },
    ask: ["How many pages does {name} read on the {last} day?"],
  },
  {
    id: "shopping",
    start: ["{name} has ${a} in {his} wallet.", "{name} has saved ${a} from {his} allowance."],
    ops: {
      "+": { question: ["{He} earns ${n} more by {chore}.", "{His} {relative} gives {him} ${n}."], answer: [`{He} then has ${calc("+", "$")}.`] },
      "-": { question: ["{He} spends ${n} on {purchase}.", "{He} pays ${n} for {purchase}."], answer: [`After paying, {he} has ${calc("-", "$")} left.`] },
      "*": { question: ["{His} {relative} promises to make {his} money {n} times as much, and keeps the promise."], answer: [`{He} then has ${calc("*", "$")}.`] },
      "/": { question: ["{He} divides {his} money equally into {n} envelopes and keeps only one of them."], answer: [`One envelope holds ${calc("/", "$")}.`] },
    },
    ask: ["How many dollars does {name} have now?", "How much money, in dollars, does {name} have at the end?"],
  },
  {
    id: "sharing",
    start: ["{name} has {a} {item}.", "{name} collects {a} {item}."],
    ops: {
      "+": { question: ["{friend} gives {him} {n} more {item}.", "{He} finds {n} more {item}."], answer: [`{He} then has ${calc("+")} {item}.`] },
      "-": { question: ["{He} gives {n} {item} to {friend}.", "{He} loses {n} of {his} {item}."], answer: [`{He} has ${calc("-")} {item} left.`] },
      "*": { question: ["After a lucky trade, {he} has {n} times as many {item} as before.", "{He} wins a contest, and now {he} has {n} times as many {item} as before."], answer: [`{He} now has ${calc("*")} {item}.`] },
      "/": { question: ["{He} shares all {his} {item} equally among {n} children, {himself} included, and keeps {his} share."], answer: [`Each share is ${calc("/")} {item}.`] },
    },
    ask: ["How many {item} does {name} have at the end?", "How many {item} does {name} have now?"],
  },
  {
    id: "orchard",
    start: ["{name} owns an orchard with {a} apple trees."],
    ops: {
      "+": { question: ["{He} plants {n} more trees.", "{He} buys {n} young trees and plants them all."], answer: [`The orchard then has ${calc("+")} trees.`] },
      "-": { question: ["A storm knocks down {n} of the trees.", "{He} cuts down {n} old trees."], answer: [`That leaves ${calc("-")} trees.`] },
      "*": { question: ["Over the years the orchard grows to {n} times as many trees.", "Years later, the number of trees has become {n} times as large."], answer: [`The orchard grows to ${calc("*")} trees.`] },
      "/": { question: ["{He} divides the orchard into {n} equal parts and sells all but one part.", "{He} shares the trees equally among {n} family members, {himself} included, and keeps {his} share."], answer: [`{He} keeps ${calc("/")} trees.`] },
    },
    ask: ["How many trees does {name} have in {his} orchard now?"],
  },
  {
    id: "library",
    start: ["A school library has {a} books.", "The town library owns {a} books."],
    ops: {
      "+": { question: ["A donation adds {n} books.", "The librarian buys {n} new books."], answer: [`The library then has ${calc("+")} books.`] },
      "-": { question: ["{n} books are too worn and are thrown away.", "The library gives {n} books to a charity."], answer: [`That leaves ${calc("-")} books.`] },
      "*": { question: ["After a new wing opens, the library has {n} times as many books.", "Ten years later the library owns {n} times as many books."], answer: [`The library grows to ${calc("*")} books.`] },
      "/": { question: ["The books are split equally among {n} branches, and this library keeps one branch's share."], answer: [`One share is ${calc("/")} books.`] },
    },
    ask: ["How many books does the library have now?"],
  },
];

/** People (with their pronouns), and the words the scenarios draw from. */
export const MATH_PEOPLE: readonly { readonly name: string; readonly he: "he" | "she" }[] = [
  { name: "Mia", he: "she" }, { name: "Noah", he: "he" }, { name: "Ava", he: "she" }, { name: "Liam", he: "he" },
  { name: "Sofia", he: "she" }, { name: "Omar", he: "he" }, { name: "Lena", he: "she" }, { name: "Ravi", he: "he" },
  { name: "Yuki", he: "she" }, { name: "Mateo", he: "he" }, { name: "Amara", he: "she" }, { name: "Jonas", he: "he" },
  { name: "Priya", he: "she" }, { name: "Kofi", he: "he" }, { name: "Elena", he: "she" }, { name: "Tariq", he: "he" },
];

export const MATH_WORDS = {
  item: ["marbles", "stickers", "cookies", "seashells", "stamps", "candies", "pencils", "trading cards"],
  friend: ["a friend", "a classmate", "a neighbor", "a cousin"],
  chore: ["washing cars", "walking dogs", "mowing lawns", "helping at a bakery"],
  purchase: ["a book", "a board game", "art supplies", "a concert ticket", "a pair of shoes"],
  relative: ["grandmother", "uncle", "aunt", "grandfather"],
} as const;

/** "first", "second", …: ordinals of the days in the comparison scenarios (steps + 1 of them). */
export const ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"] as const;

/** "half", "a third", … "a tenth", else "1/n of the amount". */
export function fractionWords(n: number): string {
  const words = ["", "", "half", "a third", "a quarter", "a fifth", "a sixth", "a seventh", "an eighth", "a ninth", "a tenth"];
  return words[n] ?? `1/${n}`;
}
