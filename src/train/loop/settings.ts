// What SFT and DPO runs share besides the loop: their common settings (merged from the options given, the resumed
// run's and the defaults, then checked), and their data (the files given or the resumed run's, read and split into
// training and held-out parts by --eval-data or --held-out).
import { InvalidArgumentError } from "../../common/index.js";
import type { ScheduleSettings } from "../pretrain/index.js";
import { splitHeldOut } from "./split.js";

/** What to do with an example longer than --seq-len. */
export type TooLongPolicy = "truncate" | "skip" | "error";
export const TOO_LONG_POLICIES: readonly TooLongPolicy[] = ["truncate", "skip", "error"];

/** The settings every fine-tuning run has (kept in trainer_state.json so that --resume reproduces the run). */
export interface FineTuneSettings extends ScheduleSettings {
  /** Passes over the data when maxSteps is not given. */
  readonly epochs: number;
  readonly tooLong: TooLongPolicy;
  /** Held-out problems decoded greedily for exact match (worked answers only); 0 for none. */
  readonly exactMatchSamples: number;
  readonly maxNewTokens: number;
}

/** Settings before the number of steps is known (it may follow from --epochs and the data). */
export type SettingsDraft<S extends FineTuneSettings> = Omit<S, "maxSteps"> & { readonly maxSteps: number | undefined };

/**
 * The settings of a run: each one given, else the resumed run's, else the default. minLr defaults to lr / 10 (the
 * resumed run's when lr is not given again). Throws InvalidArgumentError for values out of range.
 */
export function resolveSettings<S extends FineTuneSettings>(defaults: Omit<S, "maxSteps">, options: Partial<S>, saved: S | undefined): SettingsDraft<S> {
  const given = options as Readonly<Record<string, unknown>>;
  const merged: Record<string, unknown> = { ...(saved ?? defaults) };
  for (const key of Object.keys(defaults)) if (given[key] !== undefined) merged[key] = given[key];
  merged.minLr = options.minLr ?? (saved !== undefined && options.lr === undefined ? saved.minLr : (merged.lr as number) / 10);
  merged.maxSteps = options.maxSteps ?? saved?.maxSteps;
  const s = merged as SettingsDraft<S>;
  const check = (ok: boolean, what: string, value: unknown): void => {
    if (!ok) throw new InvalidArgumentError(`expected ${what} but got ${String(value)}`);
  };
  for (const key of ["batchSize", "seqLen", "gradAccum", "maxNewTokens"] as const) check(Number.isInteger(s[key]) && s[key] >= 1, `${key} to be a positive integer`, s[key]);
  for (const key of ["warmup", "evalEvery", "saveEvery", "seed", "exactMatchSamples"] as const) check(Number.isInteger(s[key]) && s[key] >= 0, `${key} to be an integer >= 0`, s[key]);
  if (s.maxSteps !== undefined) check(Number.isInteger(s.maxSteps) && s.maxSteps >= 1, "--max-steps to be a positive integer", s.maxSteps);
  check(s.epochs > 0, "--epochs > 0", s.epochs);
  check(s.lr > 0, "--lr > 0", s.lr);
  check(s.heldOut >= 0 && s.heldOut < 0.5, "--held-out in [0, 0.5)", s.heldOut);
  return s;
}

/** Loaded data: the items (examples or pairs) and their tokenized forms, index for index. */
export interface LoadedData<I, E> {
  readonly items: readonly I[];
  readonly encoded: readonly E[];
}

/** Options of {@link loadSplitData}. */
export interface LoadSplitOptions<D> {
  /** --data, else the resumed run's files. */
  readonly data: readonly string[] | undefined;
  /** --eval-data, else (when --data is not given either) the resumed run's. */
  readonly evalData: readonly string[] | undefined;
  /** The resumed run's files, if resuming. */
  readonly resumed: { readonly data: readonly string[]; readonly evalData?: readonly string[] | undefined } | undefined;
  readonly heldOut: number;
  readonly seed: number;
  /** Reads files; `like` is the training data when reading held-out files (to read them in the same format). */
  readonly load: (files: readonly string[], like?: D) => Promise<D>;
}

/** Reads the data and splits off the held-out part; see {@link LoadSplitOptions}. */
export async function loadSplitData<I, E, D extends LoadedData<I, E>>(options: LoadSplitOptions<D>): Promise<{ all: D; train: D; held: D | undefined; files: readonly string[]; evalFiles: readonly string[] | undefined }> {
  const { heldOut, seed, load, resumed } = options;
  const data = options.data ?? resumed?.data;
  const evalData = options.evalData ?? (options.data === undefined ? resumed?.evalData : undefined);
  if (data === undefined || data.length === 0) throw new InvalidArgumentError("expected --data (files, folders or a Hub dataset id) but got none", { hint: "give the training data with --data" });
  const all = await load(data);
  let train = all, held: D | undefined;
  if (evalData !== undefined && evalData.length > 0) {
    held = await load(evalData, all);
  } else if (heldOut > 0) {
    const split = splitHeldOut(all.encoded.length, heldOut, seed);
    const pick = (indices: readonly number[]): D => ({ ...all, items: indices.map((i) => all.items[i] as I), encoded: indices.map((i) => all.encoded[i] as E) });
    train = pick(split.train);
    held = pick(split.heldOut);
  }
  if (train.encoded.length === 0) throw new InvalidArgumentError("expected at least one training example but none is left", { hint: "check the data, --held-out and --too-long" });
  return { all, train, held, files: data, evalFiles: evalData };
}
