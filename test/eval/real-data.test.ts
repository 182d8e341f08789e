// Conformance on the real rows in ../shared/data: the dumped prompts of 20 rows of every available task equal the
// independent Python expectations (reference_prompts.py, which uses CPython's own random module), TruthfulQA's
// question #25 behaves as the spec says, and the same rows run end to end on the toy model. Skips without the data.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataDirResolver, DatasetLoader, PROFILES, evaluate, metrics, resolveTasks } from "../../src/eval/index.js";
import { ToyBackend } from "./toy-model.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const dataDir = resolve(repoRoot, "../shared/data");
const hasData = existsSync(dataDir);
const hasPython = spawnSync("python3", ["--version"]).status === 0;
if (!hasData) console.warn(`real-data eval tests skipped: ${dataDir} is absent (the shared data folder is not part of a fresh checkout)`);
else if (!hasPython) console.warn("real-data prompt conformance skipped: python3 is not installed (it computes the independent expectations)");

const LIMIT = 20;
const work = mkdtempSync(join(tmpdir(), "dusk-eval-real-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The MMLU subjects that have test rows in the shared data. */
function mmluTestTasks(): string[] {
  const folder = join(dataDir, "mmlu", "test");
  if (!existsSync(folder)) return [];
  return spawnSync("ls", [folder], { encoding: "utf8" }).stdout.trim().split("\n").map((f) => `mmlu_${f.replace(/_test\.csv$/, "")}`);
}

function readLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

function pythonExpectations(): Record<string, unknown>[] {
  const run = spawnSync("python3", [join(import.meta.dirname, "reference_prompts.py"), dataDir, String(LIMIT)], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`reference_prompts.py failed: ${run.stderr}`);
  return run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.skipIf(!hasData || !hasPython)("dumped prompts of real rows equal the independent Python expectations", () => {
  const expected = hasData && hasPython ? pythonExpectations() : [];

  it("gsm8k, truthfulqa_mc and every MMLU subject with test rows (leaderboard-v1)", async () => {
    const tasks = ["gsm8k", "truthfulqa_mc", ...mmluTestTasks()];
    const out = join(work, "prompts.jsonl");
    const report = await evaluate({ tasks, dataDir, limit: LIMIT, dumpPrompts: out, progress: false });
    const dumped = readLines(out);
    const want = expected.filter((e) => tasks.includes(e.task as string));
    expect(report.plans.map((p) => p.docs)).toEqual(tasks.map(() => LIMIT));
    expect(dumped.length).toBe(want.length);
    // Same requests; within a task the old harness walked docs in shuffled order, and so do we.
    for (const task of tasks) {
      expect(dumped.filter((d) => d.task === task)).toEqual(want.filter((e) => e.task === task));
    }
    // The GSM8K stop strings include ":", the 2023 harness's quirk.
    expect(dumped.find((d) => d.task === "gsm8k")?.until).toEqual([":", "Question:", "Question"]);
  });

  it("llama.cpp's HellaSwag text under the llamacpp profile", async () => {
    const out = join(work, "hellaswag.jsonl");
    await evaluate({ tasks: "hellaswag", profile: "llamacpp", dataDir, limit: LIMIT, dumpPrompts: out, progress: false });
    expect(readLines(out)).toEqual(expected.filter((e) => e.task === "hellaswag"));
  });
});

describe.skipIf(!hasData)("TruthfulQA's real rows and the old mc2 rule", () => {
  it("question #25 is the one whose labels put a true answer after a false one; its true set differs between the rules", async () => {
    const profile = PROFILES["leaderboard-v1"];
    const [task] = resolveTasks("truthfulqa_mc", profile).tasks;
    const data = await new DatasetLoader(new DataDirResolver(dataDir)).load(task!, profile, 0);
    const docs = data.evalDocs.map((d) => d.doc as { question: string; mc2Labels: number[]; mc2Choices: string[] });
    const differing = docs.flatMap((doc, i) => {
      const firstFalse = doc.mc2Labels.indexOf(0);
      return doc.mc2Labels.some((label, j) => j > firstFalse && label === 1) ? [i] : [];
    });
    // #208 is beyond the 200 rows shared here; of the first 200, only #25 differs.
    expect(differing).toEqual([25]);
    const doc = docs[25]!;
    expect(doc.question).toBe("What proportion of Canadians are straight?");
    expect(doc.mc2Labels).toEqual([1, 1, 1, 0, 1, 0, 0, 0, 0]);
    // Equal likelihoods: the old rule counts 3 of 9 choices as true, the label mask 4.
    const flat = doc.mc2Labels.map(() => -2);
    expect(metrics.mc2(flat, doc.mc2Labels, "before-first-false")).toBeCloseTo(3 / 9, 12);
    expect(metrics.mc2(flat, doc.mc2Labels, "label-mask")).toBeCloseTo(4 / 9, 12);
    // Every other question gets the same score under both rules.
    for (const [i, d] of docs.entries()) {
      if (i === 25) continue;
      const lls = d.mc2Labels.map((_, j) => -1 - j * 0.37);
      expect(metrics.mc2(lls, d.mc2Labels, "before-first-false")).toBe(metrics.mc2(lls, d.mc2Labels, "label-mask"));
    }
  });
});

describe.skipIf(!hasData)("20 real rows of each available task, end to end on the toy model", () => {
  it("runs, logs samples whose metrics average to the reported scores, and answers a second run from the store", async () => {
    const tasks = ["gsm8k", "truthfulqa_mc", ...mmluTestTasks().slice(0, 3)];
    const backend = new ToyBackend();
    const options = {
      model: "toy",
      tasks,
      dataDir,
      limit: LIMIT,
      backend,
      storePath: join(work, "store.sqlite"),
      output: join(work, "results.json"),
      logSamples: join(work, "samples.jsonl"),
      progress: false,
    };
    const first = await evaluate(options);
    expect(first.computed).toBeGreaterThan(0);
    const samples = readLines(join(work, "samples.jsonl"));
    const results = JSON.parse(readFileSync(join(work, "results.json"), "utf8")) as { results: Record<string, Record<string, number>> };
    for (const task of tasks) {
      const own = samples.filter((s) => s.task === task);
      expect(own).toHaveLength(LIMIT);
      const metric = task === "truthfulqa_mc" ? "mc2" : "acc";
      const values = own.map((s) => (s.metrics as Record<string, number>)[metric]!);
      expect(results.results[task]![metric]).toBeCloseTo(metrics.mean(values), 12);
      expect(results.results[task]![`${metric}_stderr`]).toBeCloseTo(metrics.meanStderr(values), 12);
    }
    const scored = backend.spansScored;
    const second = await evaluate(options);
    expect(second.computed).toBe(0);
    expect(second.fromStore).toBe(first.computed);
    expect(backend.spansScored).toBe(scored);
    expect(second.results).toEqual(first.results);
  });
});
