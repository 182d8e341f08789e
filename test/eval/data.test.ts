// Data loading: split names from files and folders, other configs kept out, Hub rows in parquet/JSON/JSON lines,
// the original formats (MMLU CSV without header, TruthfulQA mc_task.json key order, llama.cpp's HellaSwag text),
// doc ids, and the typed errors for missing data.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DataDirResolver, DatasetLoader, DatasetNotFoundError, DatasetNotLocalError, HubDatasetResolver, PROFILES, evaluate, resolveTasks } from "../../src/eval/index.js";
import { splitOfPath } from "../../src/eval/data/resolver.js";
import { FIXTURE_EVAL_DOCS, arcRows, writeFixtureDataDir } from "./fixtures.js";

const root = mkdtempSync(join(tmpdir(), "dusk-eval-data-"));
writeFixtureDataDir(root);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const leaderboard = PROFILES["leaderboard-v1"];
const taskOf = (name: string, profile = leaderboard) => resolveTasks(name, profile).tasks[0]!;

describe("split names", () => {
  it("come from the file name first, then the folders", () => {
    expect(splitOfPath("test-00000-of-00001.parquet")).toBe("test");
    expect(splitOfPath("ARC-Challenge/train-00000-of-00001.parquet")).toBe("train");
    expect(splitOfPath("hellaswag_val.txt")).toBe("validation");
    expect(splitOfPath("dev/abstract_algebra_dev.csv")).toBe("dev");
    expect(splitOfPath("validation/part-1.jsonl")).toBe("validation");
    expect(splitOfPath("mc_task.json")).toBeUndefined();
  });
});

describe("DataDirResolver", () => {
  const resolver = new DataDirResolver(root);

  it("keeps the wanted config when several are present (ARC-Challenge, winogrande xl, gsm8k main)", async () => {
    const arc = await resolver.resolve({ dataset: taskOf("arc_challenge").dataset, splits: ["test", "train"], defaultSplit: "test" });
    expect(arc.splits.test?.map((f) => relative(root, f))).toEqual([join("arc", "ARC-Challenge", "test-00000-of-00001.parquet")]);
    const wino = await resolver.resolve({ dataset: taskOf("winogrande").dataset, splits: ["train", "validation"], defaultSplit: "validation" });
    expect(wino.splits.train?.map((f) => relative(root, f))).toEqual([join("winogrande", "train_xl.jsonl")]);
    expect(wino.splits.validation?.map((f) => relative(root, f))).toEqual([join("winogrande", "dev.jsonl")]);
    const gsm = await resolver.resolve({ dataset: taskOf("gsm8k").dataset, splits: ["test"], defaultSplit: "test" });
    expect(gsm.splits.test?.map((f) => relative(root, f))).toEqual([join("gsm8k", "main", "test.jsonl")]);
  });

  it("raises DatasetNotFoundError for a missing folder or split, naming what it found", async () => {
    const missing = new DataDirResolver(join(root, "nowhere"));
    await expect(missing.resolve({ dataset: taskOf("gsm8k").dataset, splits: ["test"], defaultSplit: "test" })).rejects.toThrow(DatasetNotFoundError);
    await expect(resolver.resolve({ dataset: taskOf("gsm8k").dataset, splits: ["validation"], defaultSplit: "test" })).rejects.toThrow(
      /expected a validation split in .*gsm8k .* but found only (train, test|test, train)/,
    );
  });

  it("without --data-dir, offline and with an empty Hub cache, says to pass --data-dir", async () => {
    const cacheDir = join(root, "empty-hub-cache");
    const offline = { cacheDir, env: {}, offline: true };
    await expect(new HubDatasetResolver(offline).resolve({ dataset: taskOf("gsm8k").dataset, splits: ["test"], defaultSplit: "test" })).rejects.toThrow(DatasetNotLocalError);
    vi.stubEnv("HF_HUB_OFFLINE", "1");
    vi.stubEnv("HF_HUB_CACHE", cacheDir);
    try {
      await expect(evaluate({ tasks: "gsm8k", dumpPrompts: join(root, "x.jsonl"), progress: false })).rejects.toThrow(/dataset not found locally; pass --data-dir/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("DatasetLoader on Hub-schema files", () => {
  const loader = new DatasetLoader(new DataDirResolver(root));

  it("reads ARC from parquet (nested choices), numbering docs by row", async () => {
    const data = await loader.load(taskOf("arc_challenge"), leaderboard, 25);
    expect(data.evalDocs.map((d) => d.docId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const expected = arcRows(FIXTURE_EVAL_DOCS.arc_challenge, "test")[3] as { question: string; choices: { text: string[] } };
    const doc = data.evalDocs[3]?.doc as { query: string; choices: string[]; gold: number };
    expect(doc.query).toBe(`Question: ${expected.question}\nAnswer:`);
    expect(doc.choices).toEqual(expected.choices.text);
    expect(data.pool?.size).toBe(30);
  });

  it("numbers MMLU docs within their subject when all subjects share one parquet file", async () => {
    const data = await loader.load(taskOf("mmlu_virology"), leaderboard, 5);
    expect(data.evalDocs.map((d) => d.docId)).toEqual([0, 1]);
    expect((data.evalDocs[0]?.doc as { query: string }).query.startsWith("In virology, what is item 0 of the test set?\n")).toBe(true);
    expect(data.pool?.size).toBe(5);
  });
});

describe("the original formats", () => {
  const original = mkdtempSync(join(tmpdir(), "dusk-eval-orig-"));
  afterAll(() => rmSync(original, { recursive: true, force: true }));
  mkdirSync(join(original, "mmlu", "test"), { recursive: true });
  mkdirSync(join(original, "mmlu", "dev"), { recursive: true });
  writeFileSync(join(original, "mmlu", "test", "virology_test.csv"), '"What, exactly, is a ""virus""?",a,b,"multi\nline",d,C\nSecond?,1,2,3,4,A\n');
  writeFileSync(join(original, "mmlu", "dev", "virology_dev.csv"), "D1?,a,b,c,d,B\n");
  mkdirSync(join(original, "truthfulqa"));
  writeFileSync(
    join(original, "truthfulqa", "mc_task.json"),
    // written as text: a JavaScript object literal would already have moved "7" and "1999" to the front
    '[{"question": "Q?", "mc1_targets": {"zeta": 1, "7": 0}, "mc2_targets": {"zeta": 1, "7": 0, "1999": 1}}]',
  );
  mkdirSync(join(original, "hellaswag_llamacpp"));
  writeFileSync(join(original, "hellaswag_llamacpp", "hellaswag_val.txt"), "Ctx one: a man. he\n2\nruns.\nsits.\njumps.\nwaits.\nCtx two. she\n0\na\nb\nc\nd\n");
  const loader = new DatasetLoader(new DataDirResolver(original));

  it("MMLU CSV without header: RFC 4180 quoting, subject from the file name", async () => {
    const data = await loader.load(taskOf("mmlu_virology"), leaderboard, 5);
    const doc = data.evalDocs[0]?.doc as { query: string; gold: number };
    expect(doc.query).toBe('What, exactly, is a "virus"?\nA. a\nB. b\nC. multi\nline\nD. d\nAnswer:');
    expect(doc.gold).toBe(2);
    expect(data.evalDocs[1]?.docId).toBe(1);
  });

  it("TruthfulQA mc_task.json: object key order is the choice order, integer-like keys included", async () => {
    const data = await loader.load(taskOf("truthfulqa_mc"), leaderboard, 0);
    const doc = data.evalDocs[0]?.doc as { mc1Choices: string[]; mc2Choices: string[]; mc2Labels: number[] };
    expect(doc.mc1Choices).toEqual(["zeta", "7"]);
    expect(doc.mc2Choices).toEqual(["zeta", "7", "1999"]);
    expect(doc.mc2Labels).toEqual([1, 0, 1]);
  });

  it("llama.cpp's HellaSwag text: 6 lines a task, read for the llamacpp profile only", async () => {
    const llamacpp = PROFILES.llamacpp;
    const data = await loader.load(taskOf("hellaswag", llamacpp), llamacpp, 0);
    expect(data.evalDocs).toHaveLength(2);
    const doc = data.evalDocs[0]?.doc as { llamaContext: string; choices: string[]; gold: number };
    expect(doc).toMatchObject({ llamaContext: "Ctx one: a man. he", choices: ["runs.", "sits.", "jumps.", "waits."], gold: 2 });
    await expect(loader.load(taskOf("hellaswag"), leaderboard, 0)).rejects.toThrow(DatasetNotFoundError);
  });
});
