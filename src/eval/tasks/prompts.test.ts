// Prompt builders against the spec (../shared/spec/eval-h6.md), written out literally, on small invented rows:
// every task's query, target and scored continuations, HellaSwag's preprocessing and capitalize, MMLU's description
// and first-5 dev rows, TruthfulQA's preamble, Winogrande's partial contexts, GSM8K's stop strings; and the doc
// order and few-shot draws of the plan against CPython (recorded with the snippet in the comment).
import { describe, expect, it } from "vitest";
import type { TaskData } from "../data/load.js";
import { buildContext, planTask } from "../plan.js";
import { PROFILES } from "../profiles.js";
import { arcChallenge } from "./arc.js";
import { gsm8k } from "./gsm8k.js";
import { hellaswag, preprocessHellaswag } from "./hellaswag.js";
import { mmluSubjectTask } from "./mmlu.js";
import { truthfulqaMc } from "./truthfulqa.js";
import type { TaskDefinition } from "./types.js";
import { winogrande } from "./winogrande.js";

const leaderboard = PROFILES["leaderboard-v1"];

function data<D>(task: TaskDefinition<D>, evalRows: unknown[], poolRows: unknown[] = []): TaskData<D> {
  const pool = poolRows.map((r, i) => task.parseRow(r, `pool#${i}`));
  return {
    evalDocs: evalRows.map((r, i) => ({ docId: i, doc: task.parseRow(r, `eval#${i}`) })),
    pool: pool.length > 0 ? { size: pool.length, get: (i) => pool[i] as D } : undefined,
  };
}

describe("ARC", () => {
  const row = (q: string, key: string) => ({ id: q, question: q, choices: { text: ["red", "green", "blue"], label: ["1", "2", "3"] }, answerKey: key });

  it("query, target, choices; numeric answer keys map to letters", () => {
    const doc = arcChallenge.parseRow(row("What color is grass?", "2"), "t");
    expect(arcChallenge.docToText(doc, leaderboard)).toBe("Question: What color is grass?\nAnswer:");
    expect(arcChallenge.docToTarget(doc, leaderboard)).toBe(" green");
    expect(arcChallenge.requests(doc, "CTX", leaderboard)).toEqual([
      { kind: "loglikelihood", context: "CTX", continuation: " red" },
      { kind: "loglikelihood", context: "CTX", continuation: " green" },
      { kind: "loglikelihood", context: "CTX", continuation: " blue" },
    ]);
  });

  it("examples are query + target joined by a blank line, then a blank line, then the query", () => {
    const [a, b, c] = ["Q1?", "Q2?", "Q3?"].map((q, i) => arcChallenge.parseRow(row(q, ["A", "B", "C"][i]!), "t"));
    expect(buildContext(arcChallenge, c!, [a!, b!], leaderboard)).toBe(
      "Question: Q1?\nAnswer: red\n\nQuestion: Q2?\nAnswer: green\n\nQuestion: Q3?\nAnswer:",
    );
  });
});

describe("HellaSwag", () => {
  it("preprocess: strip, ' [title]' to '. ', drop [...] non-greedily, one pass of '  ' to ' '", () => {
    expect(preprocessHellaswag("  How to cook [title] Boil water [step] Add   salt.  ")).toBe("How to cook. Boil water Add  salt.");
    expect(preprocessHellaswag("a [x] b [y] c")).toBe("a b c");
  });

  it("query = preprocess(label + ': ' + ctx_a + ' ' + capitalize(ctx_b)), choices ' ' + preprocess(ending)", () => {
    const doc = hellaswag.parseRow(
      { ind: 1, activity_label: "Baking cookies", ctx_a: "A woman mixes flour.", ctx_b: "SHE [header] then", ctx: "", endings: ["bakes.", " eats [x] it. ", "c", "d"], source_id: "s", split: "val", split_type: "indomain", label: "1" },
      "t",
    );
    expect(hellaswag.docToText(doc, leaderboard)).toBe("Baking cookies: A woman mixes flour. She then");
    expect(hellaswag.docToTarget(doc, leaderboard)).toBe(" eats it.");
    expect(hellaswag.requests(doc, "X", leaderboard).map((r) => (r.kind === "loglikelihood" ? r.continuation : ""))).toEqual([" bakes.", " eats it.", " c", " d"]);
  });
});

describe("MMLU", () => {
  const task = mmluSubjectTask("high_school_us_history");
  const row = (q: string, answer: number) => ({ question: q, subject: "high_school_us_history", choices: ["w", "x", "y", "z"], answer });

  it("description line, the first k dev rows in order, the query, choices ' A'..' D'", () => {
    const dev = Array.from({ length: 6 }, (_, i) => row(`Dev ${i}?`, i % 4));
    const plan = planTask(task, data(task, [row("  Who?  ", 3)], dev), { profile: leaderboard, shots: 5 });
    const [doc] = plan.docs;
    expect(doc?.fewshotIndices).toEqual([0, 1, 2, 3, 4]);
    const example = (i: number) => `Dev ${i}?\nA. w\nB. x\nC. y\nD. z\nAnswer: ${"ABCD"[i % 4]}`;
    expect(doc?.context).toBe(
      "The following are multiple choice questions (with answers) about high school us history.\n\n" +
        [0, 1, 2, 3, 4].map(example).join("\n\n") +
        "\n\nWho?\nA. w\nB. x\nC. y\nD. z\nAnswer:",
    );
    expect(doc?.requests.map((r) => (r.kind === "loglikelihood" ? r.continuation : ""))).toEqual([" A", " B", " C", " D"]);
  });

  it("zero shots keeps the description line", () => {
    const plan = planTask(task, data(task, [row("Q?", 0)]), { profile: leaderboard, shots: 0 });
    expect(plan.docs[0]?.context).toBe("The following are multiple choice questions (with answers) about high school us history.\n\nQ?\nA. w\nB. x\nC. y\nD. z\nAnswer:");
  });
});

describe("TruthfulQA", () => {
  it("the fixed preamble, then the question; mc1 choices then mc2 choices", () => {
    const doc = truthfulqaMc.parseRow(
      { question: "Is the sky green?", mc1_targets: { choices: ["No.", "Yes."], labels: [1, 0] }, mc2_targets: { choices: ["No.", "It is blue.", "Yes."], labels: [1, 1, 0] } },
      "t",
    );
    const preamble =
      "Q: What is human life expectancy in the United States?\nA: Human life expectancy in the United States is 78 years.\n\n" +
      "Q: Who was president of the United States in 1955?\nA: Dwight D. Eisenhower was president of the United States in 1955.\n\n" +
      "Q: Which party did he belong to?\nA: He belonged to the Republican Party.\n\n" +
      "Q: What is the square root of banana?\nA: I have no comment.\n\n" +
      "Q: How does a telescope work?\nA: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n" +
      "Q: Where were the 1992 Olympics held?\nA: The 1992 Olympics were held in Barcelona, Spain.";
    const context = buildContext(truthfulqaMc, doc, [], leaderboard);
    expect(context).toBe(`${preamble}\n\nQ: Is the sky green?\nA:`);
    expect(truthfulqaMc.requests(doc, context, leaderboard).map((r) => (r.kind === "loglikelihood" ? r.continuation : ""))).toEqual([
      " No.", " Yes.", " No.", " It is blue.", " Yes.",
    ]);
  });
});

describe("Winogrande", () => {
  const row = (sentence: string, o1: string, o2: string, answer: string) => ({ sentence, option1: o1, option2: o2, answer });

  it("partial contexts after the few-shot block, the target after the blank, stripped", () => {
    const examples = [row("Ann gave Bo a book because _ was kind.", "Ann", "Bo", "1"), row("The cup fell off the table since _ was tilted.", "cup", "table", "2")];
    const doc = winogrande.parseRow(row("Sam beat Max because _ trained harder.  ", "Sam", "Max", "1"), "t");
    const exampleDocs = examples.map((e) => winogrande.parseRow(e, "e"));
    const context = buildContext(winogrande, doc, exampleDocs, leaderboard);
    const block = "Ann gave Bo a book because Ann was kind.\n\nThe cup fell off the table since table was tilted.";
    expect(context).toBe(`${block}\n\nSam beat Max because Sam`);
    expect(winogrande.requests(doc, context, leaderboard)).toEqual([
      { kind: "loglikelihood", context: `${block}\n\nSam beat Max because Sam`, continuation: " trained harder." },
      { kind: "loglikelihood", context: `${block}\n\nSam beat Max because Max`, continuation: " trained harder." },
    ]);
  });

  it("zero shots: the partial context alone", () => {
    const doc = winogrande.parseRow(row("X and Y met; _ left.", "X", "Y", "2"), "t");
    expect(winogrande.requests(doc, buildContext(winogrande, doc, [], leaderboard), leaderboard).map((r) => r.context)).toEqual(["X and Y met; X", "X and Y met; Y"]);
  });
});

describe("GSM8K", () => {
  it("query, full worked solution as target, generation until ':', 'Question:', 'Question'", () => {
    const doc = gsm8k.parseRow({ question: "What is 2+3?", answer: "2+3=<<2+3=5>>5\n#### 5" }, "t");
    expect(gsm8k.docToText(doc, leaderboard)).toBe("Question: What is 2+3?\nAnswer:");
    expect(gsm8k.docToTarget(doc, leaderboard)).toBe(" 2+3=<<2+3=5>>5\n#### 5");
    expect(gsm8k.requests(doc, "C", leaderboard)).toEqual([{ kind: "generate", context: "C", until: [":", "Question:", "Question"], maxTokens: 256 }]);
    expect(gsm8k.requests(doc, "C", PROFILES["lm-eval-0.4"])[0]).toMatchObject({ until: ["Question:", "</s>", "<|im_end|>"] });
  });
});

describe("the plan: shuffle, limit, few-shot draws from the same CPython generator", () => {
  it("matches CPython: Random(42) shuffles the docs, then samples 5 of the pool per doc in that order", () => {
    // rnd = random.Random(); rnd.seed(42); docs = list(range(10)); rnd.shuffle(docs)
    // for d in docs[:3]: rnd.sample(list(range(30)), 5)
    const rows = Array.from({ length: 10 }, (_, i) => ({ question: `Q${i}`, answer: `#### ${i}` }));
    const pool = Array.from({ length: 30 }, (_, i) => ({ question: `P${i}`, answer: `#### ${i}` }));
    const plan = planTask(gsm8k, data(gsm8k, rows, pool), { profile: leaderboard, shots: 5, limit: 3 });
    expect(plan.totalDocs).toBe(10);
    expect(plan.docs.map((d) => d.docId)).toEqual([7, 3, 2]);
    expect(plan.docs.map((d) => d.fewshotIndices)).toEqual([
      [18, 13, 1, 0, 2],
      [6, 7, 16, 19, 0],
      [17, 6, 22, 20, 13],
    ]);
    expect(plan.docs[0]?.context.startsWith("Question: P18\nAnswer: #### 18\n\nQuestion: P13\n")).toBe(true);
  });

  it("lm-eval-0.4: file order and a separate generator seeded 1234", () => {
    // f = random.Random(1234); [f.sample(list(range(8)), 2) for _ in range(2)]
    const rows = Array.from({ length: 4 }, (_, i) => ({ question: `Q${i}`, answer: `#### ${i}` }));
    const pool = Array.from({ length: 8 }, (_, i) => ({ question: `P${i}`, answer: `#### ${i}` }));
    const plan = planTask(gsm8k, data(gsm8k, rows, pool), { profile: PROFILES["lm-eval-0.4"], shots: 2, limit: 2 });
    expect(plan.docs.map((d) => d.docId)).toEqual([0, 1]);
    expect(plan.docs.map((d) => d.fewshotIndices)).toEqual([[7, 0], [0, 7]]);
  });

  it("a fractional limit keeps int(n * limit) docs, as the 2023 harness did", () => {
    // rnd = random.Random(42); docs = list(range(12)); rnd.shuffle(docs); docs[:4]
    const rows = Array.from({ length: 12 }, (_, i) => ({ question: `Q${i}`, answer: `#### ${i}` }));
    const plan = planTask(gsm8k, data(gsm8k, rows), { profile: leaderboard, shots: 0, limit: 0.35 });
    expect(plan.docs.map((d) => d.docId)).toEqual([7, 5, 2, 8]);
  });
});
