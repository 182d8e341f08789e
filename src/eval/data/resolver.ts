// Finding a dataset's files: the DatasetResolver interface, the --data-dir implementation (a folder per dataset,
// the split named by file or folder), and the Hub implementation (the Hub's parquet export, pulled once into the
// Hugging Face cache through src/hub; later runs, also with HF_HUB_OFFLINE=1, read the cache).
import { readdir, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { DuskError, type DuskErrorOptions } from "../../common/index.js";
import { HubOfflineError, NoMatchingFilesError, pullDataset, type PullDatasetOptions, type PullResult } from "../../hub/index.js";
import { DatasetNotFoundError } from "../errors.js";
import type { DatasetFolder, DatasetSpec, SplitName } from "../tasks/types.js";
import { DATA_EXTENSIONS } from "./readers.js";

/** A dataset's local files, by split, each list in shard order. */
export interface DatasetFiles {
  /** The folder the files were found in (for messages). */
  root: string;
  splits: Partial<Record<SplitName, string[]>>;
}

/** What a resolver is asked for. */
export interface DatasetRequest {
  dataset: DatasetSpec;
  /** Read this folder instead of dataset.folder (llama.cpp's HellaSwag text lives in hellaswag_llamacpp/). */
  folder?: DatasetFolder;
  /** The splits the task needs. */
  splits: SplitName[];
  /** The split that files named by no split count as (TruthfulQA's mc_task.json is the validation split). */
  defaultSplit: SplitName;
}

/** Turns a task's dataset into local file paths. */
export interface DatasetResolver {
  resolve(request: DatasetRequest): Promise<DatasetFiles>;
}

/** Split words as they appear in file and folder names. Winogrande's original release calls its validation split dev. */
const SPLIT_WORDS: Readonly<Record<string, SplitName>> = {
  train: "train",
  training: "train",
  validation: "validation",
  val: "validation",
  valid: "validation",
  test: "test",
  dev: "dev",
};

/** Paths that never hold the leaderboard's data: other configs of the same Hub dataset. */
const EXCLUDED: Partial<Record<DatasetFolder, RegExp>> = { arc: /easy/i, truthfulqa: /generation/i };

/** Reads datasets from --data-dir DIR: DIR/<folder>/..., the split named by file or folder. */
export class DataDirResolver implements DatasetResolver {
  constructor(private readonly dataDir: string) {}

  async resolve({ dataset, folder = dataset.folder, splits, defaultSplit }: DatasetRequest): Promise<DatasetFiles> {
    const root = join(this.dataDir, folder);
    const info = await stat(root).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new DatasetNotFoundError(`expected a folder ${root} with the ${dataset.hubId} data but found none`);
    }
    const files = (await listDataFiles(root, 4)).filter((file) => !EXCLUDED[folder]?.test(relative(root, file)));
    const bySplit: Partial<Record<SplitName, string[]>> = {};
    const unnamed: string[] = [];
    for (const file of files) {
      let split = splitOfPath(relative(root, file));
      if (split === "dev" && folder === "winogrande") split = "validation";
      if (split === undefined) unnamed.push(file);
      else (bySplit[split] ??= []).push(file);
    }
    if (unnamed.length > 0 && bySplit[defaultSplit] === undefined) bySplit[defaultSplit] = unnamed;
    const result: Partial<Record<SplitName, string[]>> = {};
    for (const split of splits) {
      const found = bySplit[split];
      if (!found || found.length === 0) {
        throw new DatasetNotFoundError(`expected a ${split} split in ${root} (a file or folder named ${split}) but found ${describeSplits(bySplit)}`);
      }
      result[split] = preferConfig(found, root, dataset.configPattern, folder).sort();
    }
    return { root, splits: result };
  }
}

/** Raised when the data is neither given with --data-dir nor in the Hub cache, and the Hub may not be asked (offline). */
export class DatasetNotLocalError extends DuskError {
  constructor(hubId: string, options: DuskErrorOptions = {}) {
    super("EVAL_DATASET_NOT_LOCAL", `dataset not found locally; pass --data-dir (expected local files for ${hubId})`, {
      hint: "run once online (unset HF_HUB_OFFLINE) to cache the Hub's parquet files, or put the task's files into DIR/<task folder>/ and pass --data-dir DIR",
      ...options,
    });
  }
}

/** The Hub's parquet export of every dataset: `{config}/{split}/NNNN.parquet` (`partial-{split}` for cut splits). */
export const PARQUET_REVISION = "refs/convert/parquet";

/**
 * The config folder a task reads in the parquet export. One layout for every task (the repositories' own main
 * branches differ: scripts, jsonl, parquet), all at revision refs/convert/parquet:
 *   allenai/ai2_arc   ARC-Challenge/{train,validation,test}/0000.parquet
 *   Rowan/hellaswag   default/{train,validation,test}/0000.parquet        (no config: "default")
 *   cais/mmlu         all/{dev,validation,test}/0000.parquet              (one config for all 57 subjects; rows carry `subject`)
 *   truthful_qa       multiple_choice/validation/0000.parquet
 *   winogrande        winogrande_xl/{train,validation,test}/0000.parquet
 *   gsm8k             main/{train,test}/0000.parquet
 */
function parquetConfig(dataset: DatasetSpec): string {
  if (dataset.folder === "mmlu") return "all";
  return dataset.hubConfig ?? "default";
}

/**
 * Reads datasets from the Hub: pulls the parquet files of the task's config and splits (revision
 * refs/convert/parquet) into the Hugging Face cache through src/hub, once; later runs reuse the cache, and with
 * HF_HUB_OFFLINE=1 read only the cache (DatasetNotLocalError when it lacks them).
 */
export class HubDatasetResolver implements DatasetResolver {
  /** @param options Hub settings and pull options (cache folder, endpoint, quiet, ...). Defaults to the environment's. */
  constructor(private readonly options: PullDatasetOptions = {}) {}

  async resolve({ dataset, folder = dataset.folder, splits }: DatasetRequest): Promise<DatasetFiles> {
    const config = parquetConfig(dataset);
    const what = dataset.hubConfig ? `${dataset.hubId} (${dataset.hubConfig})` : dataset.hubId;
    if (folder !== dataset.folder) throw new DatasetNotFoundError(`expected ${folder}/ in a --data-dir but found no --data-dir (the Hub has only ${what})`);
    const include = splits.flatMap((split) => [`${config}/${split}/*.parquet`, `${config}/partial-${split}/*.parquet`]);
    let pulled: PullResult;
    try {
      pulled = await pullDataset(dataset.hubId, { revision: PARQUET_REVISION, ...this.options, include });
    } catch (error) {
      if (error instanceof HubOfflineError) throw new DatasetNotLocalError(what, { cause: error });
      if (error instanceof NoMatchingFilesError) {
        throw new DatasetNotFoundError(`expected the ${splits.join(", ")} split(s) of ${what} as ${config}/<split>/*.parquet on the Hub's ${PARQUET_REVISION} branch but found none`, { cause: error });
      }
      throw error;
    }
    const result: Partial<Record<SplitName, string[]>> = {};
    for (const split of splits) {
      const files = pulled.files.filter((file) => file.path.startsWith(`${config}/${split}/`) || file.path.startsWith(`${config}/partial-${split}/`));
      if (files.length === 0) {
        throw new DatasetNotFoundError(`expected a ${split} split of ${what} (${config}/${split}/*.parquet at ${PARQUET_REVISION}) but found none`);
      }
      result[split] = files.map((file) => file.localPath).sort();
    }
    return { root: join(pulled.snapshotPath, config), splits: result };
  }
}

/** The split a relative path names: the file name's words first, then the folders from the innermost out. */
export function splitOfPath(relativePath: string): SplitName | undefined {
  const parts = relativePath.split(sep).flatMap((p) => p.split("/"));
  const name = parts.pop() ?? "";
  const candidates = [name.replace(/\.[^.]+$/, ""), ...parts.reverse()];
  for (const candidate of candidates) {
    for (const word of candidate.toLowerCase().split(/[^a-z0-9]+/)) {
      const split = SPLIT_WORDS[word];
      if (split) return split;
    }
  }
  return undefined;
}

/** Within one split, keeps the files of the wanted config when several configs are present. */
function preferConfig(files: string[], root: string, pattern: RegExp | undefined, folder: DatasetFolder): string[] {
  let kept = files;
  if (pattern) {
    const matching = files.filter((f) => pattern.test(relative(root, f)));
    if (matching.length > 0) kept = matching;
  }
  if (folder === "mmlu") {
    // cais/mmlu ships both per-subject folders and an "all" folder: read one of them, not both.
    const all = kept.filter((f) => relative(root, f).split(/[\\/]/).includes("all"));
    if (all.length > 0 && all.length < kept.length) kept = all;
  }
  return kept;
}

function describeSplits(bySplit: Partial<Record<SplitName, string[]>>): string {
  const names = Object.keys(bySplit);
  return names.length > 0 ? `only ${names.join(", ")}` : "no data files";
}

/** Data files under `folder`, recursively up to `depth` levels, skipping hidden files and licence/readme files. */
export async function listDataFiles(folder: string, depth: number): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(folder, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (depth > 0) out.push(...(await listDataFiles(path, depth - 1)));
    } else if (DATA_EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext)) && !/^(license|readme)/i.test(basename(path))) {
      out.push(path);
    }
  }
  return out;
}
