// Tensor bytes across a conversion: decode from the source type, apply the q/k rope permutation (whole rows, in
// either direction), encode as the output type. Same-type tensors without a permutation pass through unchanged.
import { permuteGgufToHf, permuteHfToGguf } from "../arch/index.js";
import { dequantize, quantize } from "../formats/index.js";

/** The types a conversion reads and writes. */
export const CONVERT_TYPES = ["F32", "F16", "BF16", "Q8_0"] as const;
export type ConvertType = (typeof CONVERT_TYPES)[number];

/** One tensor of a conversion plan: where it comes from, what it becomes. Plain data. */
export interface ConvertStep {
  /** Name in the input. */
  readonly source: string;
  /** Name in the output. */
  readonly output: string;
  readonly sourceType: ConvertType;
  readonly type: ConvertType;
  /** Shape in PyTorch order. */
  readonly shape: readonly number[];
  /** The rope permutation to apply, with the tensor's head count. */
  readonly permute: { readonly direction: "to-gguf" | "to-hf"; readonly heads: number } | undefined;
  /** Bytes of the output tensor. */
  readonly bytes: number;
}

/** The output bytes of one step from its source bytes. */
export function convertTensor(step: ConvertStep, bytes: Uint8Array): Uint8Array {
  const rows = step.shape.length === 2 ? step.shape[0]! : 1;
  const permute = (data: Uint8Array): Uint8Array => {
    if (!step.permute) return data;
    const options = { bytes: data, rows, heads: step.permute.heads };
    return step.permute.direction === "to-gguf" ? permuteHfToGguf(options) : permuteGgufToHf(options);
  };
  if (step.sourceType === step.type) return permute(bytes);
  const count = step.shape.reduce((a, b) => a * b, 1);
  // Q8_0 blocks lie within rows, so the permutation may move rows before or after decoding; decode first for clarity.
  const values = dequantize(bytes, step.sourceType, count);
  return quantize(new Float32Array(permute(new Uint8Array(values.buffer)).buffer), step.type);
}

/** GGUF's general.file_type for a model whose weight matrices are of `type` (llama_ftype). */
export const GGUF_FILE_TYPE: Readonly<Record<ConvertType, number>> = { F32: 0, F16: 1, Q8_0: 7, BF16: 32 };

/** config.json's torch_dtype of a float type. */
export const TORCH_DTYPE: Readonly<Record<string, string>> = { F32: "float32", F16: "float16", BF16: "bfloat16" };
