// parsePairs: every preference-pair format detected and named, every kind of bad row with its row number, skip
// mode, and the DPO rows of `dusk data synth math` read end to end.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { synthMath } from "../data/index.js";
import { BadRowsError, TrainingDataError } from "./errors.js";
import { PAIR_FORMATS, detectPairFormat, parsePairs, type PairFormat } from "./pairs.js";
import { readRows, type DataRow } from "./rows.js";

const rows = (...values: unknown[]): DataRow[] => values.map((row, i) => ({ row, index: i + 1, where: `p.json#${i + 1}` }));
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

/** One row of each format and the pair it must become. */
const SAMPLES: Record<PairFormat, { row: object; pair: object }> = {
  "prompt-chosen-rejected": {
    row: { system: "Answer with a number.", prompt: "2+3?", chosen: "5", rejected: "6" },
    pair: { prompt: [s("Answer with a number."), u("2+3?")], chosen: "5", rejected: "6" },
  },
  "orca-dpo": {
    row: { system: "", question: "2+3?", chosen: "It is 5.", rejected: "It is 6." },
    pair: { prompt: [u("2+3?")], chosen: "It is 5.", rejected: "It is 6." },
  },
  messages: {
    row: { prompt: "2+3?", chosen: [u("2+3?"), a("5")], rejected: [u("2+3?"), a("6")], score_chosen: 9, score_rejected: 2 },
    pair: { prompt: [u("2+3?")], chosen: "5", rejected: "6" },
  },
};

describe("parsePairs: formats", () => {
  for (const format of PAIR_FORMATS) {
    const { row, pair } = SAMPLES[format];
    it(`detects and reads ${format}`, () => {
      expect(detectPairFormat(row)).toBe(format);
      const parsed = parsePairs(rows(row, row));
      expect(parsed.format).toBe(format);
      expect(parsed.pairs).toEqual([
        { ...pair, index: 1, where: "p.json#1" },
        { ...pair, index: 2, where: "p.json#2" },
      ]);
      expect(parsed.skipped).toEqual([]);
    });
    it(`reads ${format} when named`, () => {
      expect(parsePairs(rows(row), { format }).pairs[0]).toEqual({ ...pair, index: 1, where: "p.json#1" });
    });
  }

  it("keeps a multi-turn prompt shared by both message lists", () => {
    const prefix = [s("Be exact."), u("2+3?"), a("5"), u("and times 2?")];
    const parsed = parsePairs(rows({ chosen: [...prefix, a("10")], rejected: [...prefix, a("11")] }));
    expect(parsed.pairs[0]).toMatchObject({ prompt: prefix, chosen: "10", rejected: "11" });
  });

  it("takes the prompt field when the lists hold only the answers (a string or a message list)", () => {
    const asString = parsePairs(rows({ prompt: "2+3?", chosen: [a("5")], rejected: [a("6")] }));
    expect(asString.pairs[0]?.prompt).toEqual([u("2+3?")]);
    const asList = parsePairs(rows({ prompt: [s("Be exact."), u("2+3?")], chosen: [a("5")], rejected: [a("6")] }));
    expect(asList.pairs[0]?.prompt).toEqual([s("Be exact."), u("2+3?")]);
  });

  it("omits an empty system string and reads ShareGPT-style lists", () => {
    const row = { chosen: [{ from: "human", value: "Hi" }, { from: "gpt", value: "Hello!" }], rejected: [{ from: "human", value: "Hi" }, { from: "gpt", value: "Go away." }] };
    expect(parsePairs(rows(row)).pairs[0]).toMatchObject({ prompt: [u("Hi")], chosen: "Hello!", rejected: "Go away." });
    expect(parsePairs(rows({ system: "  ", prompt: "Hi", chosen: "Hello", rejected: "Bye" })).pairs[0]?.prompt).toEqual([u("Hi")]);
  });

  it("returns undefined from detectPairFormat for rows of no format", () => {
    expect(detectPairFormat({ question: "Q", answer: "A" })).toBeUndefined();
    expect(detectPairFormat("text")).toBeUndefined();
  });
});

describe("parsePairs: bad rows", () => {
  const cases: [PairFormat, unknown, string][] = [
    ["prompt-chosen-rejected", [1, 2], "expected an object but found a list"],
    ["prompt-chosen-rejected", { prompt: "Q", chosen: "A" }, 'missing "rejected"'],
    ["prompt-chosen-rejected", { prompt: "Q", chosen: 1, rejected: "B" }, '"chosen" is a number, expected a string'],
    ["prompt-chosen-rejected", { prompt: "Q", chosen: "", rejected: "B" }, 'empty "chosen"'],
    ["prompt-chosen-rejected", { prompt: "Q", chosen: "A", rejected: " " }, 'empty "rejected"'],
    ["prompt-chosen-rejected", { prompt: "Q", chosen: "Same", rejected: "Same\n" }, '"chosen" and "rejected" are the same answer'],
    ["prompt-chosen-rejected", { prompt: "", chosen: "A", rejected: "B" }, 'empty "prompt"'],
    ["orca-dpo", { system: "", question: " ", chosen: "A", rejected: "B" }, 'empty "question"'],
    ["orca-dpo", { system: 3, question: "Q", chosen: "A", rejected: "B" }, '"system" is a number, expected a string'],
    ["messages", { chosen: [u("Q"), a("A")], rejected: [u("Q"), a("B"), u("more?")] }, 'the last message of "rejected" is from the user, expected the assistant\'s answer'],
    ["messages", { chosen: [u("Q"), a("A")], rejected: [u("Q2"), a("B")] }, '"chosen" and "rejected" have different prompts (the messages before the answer differ)'],
    ["messages", { chosen: [], rejected: [u("Q"), a("B")] }, '"chosen" has no messages'],
    ["messages", { chosen: [u("Q"), a("")], rejected: [u("Q"), a("B")] }, 'empty "chosen"'],
    ["messages", { chosen: [u("Q"), a("A")], rejected: [u("Q"), a("A")] }, '"chosen" and "rejected" are the same answer'],
    ["messages", { chosen: [a("A")], rejected: [a("B")] }, 'no prompt: "chosen" holds only the answer and "prompt" is missing'],
    ["messages", { prompt: " ", chosen: [a("A")], rejected: [a("B")] }, 'empty "prompt"'],
    ["messages", { chosen: [u(" "), a("A")], rejected: [u(" "), a("B")] }, "empty user text in chosen[0]"],
    ["messages", { chosen: [s("Sys"), a("A")], rejected: [s("Sys"), a("B")] }, "no user message in the prompt"],
    ["messages", { chosen: [{ role: "critic", content: "Q" }, a("A")], rejected: [u("Q"), a("B")] }, 'chosen[0] has role "critic", expected system, user or assistant'],
  ];
  for (const [format, bad, problem] of cases) {
    it(`${format}: ${problem}`, () => {
      const good = SAMPLES[format].row;
      const error = thrown(() => parsePairs(rows(good, bad, good), { format }));
      expect(error).toBeInstanceOf(BadRowsError);
      expect(error.message).toContain(`row 2 (p.json#2): ${problem}`);
      expect((error as BadRowsError).problems).toEqual([{ index: 2, where: "p.json#2", problem }]);
    });
  }

  it("leaves bad rows out with badRows skip", () => {
    const good = SAMPLES["orca-dpo"].row;
    const parsed = parsePairs(rows({ question: "Q", chosen: "A", rejected: "A" }, good, good), { badRows: "skip" });
    expect(parsed.format).toBe("orca-dpo");
    expect(parsed.pairs.map((p) => p.index)).toEqual([2, 3]);
    expect(parsed.skipped).toEqual([{ index: 1, where: "p.json#1", problem: '"chosen" and "rejected" are the same answer' }]);
  });
});

describe("parsePairs: data it cannot use", () => {
  it("refuses no rows", () => {
    expect(thrown(() => parsePairs([]))).toBeInstanceOf(TrainingDataError);
  });

  it("points instruction rows at dusk train sft", () => {
    const error = thrown(() => parsePairs(rows({ question: "Q", answer: "A" }))) as TrainingDataError;
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain("rows with keys question, answer");
    expect(error.hint).toContain("dusk train sft");
  });

  it("explains a named format whose fields most rows lack", () => {
    const row = SAMPLES["prompt-chosen-rejected"].row;
    const error = thrown(() => parsePairs(rows(row, row), { format: "orca-dpo" })) as TrainingDataError;
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain("(system, question, chosen, rejected) but 2 of 2 rows lack them");
    expect(error.message).toContain("keys are system, prompt, chosen, rejected");
    expect(error.hint).toContain("--format prompt-chosen-rejected");
  });
});

describe("parsePairs on files", () => {
  const dir = mkdtempSync(join(tmpdir(), "dusk-examples-pairs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the DPO pairs of `dusk data synth math`", async () => {
    await synthMath({ output: dir, count: 20, seed: 5 });
    const parsed = parsePairs(await readRows([join(dir, "dpo_train.jsonl"), join(dir, "dpo_test.jsonl")]));
    expect(parsed.format).toBe("prompt-chosen-rejected");
    expect(parsed.pairs).toHaveLength(20);
    for (const pair of parsed.pairs) {
      expect(pair.prompt).toHaveLength(1);
      expect(pair.prompt[0]?.role).toBe("user");
      expect(pair.chosen).not.toBe(pair.rejected);
    }
  });
});
