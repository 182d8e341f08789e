// `dusk data synth math` end to end: the four jsonl files (rows of the chosen format, checkable by isCorrect),
// byte-identical reruns for a seed, nothing left behind but the files, and the command line's output and errors.
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { extractAnswer, isCorrect, synthMath } from "../src/train/index.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-synth-math-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rows(path: string): Promise<Record<string, string>[]> {
  const text = await readFile(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, string>);
}

describe("synthMath", () => {
  it("writes train, test and DPO files whose answers check as correct and rejected answers as wrong", async () => {
    const output = join(dir, "gsm");
    const result = await synthMath({ output, count: 120, seed: 4, testSize: 20, steps: { min: 1, max: 3 }, digits: { min: 1, max: 2 } });
    expect(result.files.map((f) => f.slice(output.length + 1))).toEqual(["train.jsonl", "test.jsonl", "dpo_train.jsonl", "dpo_test.jsonl"]);
    expect((await readdir(output)).sort()).toEqual(["dpo_test.jsonl", "dpo_train.jsonl", "test.jsonl", "train.jsonl"]);
    const [train, test, dpoTrain, dpoTest] = await Promise.all(result.files.map(rows));
    expect([train!.length, test!.length, dpoTrain!.length, dpoTest!.length]).toEqual([100, 20, 100, 20]);
    for (const row of [...train!, ...test!]) {
      expect(Object.keys(row)).toEqual(["question", "answer"]);
      expect(isCorrect(row.answer!, row as { answer: string })).toBe(true);
    }
    for (const row of [...dpoTrain!, ...dpoTest!]) {
      expect(Object.keys(row)).toEqual(["prompt", "chosen", "rejected"]);
      expect(isCorrect(row.rejected!, row as { chosen: string })).toBe(false);
      expect(extractAnswer(row.rejected!)).toBeDefined();
    }
    expect(dpoTest!.map((r) => r.prompt)).toEqual(test!.map((r) => r.question));
    expect(result.mistakes["off-by-one"] + result.mistakes["wrong-operation"] + result.mistakes["dropped-step"]).toBe(120);
  });

  it("writes Alpaca rows with --format alpaca, and the same bytes again for the same seed", async () => {
    const [first, second] = [join(dir, "alpaca-1"), join(dir, "alpaca-2")];
    await synthMath({ output: first, count: 50, seed: 9, format: "alpaca" });
    await synthMath({ output: second, count: 50, seed: 9, format: "alpaca" });
    const train = await rows(join(first, "train.jsonl"));
    for (const row of train) {
      expect(Object.keys(row)).toEqual(["instruction", "input", "output"]);
      expect(row.input).toBe("");
      expect(row.output).toMatch(/\n?#### \d+$/);
    }
    for (const name of ["train.jsonl", "test.jsonl", "dpo_train.jsonl", "dpo_test.jsonl"]) {
      expect(await readFile(join(second, name), "utf8"), name).toBe(await readFile(join(first, name), "utf8"));
    }
  });
});

describe("dusk data synth math", () => {
  const cli = runCli;


  it("writes the files and prints their row counts", async () => {
    const output = join(dir, "cli");
    const result = await cli("data", "synth", "math", "-o", output, "--count", "40", "--test-size", "0.25", "--steps", "2", "--digits", "1-2", "--ops", "+,*");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/train\.jsonl\s+30/);
    expect(result.stdout).toMatch(/dpo_test\.jsonl\s+10/);
    const train = await rows(join(output, "train.jsonl"));
    for (const row of train) expect(row.answer!.match(/<<\d+[+*]\d+=\d+>>/g)).toHaveLength(2);
  });

  it("prints bad options as one error line with a hint", async () => {
    const result = await cli("data", "synth", "math", "-o", join(dir, "never"), "--digits", "1-9");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^dusk: error: expected --digits as a range .* but got "1-9"\n {2}hint: /);
    await expect(readdir(join(dir, "never"))).rejects.toThrow();
  });
});
