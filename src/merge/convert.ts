// Converting tensor bytes while they stream: float type changes (F32/F16/BF16) chunk by chunk, and the q/k rope
// permutation (which needs a whole tensor, one at a time).
import { permuteGgufToHf, permuteHfToGguf } from "../arch/index.js";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "../formats/index.js";
import type { TensorStep } from "./plan.js";

const ELEMENT_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** Converts float elements between F32, F16 and BF16. */
export function convertFloats(bytes: Uint8Array, from: string, to: string): Uint8Array {
  if (from === to) return bytes;
  const count = bytes.length / ELEMENT_BYTES[from]!;
  const input = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = from === "F32" ? (i: number) => input.getFloat32(i * 4, true) : from === "F16" ? (i: number) => f16ToF32(input.getUint16(i * 2, true)) : (i: number) => bf16ToF32(input.getUint16(i * 2, true));
  const out = new Uint8Array(count * ELEMENT_BYTES[to]!);
  const output = new DataView(out.buffer);
  if (to === "F32") for (let i = 0; i < count; i++) output.setFloat32(i * 4, read(i), true);
  else {
    const convert = to === "F16" ? f32ToF16 : f32ToBf16;
    for (let i = 0; i < count; i++) output.setUint16(i * 2, convert(read(i)), true);
  }
  return out;
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
