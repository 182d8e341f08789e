// Planning a linear merge (mergekit's `merge_method: linear`): every output tensor is the weighted sum of the same
// tensor of each model, Σ cᵢ·tensorᵢ with cᵢ = wᵢ (÷ Σ wᵢ when normalizing). The models must hold identical tensors
// (names, shapes, float types) and share architecture and tokenizer; metadata comes from the first model. Pure data.
import { parseLayerIndex } from "../arch/index.js";
import type { TensorInfo } from "../formats/index.js";
import { linearCoefficients, type LinearConfig } from "./config.js";
import { IncompatibleTensorsError, MergeConfigError, UnsupportedConversionError } from "./errors.js";
import { FLOAT_DTYPES, MERGEKIT_DTYPE, checkDonors, outputName, type Donor, type MergePlan, type OutputFormat, type TensorStep } from "./plan-common.js";

/** Rows of the difference table shown before "… and N more". */
const TABLE_ROWS = 12;

function describeTensor(tensor: TensorInfo | undefined): string {
  return tensor ? `${tensor.type} [${tensor.shape.join(", ")}]` : "missing";
}

/** Throws IncompatibleTensorsError with a table (tensor × model) of every tensor that is not the same in all models. */
export function checkSameTensors(donors: readonly Donor[]): void {
  const maps = donors.map((donor) => new Map(donor.tensors.map((t) => [t.name, t])));
  const names = [...new Set(donors.flatMap((donor) => donor.tensors.map((t) => t.name)))];
  const differing = names.filter((name) => new Set(maps.map((map) => describeTensor(map.get(name)))).size > 1);
  if (differing.length === 0) return;
  const shown = differing.slice(0, TABLE_ROWS).map((name) => [name, ...maps.map((map) => describeTensor(map.get(name)))]);
  const header = ["tensor", ...donors.map((d) => d.ref)];
  const widths = header.map((cell, i) => Math.max(cell.length, ...shown.map((r) => r[i]!.length)));
  const row = (cells: readonly string[]): string => `  ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")}`.trimEnd();
  const more = differing.length > TABLE_ROWS ? [`  … and ${differing.length - TABLE_ROWS} more tensors differ`] : [];
  throw new IncompatibleTensorsError([row(header), ...shown.map(row), ...more].join("\n"));
}

/** Output type: the models' type, or the mergekit dtype (GGUF norms and other 1-D tensors keep theirs, as llama.cpp keeps them F32). */
function linearOutputType(tensor: TensorInfo, format: OutputFormat, dtype: LinearConfig["dtype"]): string {
  if (!dtype || (format === "gguf" && tensor.shape.length === 1)) return tensor.type;
  return MERGEKIT_DTYPE[dtype]!;
}

/**
 * Plans a linear merge of the configured models, in the first model's tensor order. Throws before anything is
 * written when a model was not opened, the models differ (architecture, tokenizer, formats, tensors) or a tensor is
 * quantized (averaging quantized blocks needs dequantization, which dusk does not do in a merge).
 */
export function planLinear(config: LinearConfig, donors: readonly Donor[], format: OutputFormat): MergePlan {
  const byRef = new Map(donors.map((donor, index) => [donor.ref, index]));
  const indices = config.models.map(({ model }, i) => {
    const index = byRef.get(model);
    if (index === undefined) throw new MergeConfigError(`model ${i} of the linear merge is "${model}", which was not opened`);
    return index;
  });
  const members = indices.map((index) => donors[index]!);
  checkDonors(members);
  if (new Set(members.map((d) => d.format)).size > 1) {
    throw new MergeConfigError(
      `expected the models of a linear merge in one format but got ${members.map((d) => `${d.ref} (${d.format === "gguf" ? "GGUF" : "safetensors checkpoint"})`).join(", ")}`,
      "convert the models so that all are GGUF files or all are checkpoint folders (e.g. pass one through `dusk merge` with a one-slice passthrough)",
    );
  }
  checkSameTensors(members);
  const base = members[0]!;
  for (const tensor of base.tensors) {
    if (!FLOAT_DTYPES[tensor.type]) {
      throw new UnsupportedConversionError(
        `expected float tensors (F32, F16, BF16) for a linear merge but "${tensor.name}" is ${tensor.type} in ${members.map((d) => d.ref).join(", ")}`,
        "averaging quantized blocks needs dequantization: merge the F16/F32 (or safetensors) versions of the models and quantize the result afterwards",
      );
    }
  }
  const coefficients = linearCoefficients(config);
  const mix = indices.map((donor, i) => ({ donor, weight: coefficients[i]! }));
  const tensors = base.tensors.map((tensor): TensorStep => {
    const { name, permute } = outputName(tensor.name, base.format, format);
    const type = linearOutputType(tensor, format, config.dtype);
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    return {
      output: name,
      donor: indices[0]!,
      source: tensor.name,
      sourceType: tensor.type,
      type,
      shape: tensor.shape,
      sourceBytes: tensor.byteLength,
      bytes: elements * FLOAT_DTYPES[type]!.bytes,
      layer: parseLayerIndex(tensor.name)?.index,
      permute: permute ? { kind: format === "gguf" ? "to-gguf" : "to-hf", heads: permute === "q" ? base.heads : base.kvHeads } : undefined,
      mix,
    };
  });
  const layerMap = Array.from({ length: base.layers }, (_, layer) => ({ donor: indices[0]!, layer }));
  return { config, format, donors, layerMap, tensors, totalBytes: tensors.reduce((sum, t) => sum + t.bytes, 0) };
}
