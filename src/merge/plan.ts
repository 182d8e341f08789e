// Planning a slice merge: from a configuration and what each donor model holds (names, types, shapes; no data),
// the list of output tensors with where each comes from and how it is carried. Pure data: `--dry-run` prints it
// and execute.ts carries it out. Planning does no I/O.
import { ggufToHfName, hfToGgufName, parseLayerIndex, type RopePermutation } from "../arch/index.js";
import type { TensorInfo } from "../formats/index.js";
import type { MergeConfig } from "./config.js";
import { IncompatibleDonorsError, MergeConfigError, UnsupportedConversionError } from "./errors.js";

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

const FLOAT_DTYPES: Record<string, { bytes: number; gguf: string; hf: string }> = {
  F32: { bytes: 4, gguf: "F32", hf: "F32" },
  F16: { bytes: 2, gguf: "F16", hf: "F16" },
  BF16: { bytes: 2, gguf: "BF16", hf: "BF16" },
};
const MERGEKIT_DTYPE: Record<string, string> = { float32: "F32", float16: "F16", bfloat16: "BF16" };

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

function outputName(name: string, from: Donor["format"], to: OutputFormat): { name: string; permute: RopePermutation } {
  if (from === to) return { name, permute: undefined };
  const mapped = from === "gguf" ? ggufToHfName(name) : hfToGgufName(name);
  if (!mapped) throw new UnsupportedConversionError(`expected a Llama tensor name to convert between formats but got "${name}"`);
  return mapped;
}

function outputType(step: { source: string; sourceType: string }, from: Donor["format"], to: OutputFormat, dtype: string | undefined): string {
  const float = FLOAT_DTYPES[step.sourceType];
  if (from === to && to === "gguf") return step.sourceType;
  if (!float) {
    throw new UnsupportedConversionError(`expected a float tensor (F32, F16, BF16) to write "${step.source}" as ${to} but it is ${step.sourceType}`);
  }
  if (to === "safetensors" && dtype) return MERGEKIT_DTYPE[dtype]!;
  return to === "gguf" ? float.gguf : float.hf;
}

/**
 * Plans a passthrough merge: output layers are the configured slices in order; embeddings, final norm and output
 * head come from the first slice's model. Checks ranges, donors and formats; throws before anything is written.
 */
export function planMerge(config: MergeConfig, donors: readonly Donor[], format: OutputFormat): MergePlan {
  const byRef = new Map(donors.map((donor, index) => [donor.ref, index]));
  const layerMap: { donor: number; layer: number }[] = [];
  config.slices.forEach((slice, index) => {
    const donorIndex = byRef.get(slice.model);
    if (donorIndex === undefined) throw new MergeConfigError(`slice ${index} names model "${slice.model}" which was not opened`);
    const donor = donors[donorIndex]!;
    if (slice.end > donor.layers) {
      throw new MergeConfigError(`expected slice ${index} [${slice.start}, ${slice.end}) within the ${donor.layers} layers of ${slice.model} but it ends at ${slice.end}`, "layer ranges are half-open: [0, 24) is layers 0..23; the end may be at most the layer count");
    }
    for (let layer = slice.start; layer < slice.end; layer++) layerMap.push({ donor: donorIndex, layer });
  });
  checkDonors([...new Set(layerMap.map((entry) => entry.donor))].map((index) => donors[index]!));

  const base = layerMap[0]!.donor;
  const baseDonor = donors[base]!;
  const byLayer = (donor: Donor): Map<number, TensorInfo[]> => {
    const map = new Map<number, TensorInfo[]>();
    for (const tensor of donor.tensors) {
      const parsed = parseLayerIndex(tensor.name);
      if (parsed) map.set(parsed.index, [...(map.get(parsed.index) ?? []), tensor]);
    }
    return map;
  };
  const layersOf = donors.map(byLayer);
  const step = (donorIndex: number, tensor: TensorInfo, outputLayer: number | undefined): TensorStep => {
    const donor = donors[donorIndex]!;
    const renamed = outputLayer === undefined ? tensor.name : parseLayerIndex(tensor.name)!.rename(outputLayer);
    const { name, permute } = outputName(renamed, donor.format, format);
    const type = outputType({ source: tensor.name, sourceType: tensor.type }, donor.format, format, config.dtype);
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    const bytes = FLOAT_DTYPES[type] && type !== tensor.type ? elements * FLOAT_DTYPES[type].bytes : tensor.byteLength;
    return {
      output: name,
      donor: donorIndex,
      source: tensor.name,
      sourceType: tensor.type,
      type,
      shape: tensor.shape,
      sourceBytes: tensor.byteLength,
      bytes,
      layer: outputLayer,
      permute: permute ? { kind: format === "gguf" ? "to-gguf" : "to-hf", heads: permute === "q" ? donor.heads : donor.kvHeads } : undefined,
    };
  };

  const globals = baseDonor.tensors.filter((tensor) => !parseLayerIndex(tensor.name));
  const firstLayerPosition = baseDonor.tensors.findIndex((tensor) => parseLayerIndex(tensor.name));
  const leading = globals.filter((tensor) => firstLayerPosition < 0 || baseDonor.tensors.indexOf(tensor) < firstLayerPosition);
  const trailing = globals.filter((tensor) => !leading.includes(tensor));
  const tensors: TensorStep[] = leading.map((tensor) => step(base, tensor, undefined));
  layerMap.forEach(({ donor, layer }, outputLayer) => {
    const sourceTensors = layersOf[donor]!.get(layer);
    if (!sourceTensors?.length) throw new MergeConfigError(`expected tensors for layer ${layer} in ${donors[donor]!.ref} but found none`);
    for (const tensor of sourceTensors) tensors.push(step(donor, tensor, outputLayer));
  });
  for (const tensor of trailing) tensors.push(step(base, tensor, undefined));
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.output)) throw new MergeConfigError(`the plan writes tensor "${t.output}" twice`);
    names.add(t.output);
  }
  return { config, format, donors, layerMap, tensors, totalBytes: tensors.reduce((sum, t) => sum + t.bytes, 0) };
}

/** The plan as rows for `--dry-run`: output tensor ← donor, source tensor, type, bytes. */
export function planRows(plan: MergePlan): string[][] {
  return plan.tensors.map((t) => [t.output, "←", plan.donors[t.donor]!.ref, t.source, t.sourceType === t.type ? t.type : `${t.sourceType}→${t.type}`, String(t.bytes), t.permute ? `rope ${t.permute.kind}` : ""]);
}
