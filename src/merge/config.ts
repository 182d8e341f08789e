// Merge configurations: mergekit's YAML (`merge_method: passthrough` with slices) validated with zod, and the
// SOLAR recipe (`--m 8`, `--layers 0-24,8-32`) expressed as the same configuration.
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { MergeConfigError } from "./errors.js";

/** One slice: a half-open layer range [start, end) of one model. */
export interface Slice {
  readonly model: string;
  readonly start: number;
  readonly end: number;
}

/** A validated merge configuration. */
export interface MergeConfig {
  readonly method: "passthrough";
  readonly slices: readonly Slice[];
  /** mergekit dtype (`float32`, `float16`, `bfloat16`), honoured for safetensors output. */
  readonly dtype: "float32" | "float16" | "bfloat16" | undefined;
  /** The configuration as mergekit YAML (recorded in the output). */
  readonly yaml: string;
}

export const SUPPORTED_METHODS = ["passthrough"] as const;
const TOP_KEYS = ["merge_method", "slices", "dtype", "base_model", "name"] as const;

const layerRange = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);
const sourceSchema = z.strictObject({ model: z.string().min(1), layer_range: layerRange });
const schema = z.strictObject({
  merge_method: z.string(),
  slices: z.array(z.strictObject({ sources: z.array(sourceSchema) })).min(1),
  dtype: z.enum(["float32", "float16", "bfloat16"]).optional(),
  base_model: z.string().optional(),
  name: z.string().optional(),
});

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.join(".") : "the configuration";
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} in ${where}; supported: ${issue.path.length === 0 ? TOP_KEYS.join(", ") : issue.path.at(-1) === "sources" || typeof issue.path.at(-1) === "number" ? "model, layer_range (in sources) or sources (in slices)" : "see --help"}`;
  }
  return `${where}: ${issue.message}`;
}

/** Parses and validates mergekit YAML text. */
export function parseMergeYaml(text: string): MergeConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new MergeConfigError(`expected valid YAML but got a syntax error: ${(error as Error).message.split("\n")[0]}`);
  }
  if (raw && typeof raw === "object" && "merge_method" in raw) {
    const method = raw.merge_method;
    if (typeof method === "string" && !(SUPPORTED_METHODS as readonly string[]).includes(method)) {
      throw new MergeConfigError(`expected merge_method to be one of ${SUPPORTED_METHODS.join(", ")} but got "${method}"`, "dusk supports mergekit's passthrough (slice stacking, the SOLAR recipe); other methods are planned");
    }
  }
  if (raw && typeof raw === "object" && "models" in raw) {
    throw new MergeConfigError(`expected "slices" for a passthrough merge but got "models"`, "passthrough stacks layer slices: write slices: [{sources: [{model, layer_range: [start, end]}]}]");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new MergeConfigError(`invalid merge configuration: ${parsed.error.issues.map(describeIssue).join("; ")}`);
  const slices = parsed.data.slices.map((slice, index) => {
    if (slice.sources.length !== 1) {
      throw new MergeConfigError(`expected exactly one source in slice ${index} (passthrough takes one source per slice) but got ${slice.sources.length}`);
    }
    const source = slice.sources[0]!;
    return { model: source.model, start: source.layer_range[0], end: source.layer_range[1] };
  });
  return makeConfig(slices, parsed.data.dtype);
}

function makeConfig(slices: readonly Slice[], dtype: MergeConfig["dtype"]): MergeConfig {
  slices.forEach((slice, index) => {
    if (slice.end <= slice.start) {
      throw new MergeConfigError(`expected slice ${index} of ${slice.model} to be a non-empty range [start, end) but got [${slice.start}, ${slice.end})`);
    }
  });
  // mergekit's own layout, with layer_range in flow style as people write it.
  const yaml = [
    "slices:",
    ...slices.flatMap((s) => ["  - sources:", `      - model: ${stringifyYaml(s.model).trim()}`, `        layer_range: [${s.start}, ${s.end}]`]),
    "merge_method: passthrough",
    ...(dtype ? [`dtype: ${dtype}`] : []),
    "",
  ].join("\n");
  return { method: "passthrough", slices, dtype, yaml };
}

/** Parses `--layers 0-24,8-32` into slices of one model. */
export function parseLayerList(model: string, text: string): Slice[] {
  return text.split(",").map((part) => {
    const match = /^\s*(\d+)\s*[-:]\s*(\d+)\s*$/.exec(part);
    if (!match) throw new MergeConfigError(`expected --layers as half-open ranges like 0-24,8-32 but got "${part}" in "${text}"`);
    return { model, start: Number(match[1]), end: Number(match[2]) };
  });
}

/** Options of {@link upscaleConfig}. */
export interface UpscaleConfigOptions {
  /** The base model reference. */
  readonly model: string;
  /** Layers in the base model (n). */
  readonly layers: number;
  /** Layers dropped from each copy (m); SOLAR used 8. Ignored when `layerList` is given. */
  readonly m?: number;
  /** Explicit slices, e.g. "0-16,8-24,16-32". */
  readonly layerList?: string;
  readonly dtype?: MergeConfig["dtype"];
}

/** The SOLAR depth up-scaling recipe as a merge configuration: [0, n-m) then [m, n), s = 2(n-m) layers. */
export function upscaleConfig({ model, layers, m, layerList, dtype }: UpscaleConfigOptions): MergeConfig {
  if (layerList !== undefined) return makeConfig(parseLayerList(model, layerList), dtype);
  if (m === undefined) throw new MergeConfigError("expected --m (layers dropped from each copy, SOLAR used 8) or --layers");
  if (!Number.isInteger(m) || m <= 0 || m >= layers) {
    throw new MergeConfigError(`expected --m between 1 and ${layers - 1} for a ${layers}-layer model but got ${m}`, "m layers are dropped from the end of one copy and the start of the other; s = 2(n - m)");
  }
  return makeConfig([{ model, start: 0, end: layers - m }, { model, start: m, end: layers }], dtype);
}
