// parseSftRows: every SFT format detected and named, every kind of bad row with its row number, skip mode, and the
// rows of `dusk data synth math` and GSM8K (../shared/data, when present) read end to end.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../common/index.js";
import { synthMath } from "../data/index.js";
import { BadRowsError, TrainingDataError } from "./errors.js";
import { readRows, type DataRow } from "./rows.js";
import { SFT_FORMATS, detectSftFormat, parseSftRows, type SftFormat } from "./sft.js";

const rows = (...values: unknown[]): DataRow[] => values.map((row, i) => ({ row, index: i + 1, where: `t.jsonl:${i + 1}` }));
const u = (content: string) => ({ role: "user", content });
const a = (content: string) => ({ role: "assistant", content });
const s = (content: string) => ({ role: "system", content });

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error("expected a throw");
}

/** One row of each format and the conversation it must become. */
const SAMPLES: Record<SftFormat, { row: object; messages: object[] }> = {
  alpaca: { row: { instruction: "Add the numbers.", input: "2 and 3", output: "5" }, messages: [u("Add the numbers.\n\n2 and 3"), a("5")] },
  openorca: { row: { id: "x", system_prompt: "Be exact.", question: "2+3?", response: "5" }, messages: [s("Be exact."), u("2+3?"), a("5")] },
  messages: { row: { messages: [s("Be exact."), u("2+3?"), a("5"), u("and 3+4?"), a("7")] }, messages: [s("Be exact."), u("2+3?"), a("5"), u("and 3+4?"), a("7")] },
  "prompt-completion": { row: { prompt: "2+3=", completion: "5" }, messages: [u("2+3="), a("5")] },
  "question-answer": { row: { question: "2+3?", answer: "2+3=5\n#### 5" }, messages: [u("2+3?"), a("2+3=5\n#### 5")] },
};

describe("parseSftRows: formats", () => {
  for (const format of SFT_FORMATS) {
    const { row, messages } = SAMPLES[format];
    it(`detects and reads ${format}`, () => {
      expect(detectSftFormat(row)).toBe(format);
      const parsed = parseSftRows(rows(row, row));
      expect(parsed.format).toBe(format);
      expect(parsed.examples).toEqual([
        { messages, index: 1, where: "t.jsonl:1" },
        { messages, index: 2, where: "t.jsonl:2" },
      ]);
      expect(parsed.skipped).toEqual([]);
    });
    it(`reads ${format} when named`, () => {
      expect(parseSftRows(rows(row), { format }).examples[0]?.messages).toEqual(messages);
    });
  }

  it("leaves out an empty Alpaca input and an empty OpenOrca system prompt", () => {
    expect(parseSftRows(rows({ instruction: "Say hi.", input: "  ", output: "hi" })).examples[0]?.messages).toEqual([u("Say hi."), a("hi")]);
    expect(parseSftRows(rows({ instruction: "Say hi.", output: "hi" })).examples[0]?.messages).toEqual([u("Say hi."), a("hi")]);
    expect(parseSftRows(rows({ system_prompt: "", question: "Q", response: "R" })).examples[0]?.messages).toEqual([u("Q"), a("R")]);
  });

  it("reads ShareGPT conversations (from/value) and OpenAI text parts", () => {
    const share = { conversations: [{ from: "system", value: "Sys" }, { from: "human", value: "Hi" }, { from: "gpt", value: "Hello" }] };
    expect(parseSftRows(rows(share)).examples[0]?.messages).toEqual([s("Sys"), u("Hi"), a("Hello")]);
    const parts = { messages: [{ role: "user", content: [{ type: "text", text: "Hi " }, { type: "text", text: "there" }] }, a("Hello")] };
    expect(parseSftRows(rows(parts)).examples[0]?.messages).toEqual([u("Hi there"), a("Hello")]);
  });

  it("drops empty system messages and the messages after the last assistant message", () => {
    const row = { messages: [s(" "), u("Hi"), a("Hello"), u("Still there?")] };
    expect(parseSftRows(rows(row)).examples[0]?.messages).toEqual([u("Hi"), a("Hello")]);
  });

  it("detects from the first row that looks like a format", () => {
    const parsed = parseSftRows(rows("not an object", { id: 1 }, SAMPLES.alpaca.row), { badRows: "skip" });
    expect(parsed.format).toBe("alpaca");
    expect(parsed.skipped.map((p) => p.index)).toEqual([1, 2]);
    expect(parsed.skipped[1]?.problem).toBe('missing "instruction"');
  });

  it("returns undefined from detectSftFormat for rows of no format", () => {
    expect(detectSftFormat({ text: "plain" })).toBeUndefined();
    expect(detectSftFormat([1, 2])).toBeUndefined();
    expect(detectSftFormat(null)).toBeUndefined();
  });
});

describe("parseSftRows: bad rows", () => {
  const cases: [string, unknown, string][] = [
    ["alpaca", 42, "expected an object but found a number"],
    ["alpaca", { instruction: "Q" }, 'missing "output"'],
    ["alpaca", { instruction: "Q", output: null }, 'missing "output"'],
    ["alpaca", { instruction: "Q", output: 5 }, '"output" is a number, expected a string'],
    ["alpaca", { instruction: "Q", output: " \n" }, 'empty "output"'],
    ["alpaca", { instruction: "", output: "A" }, 'empty "instruction"'],
    ["alpaca", { instruction: "Q", input: ["x"], output: "A" }, '"input" is a list, expected a string'],
    ["openorca", { question: "Q", response: "" }, 'empty "response"'],
    ["question-answer", { question: "Q", answer: "\t" }, 'empty "answer"'],
    ["prompt-completion", { prompt: "P", completion: "" }, 'empty "completion"'],
    ["prompt-completion", { prompt: " ", completion: "C" }, 'empty "prompt"'],
    ["messages", { messages: [u("Hi")] }, 'no assistant message in "messages"'],
    ["messages", { messages: [u("Hi"), a("  ")] }, "empty assistant content in messages[1]"],
    ["messages", { messages: [u(""), a("Hello")] }, "empty user text in messages[0]"],
    ["messages", { messages: [u("Hi"), { role: "tool", content: "{}" }, a("ok")] }, 'messages[1] has role "tool", expected system, user or assistant'],
    ["messages", { messages: [s("Sys"), a("Hello")] }, 'no user message before the last assistant message in "messages"'],
    ["messages", { messages: "Hi" }, '"messages" is a string, expected a list of messages'],
    ["messages", { messages: [u("Hi"), "Hello"] }, "messages[1] is a string, expected a message object"],
    ["messages", { messages: [u("Hi"), { role: "assistant" }] }, "messages[1] has content that is missing, expected a string"],
    ["messages", { conversations: [{ from: "human", value: "Hi" }, { from: "bot", value: "Hello" }] }, 'conversations[1] is from "bot", expected system, human, user, gpt or assistant'],
  ];
  for (const [format, bad, problem] of cases) {
    it(`${format}: ${problem}`, () => {
      const good = SAMPLES[format as SftFormat].row;
      const error = thrown(() => parseSftRows(rows(good, good, bad, good), { format: format as SftFormat }));
      expect(error).toBeInstanceOf(BadRowsError);
      expect(error.message).toContain(`row 3 (t.jsonl:3): ${problem}`);
      expect((error as BadRowsError).problems).toEqual([{ index: 3, where: "t.jsonl:3", problem }]);
      expect((error as BadRowsError).hint).toBe("fix the rows, or pass --bad-rows skip to leave them out (each is reported)");
    });
  }

  it("lists the first ten bad rows and counts the rest", () => {
    const data = rows(...Array.from({ length: 14 }, (_, i) => (i === 0 ? SAMPLES["question-answer"].row : { question: `Q${i}`, answer: "" })));
    const error = thrown(() => parseSftRows(data)) as BadRowsError;
    expect(error.problems).toHaveLength(13);
    expect(error.message).toContain("found 13 bad rows of 14");
    expect(error.message).toContain('row 11 (t.jsonl:11): empty "answer"; and 3 more');
    expect(error.message).not.toContain("row 12 ");
  });

  it("leaves bad rows out with badRows skip, keeping the good rows' numbers", () => {
    const good = SAMPLES.openorca.row;
    const parsed = parseSftRows(rows(good, { question: "Q" }, good, { question: "Q", response: " " }), { badRows: "skip" });
    expect(parsed.examples.map((e) => e.index)).toEqual([1, 3]);
    expect(parsed.skipped).toEqual([
      { index: 2, where: "t.jsonl:2", problem: 'missing "response"' },
      { index: 4, where: "t.jsonl:4", problem: 'empty "response"' },
    ]);
  });

  it("refuses data whose rows are all bad even with badRows skip", () => {
    const error = thrown(() => parseSftRows(rows({ question: "Q", answer: "" }, { question: "R", answer: " " }), { badRows: "skip" }));
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain("all 2 rows are bad");
    expect(error.message).toContain('row 2 (t.jsonl:2): empty "answer"');
  });
});

describe("parseSftRows: data it cannot use", () => {
  it("refuses no rows at all", () => {
    expect(thrown(() => parseSftRows([]))).toBeInstanceOf(TrainingDataError);
  });

  it("names the formats and the keys found when no row matches any", () => {
    const error = thrown(() => parseSftRows(rows({ text: "hello", label: 1 })));
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain("alpaca: instruction, optional input, output");
    expect(error.message).toContain("rows with keys text, label");
  });

  it("points preference pairs at dusk train dpo", () => {
    const error = thrown(() => parseSftRows(rows({ system: "", question: "Q", chosen: "A", rejected: "B" }))) as TrainingDataError;
    expect(error.hint).toContain("dusk train dpo");
  });

  it("explains a named format whose fields most rows lack, suggesting the detected one", () => {
    const data = rows(SAMPLES["question-answer"].row, SAMPLES["question-answer"].row, SAMPLES.alpaca.row);
    const error = thrown(() => parseSftRows(data, { format: "alpaca" })) as TrainingDataError;
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain("the alpaca format (instruction, optional input, output) but 2 of 3 rows lack them");
    expect(error.message).toContain("the first row's keys are question, answer");
    expect(error.hint).toContain("--format question-answer");
  });

  it("refuses an unknown format or bad-rows policy from outside the type system", () => {
    expect(thrown(() => parseSftRows(rows(SAMPLES.alpaca.row), { format: "dolly" as SftFormat }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => parseSftRows(rows(SAMPLES.alpaca.row), { badRows: "ignore" as "skip" }))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe("parseSftRows on files", () => {
  const dir = mkdtempSync(join(tmpdir(), "dusk-examples-sft-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads `dusk data synth math` rows in both of its SFT formats", async () => {
    for (const format of ["gsm8k", "alpaca"] as const) {
      const out = join(dir, format);
      await synthMath({ output: out, format, count: 20, seed: 3 });
      const parsed = parseSftRows(await readRows([join(out, "train.jsonl")]));
      expect(parsed.format).toBe(format === "gsm8k" ? "question-answer" : "alpaca");
      expect(parsed.examples).toHaveLength(18);
      for (const example of parsed.examples) {
        expect(example.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
        expect(example.messages[1]?.content).toMatch(/#### -?\d/);
      }
    }
  });

  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
  const gsm8k = join(resolve(repoRoot, "../shared/data"), "gsm8k", "test.jsonl");
  if (!existsSync(gsm8k)) console.warn(`[sft.test] skipped the GSM8K check: ${gsm8k} is absent (it lives in ../shared/data)`);
  it.skipIf(!existsSync(gsm8k))("reads GSM8K's test split as question-answer rows", async () => {
    const parsed = parseSftRows(await readRows([gsm8k]));
    expect(parsed.format).toBe("question-answer");
    const lines = readFileSync(gsm8k, "utf8").split("\n").filter((line) => line.trim() !== "").length;
    expect(lines).toBeGreaterThan(0);
    expect(parsed.examples).toHaveLength(lines);
    expect(parsed.examples[0]?.messages[0]?.content).toMatch(/^Janet/);
    expect(parsed.examples[0]?.messages[1]?.content).toMatch(/#### 18$/);
  });
});
