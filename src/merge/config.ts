// Merge configurations: mergekit's YAML validated with zod, as a discriminated type: `passthrough` (slices stacked
// in order) and `linear` (a weighted average of whole models); and the SOLAR recipe (`--m 8`, `--layers 0-24,8-32`)
// expressed as the same passthrough configuration.
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { MergeConfigError } from "./errors.js";

/** One slice: a half-open layer range [start, end) of one model. */
export interface Slice {
  readonly model: string;
  readonly start: number;
  readonly end: number;
}

/** mergekit dtype names. */
export type MergeDtype = "float32" | "float16" | "bfloat16";

/** A validated passthrough configuration: the slices, stacked in order. */
export interface PassthroughConfig {
  readonly method: "passthrough";
  readonly slices: readonly Slice[];
  /** mergekit dtype (`float32`, `float16`, `bfloat16`), honoured for safetensors output. */
  readonly dtype: MergeDtype | undefined;
  /** The configuration as mergekit YAML (recorded in the output). */
  readonly yaml: string;
}

/** One model of a linear merge with its weight as written (before normalizing). */
export interface WeightedModel {
  readonly model: string;
  readonly weight: number;
}

/** A validated linear configuration: output tensor = Σ wᵢ·tensorᵢ, divided by Σ wᵢ when `normalize`. */
export interface LinearConfig {
  readonly method: "linear";
  readonly models: readonly WeightedModel[];
  /** Divide by the sum of the weights (mergekit's default: true). */
  readonly normalize: boolean;
  /** mergekit dtype: the output type of the weight matrices (GGUF norms stay as the inputs hold them). */
  readonly dtype: MergeDtype | undefined;
  readonly yaml: string;
}

/** A validated merge configuration, told apart by `method`. */
export type MergeConfig = PassthroughConfig | LinearConfig;

export const SUPPORTED_METHODS = ["passthrough", "linear"] as const;
const TOP_KEYS = ["merge_method", "slices", "dtype", "base_model", "name"] as const;
const LINEAR_TOP_KEYS = ["merge_method", "models", "parameters", "dtype", "base_model", "name"] as const;

const dtypeSchema = z.enum(["float32", "float16", "bfloat16"]);
const layerRange = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);
const sourceSchema = z.strictObject({ model: z.string().min(1), layer_range: layerRange });
const schema = z.strictObject({
  merge_method: z.string(),
  slices: z.array(z.strictObject({ sources: z.array(sourceSchema) })).min(1),
  dtype: dtypeSchema.optional(),
  base_model: z.string().optional(),
  name: z.string().optional(),
});

const WEIGHT_MESSAGE = "expected one finite number (dusk takes one weight per model; mergekit's per-filter lists and gradients are not supported)";
const weightSchema = z.number({ error: WEIGHT_MESSAGE }).refine(Number.isFinite, { error: WEIGHT_MESSAGE });
const linearSchema = z.strictObject({
  merge_method: z.literal("linear"),
  models: z.array(z.strictObject({ model: z.string().min(1), parameters: z.strictObject({ weight: weightSchema.optional() }).optional() })).min(1),
  parameters: z.strictObject({ normalize: z.boolean().optional(), weight: weightSchema.optional() }).optional(),
  dtype: dtypeSchema.optional(),
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

function describeLinearIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.join(".") : "the configuration";
  if (issue.code === "unrecognized_keys") {
    const last = issue.path.at(-1);
    const supported = issue.path.length === 0 ? LINEAR_TOP_KEYS.join(", ") : typeof last === "number" ? "model, parameters" : issue.path.length === 1 ? "normalize, weight" : "weight";
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} in ${where}; supported: ${supported}`;
  }
  return `${where}: ${issue.message}`;
}

/** Parses and validates mergekit YAML text (passthrough or linear). */
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
      throw new MergeConfigError(`expected merge_method to be one of ${SUPPORTED_METHODS.join(", ")} but got "${method}"`, "dusk supports mergekit's passthrough (slice stacking, the SOLAR recipe) and linear (weighted averages of models of one shape); other methods are planned");
    }
    if (method === "linear") return parseLinear(raw);
  }
  if (raw && typeof raw === "object" && "models" in raw) {
    throw new MergeConfigError(`expected "slices" for a passthrough merge but got "models"`, "passthrough stacks layer slices: write slices: [{sources: [{model, layer_range: [start, end]}]}]; for a weighted average of models write merge_method: linear");
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

const LINEAR_HINT = "write models: [{model: a, parameters: {weight: 0.5}}, {model: b, parameters: {weight: 0.5}}], merge_method: linear, optionally parameters: {normalize: true|false} and dtype";

function parseLinear(raw: object): LinearConfig {
  if ("slices" in raw) {
    throw new MergeConfigError(`expected "models" for a linear merge but got "slices"`, "a linear merge averages whole models: write models: [{model, parameters: {weight}}] (per-slice weights are not supported)");
  }
  const parsed = linearSchema.safeParse(raw);
  if (!parsed.success) throw new MergeConfigError(`invalid linear merge configuration: ${parsed.error.issues.map(describeLinearIssue).join("; ")}`, LINEAR_HINT);
  const defaultWeight = parsed.data.parameters?.weight;
  const models = parsed.data.models.map(({ model, parameters }, index) => {
    const weight = parameters?.weight ?? defaultWeight;
    if (weight === undefined) throw new MergeConfigError(`expected a weight for model ${index} (${model}) of the linear merge but found none`, LINEAR_HINT);
    return { model, weight };
  });
  return linearConfig({ models, normalize: parsed.data.parameters?.normalize ?? true, dtype: parsed.data.dtype });
}

/** Options of {@link linearConfig}. */
export interface LinearConfigOptions {
  readonly models: readonly WeightedModel[];
  /** Divide by the sum of the weights. Defaults to true (as mergekit). */
  readonly normalize?: boolean;
  readonly dtype?: MergeDtype | undefined;
}

/** A linear configuration from its parts (checked: distinct models, weights that can be normalized). */
export function linearConfig({ models, normalize = true, dtype }: LinearConfigOptions): LinearConfig {
  if (models.length === 0) throw new MergeConfigError("expected at least one model in a linear merge but got none", LINEAR_HINT);
  const seen = new Set<string>();
  for (const { model, weight } of models) {
    if (seen.has(model)) throw new MergeConfigError(`expected each model once in a linear merge but "${model}" is listed twice`, "give the model one entry whose weight is the sum of the two");
    seen.add(model);
    if (!Number.isFinite(weight)) throw new MergeConfigError(`expected a finite weight for ${model} but got ${weight}`, LINEAR_HINT);
  }
  const sum = models.reduce((total, m) => total + m.weight, 0);
  if (normalize && sum === 0) {
    throw new MergeConfigError(`expected weights whose sum is not 0 for a normalized linear merge but they sum to 0 (${models.map((m) => m.weight).join(" + ")})`, "change a weight, or set parameters: {normalize: false} to use the weights as they are");
  }
  const yaml = [
    "models:",
    ...models.flatMap((m) => [`  - model: ${stringifyYaml(m.model).trim()}`, "    parameters:", `      weight: ${stringifyYaml(m.weight).trim()}`]),
    "merge_method: linear",
    "parameters:",
    `  normalize: ${normalize}`,
    ...(dtype ? [`dtype: ${dtype}`] : []),
    "",
  ].join("\n");
  return { method: "linear", models, normalize, dtype, yaml };
}

/** The coefficient each model's tensors are multiplied by: its weight, divided by the sum when normalizing. */
export function linearCoefficients(config: LinearConfig): number[] {
  const sum = config.models.reduce((total, m) => total + m.weight, 0);
  return config.models.map((m) => (config.normalize ? m.weight / sum : m.weight));
}

function makeConfig(slices: readonly Slice[], dtype: MergeDtype | undefined): PassthroughConfig {
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
  readonly dtype?: MergeDtype | undefined;
}

/** The SOLAR depth up-scaling recipe as a merge configuration: [0, n-m) then [m, n), s = 2(n-m) layers. */
export function upscaleConfig({ model, layers, m, layerList, dtype }: UpscaleConfigOptions): PassthroughConfig {
  if (layerList !== undefined) return makeConfig(parseLayerList(model, layerList), dtype);
  if (m === undefined) throw new MergeConfigError("expected --m (layers dropped from each copy, SOLAR used 8) or --layers");
  if (!Number.isInteger(m) || m <= 0 || m >= layers) {
    throw new MergeConfigError(`expected --m between 1 and ${layers - 1} for a ${layers}-layer model but got ${m}`, "m layers are dropped from the end of one copy and the start of the other; s = 2(n - m)");
  }
  return makeConfig([{ model, start: 0, end: layers - m }, { model, start: m, end: layers }], dtype);
}
