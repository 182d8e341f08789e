// Eval data from the Hub: without a data directory, a task's parquet files are pulled from a fake Hub (the
// refs/convert/parquet branch of a dataset repository) into a temporary Hugging Face cache through src/hub, give the
// same prompts as the same rows given with --data-dir, and a second run with HF_HUB_OFFLINE=1 reads only the cache.
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { DatasetNotLocalError, HubDatasetResolver, PROFILES, evaluate, resolveTasks } from "../../src/eval/index.js";
import { FakeHub, type FakeFile } from "../support/fake-hub.js";
import { arcRows, winograndeRows } from "./fixtures.js";
import { writeParquet, type ParquetField } from "./parquet-writer.js";

const ARC_FIELDS: ParquetField[] = [
  { name: "id", type: "string" },
  { name: "question", type: "string" },
  { name: "choices", type: "struct", fields: [{ name: "text", type: "list<string>" }, { name: "label", type: "list<string>" }] },
  { name: "answerKey", type: "string" },
];
const WINOGRANDE_FIELDS: ParquetField[] = ["qID", "sentence", "option1", "option2", "answer"].map((name) => ({ name, type: "string" as const }));
const PARQUET = "refs/convert/parquet";

const root = mkdtempSync(join(tmpdir(), "dusk-eval-hub-"));
const dataDir = join(root, "data");
let hub: FakeHub;

/** Writes rows as parquet at dataDir/<folder>/<path> and returns the file for the fake Hub (path in the repository). */
function parquetFile(folder: string, path: string, fields: ParquetField[], rows: Record<string, unknown>[]): FakeFile {
  const local = join(dataDir, folder, path);
  mkdirSync(dirname(local), { recursive: true });
  writeParquet(local, fields, rows);
  return { path, bytes: readFileSync(local), lfs: true };
}

beforeAll(async () => {
  const arc = [
    parquetFile("arc", "ARC-Challenge/train/0000.parquet", ARC_FIELDS, arcRows(30, "train")),
    parquetFile("arc", "ARC-Challenge/test/0000.parquet", ARC_FIELDS, arcRows(8, "test")),
    parquetFile("arc", "ARC-Easy/test/0000.parquet", ARC_FIELDS, arcRows(3, "easy-decoy")),
  ];
  const winogrande = [
    parquetFile("winogrande", "winogrande_xl/train/0000.parquet", WINOGRANDE_FIELDS, winograndeRows(25, "xl")),
    parquetFile("winogrande", "winogrande_xl/validation/0000.parquet", WINOGRANDE_FIELDS, winograndeRows(6, "dev")),
    parquetFile("winogrande", "winogrande_xs/train/0000.parquet", WINOGRANDE_FIELDS, winograndeRows(3, "xs")),
  ];
  hub = await FakeHub.start([
    { id: "allenai/ai2_arc", type: "dataset", branches: [PARQUET], files: [...arc, { path: "README.md", bytes: Buffer.from("# ARC\n") }] },
    { id: "winogrande", type: "dataset", branches: [PARQUET], files: winogrande },
  ]);
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});
afterEach(() => vi.unstubAllEnvs());

/** Points the Hub layer at the fake Hub and a cache folder, with no token. */
function useHub(cacheDir: string, offline: boolean): void {
  vi.stubEnv("HF_ENDPOINT", hub.endpoint);
  vi.stubEnv("HF_HUB_CACHE", cacheDir);
  vi.stubEnv("HF_HOME", join(root, "hf-home"));
  vi.stubEnv("HF_TOKEN", "");
  vi.stubEnv("HF_HUB_OFFLINE", offline ? "1" : "0");
}

describe("HubDatasetResolver", () => {
  it("pulls the needed parquet files once and gives the same prompts as --data-dir, also offline afterwards", async () => {
    const cacheDir = join(root, "cache");
    const tasks = "arc_challenge,winogrande";
    const fromDir = join(root, "from-dir.jsonl");
    await evaluate({ tasks, dataDir, dumpPrompts: fromDir, progress: false });
    expect(hub.requests).toHaveLength(0);

    useHub(cacheDir, false);
    const fromHub = join(root, "from-hub.jsonl");
    await evaluate({ tasks, dumpPrompts: fromHub, progress: false });
    const expected = readFileSync(fromDir, "utf8");
    expect(expected.split("\n").length).toBeGreaterThan(14);
    expect(readFileSync(fromHub, "utf8")).toBe(expected);
    // Only the wanted config's splits, each once; the decoy configs and the README stay on the Hub.
    expect(hub.downloads()).toBe(4);
    expect(hub.downloads("ARC-Easy/test/0000.parquet") + hub.downloads("winogrande_xs/train/0000.parquet") + hub.downloads("README.md")).toBe(0);
    expect(hub.requests.some((r) => r.path.startsWith("/api/datasets/allenai/ai2_arc/revision/refs%2Fconvert%2Fparquet"))).toBe(true);
    // The huggingface_hub layout: datasets--org--name, refs/<branch> holding the commit, snapshot links to blobs.
    const arcFolder = join(cacheDir, "datasets--allenai--ai2_arc");
    expect(readFileSync(join(arcFolder, "refs", "refs", "convert", "parquet"), "utf8")).toBe(hub.commitOf("datasets/allenai/ai2_arc"));
    const pointer = join(arcFolder, "snapshots", hub.commitOf("datasets/allenai/ai2_arc"), "ARC-Challenge", "test", "0000.parquet");
    expect(lstatSync(pointer).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(cacheDir, "datasets--winogrande", "blobs", hub.etagOf("datasets/winogrande", "winogrande_xl/validation/0000.parquet"))).isFile()).toBe(true);

    const requestsBefore = hub.requests.length;
    useHub(cacheDir, true);
    const offline = join(root, "offline.jsonl");
    await evaluate({ tasks, dumpPrompts: offline, progress: false });
    expect(readFileSync(offline, "utf8")).toBe(expected);
    expect(hub.requests.length).toBe(requestsBefore);
  });

  it("returns the split files and raises DatasetNotLocalError offline with an empty cache", async () => {
    const task = resolveTasks("winogrande", PROFILES["leaderboard-v1"]).tasks[0]!;
    const request = { dataset: task.dataset, splits: ["validation" as const], defaultSplit: "validation" as const };
    const cacheDir = join(root, "cache-2");
    const files = await new HubDatasetResolver({ endpoint: hub.endpoint, cacheDir, env: {}, quiet: true }).resolve(request);
    expect(files.splits.validation).toEqual([join(files.root, "validation", "0000.parquet")]);
    expect(readFileSync(files.splits.validation![0]!)).toEqual(readFileSync(join(dataDir, "winogrande", "winogrande_xl", "validation", "0000.parquet")));
    const empty = new HubDatasetResolver({ endpoint: hub.endpoint, cacheDir: join(root, "cache-empty"), env: {}, offline: true });
    await expect(empty.resolve(request)).rejects.toThrow(DatasetNotLocalError);
    await expect(new HubDatasetResolver({ cacheDir, env: {}, offline: true }).resolve({ ...request, splits: ["train"] })).rejects.toThrow(
      /dataset not found locally; pass --data-dir \(expected local files for winogrande \(winogrande_xl\)\)/,
    );
  });
});
