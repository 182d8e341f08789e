// How `dusk train sft` and `dusk train dpo` accept data: local files or folders pass through; a Hub dataset id
// (org/name[@revision]) is pulled into the Hugging Face cache (its .jsonl, .json and .parquet files) and the
// files of one split are picked by name (train-00000-of-00001.parquet → train; orca_rlhf.jsonl → orca_rlhf).
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { InvalidArgumentError } from "../common/index.js";
import { pullDataset } from "../hub/index.js";

/** A dataset id with an optional revision. */
const HUB_DATASET = /^([A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*)(?:@([\w./-]+))?$/;
/** Data files a dataset repository may hold (dataset_info.json and the like are not rows). */
const DATA_FILES = ["*.jsonl", "*.json", "*.parquet"];
const NOT_ROWS = /(^|\/)(dataset_infos?|dataset_dict|state)\.json$/;

/** The split a data file belongs to, from its name: the base name less extension and shard suffix. */
export function splitOfFile(path: string): string {
  return basename(path).replace(/\.(jsonl|json|parquet)$/i, "").replace(/-\d+-of-\d+$/, "").replace(/^(.*)-\d{5}$/, "$1");
}

/** Picks one split's files: the files named for `split`, or all when the files name only one split. */
export function pickSplit(paths: readonly string[], split: string | undefined, what: string): string[] {
  const wanted = split ?? "train";
  const matched = paths.filter((p) => splitOfFile(p) === wanted || p.split("/").slice(0, -1).includes(wanted));
  if (matched.length > 0) return matched;
  const splits = [...new Set(paths.map(splitOfFile))].sort();
  if (split === undefined && splits.length === 1) return [...paths];
  throw new InvalidArgumentError(`expected a "${wanted}" split in ${what} but its data files name ${splits.join(", ")}`, { hint: `choose one with --split, e.g. --split ${splits[0] ?? "train"}` });
}

/** Resolves `--data` values to local files, pulling Hub dataset ids on first use. */
export async function resolveTrainingData(refs: readonly string[], { split }: { split?: string | undefined } = {}): Promise<string[]> {
  const files: string[] = [];
  for (const ref of refs) {
    const local = await stat(ref).then(() => true, () => false);
    const hub = HUB_DATASET.exec(ref);
    if (local || hub === null) {
      files.push(ref); // a missing local path is reported by the reader, with its name
      continue;
    }
    const [, repo = "", revision] = hub;
    const pulled = await pullDataset(repo, { include: DATA_FILES, ...(revision !== undefined ? { revision } : {}) });
    const candidates = pulled.files.filter((f) => !NOT_ROWS.test(f.path));
    const chosen = new Set(pickSplit(candidates.map((f) => f.path), split, repo));
    files.push(...candidates.filter((f) => chosen.has(f.path)).map((f) => f.localPath));
  }
  return files;
}
