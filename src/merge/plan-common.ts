// What every merge plan is made of: the donor facts planning reads, the plan and its tensor steps (plain data),
// and the checks and type/name rules both planners (passthrough and linear) share. Pure: no I/O.
import { ggufToHfName, hfToGgufName, type RopePermutation } from "../arch/index.js";
import type { TensorInfo } from "../formats/index.js";
import type { MergeConfig } from "./config.js";
import { IncompatibleDonorsError, UnsupportedConversionError } from "./errors.js";

/** The facts about a donor model that planning needs (read from its metadata by donors.ts). */
export interface Donor {
  /** The reference as the configuration spells it. */
  readonly ref: string;
  readonly format: "gguf" | "safetensors";
  readonly architecture: string;
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly vocab: number;
  /** A digest of the tokenizer (GGUF tokenizer.* metadata or HF tokenizer files): equal digests, same tokenizer. */
  readonly tokenizerDigest: string;
  readonly tensors: readonly TensorInfo[];
}

/** Output formats: follows the output path (`.gguf` file, else a checkpoint folder). */
export type OutputFormat = "gguf" | "safetensors";

/** How one output tensor is produced. */
export interface TensorStep {
  readonly output: string;
  /** Index of the donor in the plan's `donors`. */
  readonly donor: number;
  readonly source: string;
  /** Source type (ggml type or safetensors dtype). */
  readonly sourceType: string;
  /** Output type. */
  readonly type: string;
  /** Shape in PyTorch order. */
  readonly shape: readonly number[];
  readonly sourceBytes: number;
  readonly bytes: number;
  /** Output layer index, for per-layer tensors. */
  readonly layer: number | undefined;
  /** q/k rope permutation to apply when crossing formats, with the heads it needs. */
  readonly permute: { readonly kind: "to-gguf" | "to-hf"; readonly heads: number } | undefined;
  /**
   * Linear merges: the same tensor (`source`) of each of these donors, times its coefficient, summed; the output is
   * computed in float32 and then converted to `type`. Undefined for copies (passthrough).
   */
  readonly mix: readonly MixTerm[] | undefined;
}

/** One term of a weighted sum: a donor and the coefficient its tensor is multiplied by. */
export interface MixTerm {
  readonly donor: number;
  readonly weight: number;
}

/** A whole merge, ready to execute. */
export interface MergePlan {
  readonly config: MergeConfig;
  readonly format: OutputFormat;
  readonly donors: readonly Donor[];
  /** Output layer i comes from donor `donor`, layer `layer`. */
  readonly layerMap: readonly { readonly donor: number; readonly layer: number }[];
  readonly tensors: readonly TensorStep[];
  /** Output bytes of all tensors. */
  readonly totalBytes: number;
}

export const FLOAT_DTYPES: Record<string, { bytes: number; gguf: string; hf: string }> = {
  F32: { bytes: 4, gguf: "F32", hf: "F32" },
  F16: { bytes: 2, gguf: "F16", hf: "F16" },
  BF16: { bytes: 2, gguf: "BF16", hf: "BF16" },
};
export const MERGEKIT_DTYPE: Record<string, string> = { float32: "F32", float16: "F16", bfloat16: "BF16" };

/** Checks that donors can be stacked; throws IncompatibleDonorsError with a table of the differences. */
export function checkDonors(donors: readonly Donor[]): void {
  if (donors.length < 2) return;
  const fields: [string, (d: Donor) => string | number][] = [
    ["architecture", (d) => d.architecture],
    ["hidden size", (d) => d.hidden],
    ["attention heads", (d) => d.heads],
    ["KV heads", (d) => d.kvHeads],
    ["vocabulary", (d) => d.vocab],
    ["tokenizer", (d) => d.tokenizerDigest.slice(0, 12)],
  ];
  const differing = fields.filter(([, get]) => new Set(donors.map(get)).size > 1);
  if (differing.length === 0) return;
  const widths = [Math.max(5, ...donors.map((d) => d.ref.length)), ...differing.map(([name, get]) => Math.max(name.length, ...donors.map((d) => String(get(d)).length)))];
  const row = (cells: string[]): string => `  ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")}`;
  const table = [row(["model", ...differing.map(([name]) => name)]), ...donors.map((d) => row([d.ref, ...differing.map(([, get]) => String(get(d)))]))];
  throw new IncompatibleDonorsError(table.join("\n"));
}

/** The output name of a tensor, and the q/k permutation it needs, when the output format differs from the donor's. */
export function outputName(name: string, from: Donor["format"], to: OutputFormat): { name: string; permute: RopePermutation } {
  if (from === to) return { name, permute: undefined };
  const mapped = from === "gguf" ? ggufToHfName(name) : hfToGgufName(name);
  if (!mapped) throw new UnsupportedConversionError(`expected a Llama tensor name to convert between formats but got "${name}"`);
  return mapped;
}

/** The output type of a copied tensor: the source type, or a float type when crossing formats or given a dtype. */
export function outputType(step: { source: string; sourceType: string }, from: Donor["format"], to: OutputFormat, dtype: string | undefined): string {
  const float = FLOAT_DTYPES[step.sourceType];
  if (from === to && to === "gguf") return step.sourceType;
  if (!float) {
    throw new UnsupportedConversionError(`expected a float tensor (F32, F16, BF16) to write "${step.source}" as ${to} but it is ${step.sourceType}`);
  }
  if (to === "safetensors" && dtype) return MERGEKIT_DTYPE[dtype]!;
  return to === "gguf" ? float.gguf : float.hf;
}

/** The donors whose weights make up the result, in configuration order (lineage metadata, model card). */
export function contributingDonors(plan: MergePlan): number[] {
  if (plan.config.method === "linear") return plan.config.models.map((m) => plan.donors.findIndex((d) => d.ref === m.model));
  return [...new Set(plan.layerMap.map((entry) => entry.donor))];
}
