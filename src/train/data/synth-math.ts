// Checkable arithmetic word problems: a seeded chain of operations (start value, then one operation and number
// per step) told as a short story from a scenario's templates, with a GSM8K-style worked answer (one sentence per
// step with its `<<a+b=c>>` annotation, then `#### <number>`). Difficulty is the number of steps and the digits of
// each number. Pure: no I/O; the same seed gives the same problems on every machine.
import { InvalidArgumentError } from "../../common/index.js";
import { MATH_PEOPLE, MATH_SCENARIOS, MATH_WORDS, ORDINALS, fractionWords, type MathOp, type MathScenario } from "./math-scenarios.js";

/** An inclusive range of integers, e.g. steps 1-3. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
}

/** One step of a problem: the running value `op` a new number. */
export interface MathStep {
  readonly op: MathOp;
  readonly operand: number;
}

/** The words a problem was told in, so that a wrong worked answer can be told in the same words. */
export interface MathWording {
  readonly scenario: MathScenario;
  readonly vars: Readonly<Record<string, string>>;
  /** Template variant of the opening, of each step (question and answer sentences, and its own words) and of the final question. */
  readonly start: number;
  readonly steps: readonly { readonly question: number; readonly answer: number; readonly vars: Readonly<Record<string, string>> }[];
  readonly ask: number;
}

/** A generated problem: its structured form, its text and its worked answer. */
export interface MathProblem {
  readonly scenario: string;
  readonly start: number;
  readonly steps: readonly MathStep[];
  /** The right final answer. */
  readonly result: number;
  readonly question: string;
  /** The worked answer, ending in `#### <result>`. */
  readonly answer: string;
  readonly wording: MathWording;
}

/** The supported bounds of the difficulty knobs. */
export const MATH_LIMITS = { steps: { min: 1, max: ORDINALS.length - 1 }, digits: { min: 1, max: 4 } } as const;
export const MATH_OPS: readonly MathOp[] = ["+", "-", "*", "/"];
/** Values stay at or below this, so every number is an exact integer and readable. */
export const MATH_VALUE_CAP = 1e9;

/** A small fast seeded generator (mulberry32): uniform floats in [0, 1), integers, picks and shuffles. */
export class MathRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** Parses "1-3" or "2" into a range within [limit.min, limit.max]; `option` names the flag in errors. */
export function parseIntRange(text: string, option: string, limit: IntRange): IntRange {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  const range = match ? { min: Number(match[1]), max: Number(match[2] ?? match[1]) } : undefined;
  if (!range || range.min > range.max || range.min < limit.min || range.max > limit.max) {
    throw new InvalidArgumentError(`expected ${option} as a range like ${limit.min}-${Math.min(limit.min + 2, limit.max)} within ${limit.min}-${limit.max} but got "${text}"`, {
      hint: `give one number or min-max, e.g. ${option} 2 or ${option} ${limit.min}-${limit.max}`,
    });
  }
  return range;
}

/** The result of one operation. */
export function applyOp(op: MathOp, value: number, operand: number): number {
  switch (op) {
    case "+": return value + operand;
    case "-": return value - operand;
    case "*": return value * operand;
    case "/": return value / operand;
  }
}

/** Digits of a non-negative integer. */
export function digitCount(value: number): number {
  return String(Math.abs(Math.trunc(value))).length;
}

const lowest = (digits: number, floor: number): number => Math.max(floor, digits === 1 ? 0 : 10 ** (digits - 1));

/** Divisors of `value` in [min, max], found without scanning past √value or the range. */
function divisorsIn(value: number, min: number, max: number): number[] {
  const out: number[] = [];
  if (max - min < Math.sqrt(value)) {
    for (let d = min; d <= max; d++) if (value % d === 0) out.push(d);
    return out;
  }
  for (let d = 1; d * d <= value; d++) {
    if (value % d !== 0) continue;
    for (const candidate of [d, value / d]) if (candidate >= min && candidate <= max && !out.includes(candidate)) out.push(candidate);
  }
  return out;
}

/**
 * A number of `digits` digits for `op` on `value` that keeps every value a positive integer ≤ the cap; undefined if
 * none. Numbers are at least 2 ("1 more trees" reads badly, "1 times as many" is no step).
 */
function chooseOperand(random: MathRandom, op: MathOp, value: number, digits: number): number | undefined {
  const top = 10 ** digits - 1;
  const pickIn = (min: number, max: number): number | undefined => (min <= max ? random.int(min, max) : undefined);
  switch (op) {
    case "+": return pickIn(lowest(digits, 2), Math.min(top, MATH_VALUE_CAP - value));
    case "-": return pickIn(lowest(digits, 2), Math.min(top, value - 1));
    case "*": return pickIn(lowest(digits, 2), Math.min(top, Math.floor(MATH_VALUE_CAP / value)));
    case "/": {
      const divisors = divisorsIn(value, lowest(digits, 2), Math.min(top, value - 1));
      return divisors.length ? random.pick(divisors) : undefined;
    }
  }
}

/** Fills `{key}` placeholders; an unknown key is a bug in the templates. */
export function fillTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new RangeError(`template placeholder {${key}} has no value in "${template}"`);
    return value;
  });
}

function personVars(random: MathRandom): Record<string, string> {
  const person = random.pick(MATH_PEOPLE);
  const she = person.he === "she";
  const vars: Record<string, string> = { name: person.name, he: she ? "she" : "he", him: she ? "her" : "him", his: she ? "her" : "his", himself: she ? "herself" : "himself" };
  vars.He = capitalize(vars.he!);
  vars.His = capitalize(vars.his!);
  vars.item = random.pick(MATH_WORDS.item);
  return vars;
}

/** The words of one step (a new purchase, chore, friend or relative each time; the item stays the problem's). */
function wordVars(random: MathRandom): Record<string, string> {
  return Object.fromEntries(Object.entries(MATH_WORDS).filter(([key]) => key !== "item").map(([key, words]) => [key, random.pick(words)]));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One line of a worked answer: step `index` (for its wording) computed as `value op operand = result`. */
export interface TraceLine {
  readonly index: number;
  readonly op: MathOp;
  readonly value: number;
  readonly operand: number;
  readonly result: number;
}

/** The worked answer of a trace: one sentence per line, then `#### <final>`. */
export function renderAnswer(wording: MathWording, lines: readonly TraceLine[], final: number): string {
  const sentences = lines.map((line) => {
    const variants = wording.scenario.ops[line.op].answer;
    const variant = variants[wording.steps[line.index]!.answer % variants.length]!;
    return capitalize(fillTemplate(variant, { ...wording.vars, ...wording.steps[line.index]!.vars, ...stepVars(line.index, line.operand), v: String(line.value), n: String(line.operand), r: String(line.result) }));
  });
  return [...sentences, `#### ${final}`].join("\n");
}

function stepVars(index: number, operand: number): Record<string, string> {
  return { ord: ORDINALS[index + 1]!, prev: ORDINALS[index]!, fraction: fractionWords(operand) };
}

/** The right trace of a problem's steps. */
export function solveSteps(start: number, steps: readonly MathStep[]): TraceLine[] {
  let value = start;
  return steps.map((step, index) => {
    const result = applyOp(step.op, value, step.operand);
    const line = { index, op: step.op, value, operand: step.operand, result };
    value = result;
    return line;
  });
}

/** Options of {@link makeMathProblem}. */
export interface MathProblemOptions {
  readonly steps: IntRange;
  readonly digits: IntRange;
  /** Operations to draw from. Defaults to all four. */
  readonly ops?: readonly MathOp[];
  /** Scenarios to draw from. Defaults to all. */
  readonly scenarios?: readonly MathScenario[];
}

/** One problem, or undefined when the drawn numbers left no operation possible (the caller draws again). */
export function makeMathProblem(random: MathRandom, { steps, digits, ops = MATH_OPS, scenarios = MATH_SCENARIOS }: MathProblemOptions): MathProblem | undefined {
  const scenario = random.pick(scenarios);
  const count = random.int(steps.min, steps.max);
  const startDigits = random.int(digits.min, digits.max);
  const first = random.int(lowest(startDigits, 2), 10 ** startDigits - 1);
  const chosen: MathStep[] = [];
  let value = first;
  for (let i = 0; i < count; i++) {
    const step = random
      .shuffle(ops)
      .map((op) => ({ op, operand: chooseOperand(random, op, value, random.int(digits.min, digits.max)) }))
      .find((candidate): candidate is MathStep => candidate.operand !== undefined);
    if (!step) return undefined;
    chosen.push(step);
    value = applyOp(step.op, value, step.operand);
  }
  const vars = personVars(random);
  const wording: MathWording = {
    scenario,
    vars,
    start: random.int(0, scenario.start.length - 1),
    steps: chosen.map(() => ({ question: random.int(0, 7), answer: random.int(0, 7), vars: wordVars(random) })),
    ask: random.int(0, scenario.ask.length - 1),
  };
  const sentences = [
    fillTemplate(scenario.start[wording.start]!, { ...vars, a: String(first) }),
    ...chosen.map((step, index) => {
      const variants = scenario.ops[step.op].question;
      const words = wording.steps[index]!;
      return capitalize(fillTemplate(variants[words.question % variants.length]!, { ...vars, ...words.vars, ...stepVars(index, step.operand), n: String(step.operand) }));
    }),
    fillTemplate(scenario.ask[wording.ask]!, { ...vars, last: ORDINALS[count]! }),
  ];
  return { scenario: scenario.id, start: first, steps: chosen, result: value, question: sentences.join(" "), answer: renderAnswer(wording, solveSteps(first, chosen), value), wording };
}
