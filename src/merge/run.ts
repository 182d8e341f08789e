// The merge entry points users call: `upscale` (the SOLAR recipe) and `mergeFromYaml` (mergekit passthrough or
// linear YAML). Each resolves model references, opens donors, plans, then prints (dry run) or executes.
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve as resolvePath } from "node:path";
import { FileNotFoundError } from "../common/index.js";
import { parseMergeYaml, upscaleConfig, type MergeConfig, type MergeDtype } from "./config.js";
import { openDonor, type OpenDonor } from "./donors.js";
import { executeMerge, type MergeResult } from "./execute.js";
import { planMerge, type MergePlan, type OutputFormat } from "./plan.js";

/** Turns a model reference (path or Hub id) into a local path. */
export type ModelResolver = (ref: string) => Promise<string>;

/** Options shared by {@link upscale} and {@link mergeFromYaml}. */
export interface MergeRunOptions {
  /** Output `.gguf` file or checkpoint folder. */
  readonly output: string;
  /** Plan only: return the plan, write nothing. Defaults to false. */
  readonly dryRun?: boolean;
  /** Largest GGUF shard in bytes (split output). Defaults to one file. */
  readonly splitMaxBytes?: number;
  /** Largest safetensors shard in bytes. Defaults to the input checkpoint's sharding, else 5 GB. */
  readonly shardMaxBytes?: number;
  /** `general.name` of the result. */
  readonly name?: string;
  /** Resolves references that are not local paths (e.g. Hub ids). Defaults to local paths only. */
  readonly resolve?: ModelResolver;
  /** Show progress. Defaults to true. */
  readonly progress?: boolean;
}

/** The outcome: the plan, and what was written unless it was a dry run. */
export interface MergeRun {
  readonly plan: MergePlan;
  readonly result: MergeResult | undefined;
}

/** The output format a path asks for: `.gguf` → GGUF, anything else → a safetensors checkpoint folder. */
export function outputFormatOf(output: string): OutputFormat {
  return /\.gguf$/i.test(output) ? "gguf" : "safetensors";
}

async function localOnly(ref: string): Promise<string> {
  await stat(ref).catch((error: unknown) => {
    throw new FileNotFoundError(ref, { hint: "give a local .gguf file or checkpoint folder (or a Hub id org/name where Hub access is set up)", cause: error });
  });
  return ref;
}

async function openAll(refs: readonly string[], resolve: ModelResolver): Promise<OpenDonor[]> {
  const opened: OpenDonor[] = [];
  try {
    for (const ref of refs) opened.push(await openDonor(ref, await resolve(ref)));
    return opened;
  } catch (error) {
    await Promise.all(opened.map((d) => d.source.close()));
    throw error;
  }
}

async function runConfig(config: MergeConfig, opened: OpenDonor[], options: MergeRunOptions): Promise<MergeRun> {
  try {
    const plan = planMerge(config, opened.map((d) => d.donor), outputFormatOf(options.output));
    if (options.dryRun) return { plan, result: undefined };
    const result = await executeMerge({
      plan,
      donors: opened,
      output: options.output,
      ...(options.splitMaxBytes !== undefined ? { splitMaxBytes: options.splitMaxBytes } : {}),
      ...(options.shardMaxBytes !== undefined ? { shardMaxBytes: options.shardMaxBytes } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.progress !== undefined ? { progress: options.progress } : {}),
    });
    return { plan, result };
  } finally {
    await Promise.all(opened.map((d) => d.source.close()));
  }
}

/** Options of {@link upscale}. */
export interface UpscaleOptions extends MergeRunOptions {
  /** The base model (path or reference). */
  readonly model: string;
  /** Layers dropped from each copy (SOLAR: 8). */
  readonly m?: number;
  /** Explicit half-open slices instead of --m, e.g. "0-24,8-32". */
  readonly layers?: string;
  /** dtype for safetensors output. */
  readonly dtype?: MergeDtype | undefined;
}

/** Depth up-scaling: keeps [0, n-m) of one copy and [m, n) of another and stacks them (s = 2(n-m) layers). */
export async function upscale(options: UpscaleOptions): Promise<MergeRun> {
  const resolve = options.resolve ?? localOnly;
  const opened = await openAll([options.model], resolve);
  let config: MergeConfig;
  try {
    config = upscaleConfig({
      model: options.model,
      layers: opened[0]!.donor.layers,
      ...(options.m !== undefined ? { m: options.m } : {}),
      ...(options.layers !== undefined ? { layerList: options.layers } : {}),
      ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
    });
  } catch (error) {
    await opened[0]!.source.close();
    throw error;
  }
  return runConfig(config, opened, options);
}

/** Options of {@link mergeFromYaml}. */
export interface MergeYamlOptions extends MergeRunOptions {
  /** Path of the mergekit YAML file. */
  readonly configPath: string;
}

/** Runs a mergekit-style YAML (passthrough or linear). Relative model paths are taken from the working folder, else the YAML's folder. */
export async function mergeFromYaml(options: MergeYamlOptions): Promise<MergeRun> {
  const text = await readFile(options.configPath, "utf8").catch((error: unknown) => {
    throw new FileNotFoundError(options.configPath, { hint: "give the path of a mergekit YAML file", cause: error });
  });
  const config = parseMergeYaml(text);
  const base = options.resolve ?? localOnly;
  const resolve: ModelResolver = async (ref) => {
    const beside = resolvePath(dirname(options.configPath), ref);
    const existsHere = await stat(ref).then(() => true, () => false);
    if (!existsHere && (await stat(beside).then(() => true, () => false))) return beside;
    return base(ref);
  };
  const refs = config.method === "linear" ? config.models.map((m) => m.model) : [...new Set(config.slices.map((s) => s.model))];
  return runConfig(config, await openAll(refs, resolve), options);
}
