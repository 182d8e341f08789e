// Converting tensor bytes while they stream: float type changes (F32/F16/BF16) chunk by chunk, and the q/k rope
// permutation (which needs a whole tensor, one at a time).
import { permuteGgufToHf, permuteHfToGguf } from "../arch/index.js";
import { dequantize, quantize } from "../formats/index.js";
import type { TensorStep } from "./plan.js";

type FloatType = "F32" | "F16" | "BF16";
const ELEMENT_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** Converts float elements between F32, F16 and BF16 with the formats layer's own codecs (round to nearest even). */
export function convertFloats(bytes: Uint8Array, from: string, to: string): Uint8Array {
  if (from === to) return bytes;
  const count = bytes.length / ELEMENT_BYTES[from]!;
  return quantize(dequantize(bytes, from as FloatType, count), to as FloatType);
}

async function readAll(chunks: AsyncIterable<Uint8Array>, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let at = 0;
  for await (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** The output bytes of one plan step, streamed from its source chunks. */
export async function* transformTensor(step: TensorStep, chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (step.permute) {
    const whole = await readAll(chunks, step.sourceBytes);
    const rows = step.shape[0]!;
    const permuted = (step.permute.kind === "to-gguf" ? permuteHfToGguf : permuteGgufToHf)({ bytes: whole, rows, heads: step.permute.heads });
    yield convertFloats(permuted, step.sourceType, step.type);
    return;
  }
  if (step.sourceType === step.type) {
    yield* chunks;
    return;
  }
  for await (const chunk of chunks) yield convertFloats(chunk, step.sourceType, step.type);
}
