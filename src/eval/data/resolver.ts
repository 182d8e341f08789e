// Finding a dataset's files: the DatasetResolver interface, the --data-dir implementation (a folder per dataset,
// the split named by file or folder), and the hook for the Hub (not wired yet: src/hub is being built).
import { readdir, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { DuskError } from "../../common/index.js";
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

/** Raised until the Hub resolver is wired to src/hub: data must be given with --data-dir. */
export class DatasetNotLocalError extends DuskError {
  constructor(hubId: string) {
    super("EVAL_DATASET_NOT_LOCAL", `dataset not found locally; pass --data-dir (expected local files for ${hubId})`, {
      hint: "download the task's parquet files (or use the original formats) into DIR/<task folder>/ and pass --data-dir DIR",
    });
  }
}

/**
 * The Hub hook: will download the Hub's parquet files for dataset.hubId/hubConfig into the Hub cache through
 * src/hub and return their paths. Until src/hub exports a dataset download, it raises DatasetNotLocalError.
 */
export class HubDatasetResolver implements DatasetResolver {
  resolve({ dataset }: DatasetRequest): Promise<DatasetFiles> {
    return Promise.reject(new DatasetNotLocalError(dataset.hubConfig ? `${dataset.hubId} (${dataset.hubConfig})` : dataset.hubId));
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
