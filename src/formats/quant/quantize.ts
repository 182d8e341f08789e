// dusk's own quantizers and dequantizers for the ggml block formats it writes: F32, F16, BF16, Q8_0 and Q4_K.
// Block layouts from ggml/src/ggml-common.h (block_q8_0, block_q4_K) and the reference dequantizers in
// ggml/src/ggml-quants.c; the quantizers are simple (not llama.cpp's importance-weighted ones) but exact in layout.
import { InvalidArgumentError } from "../../common/index.js";
import { requireGgmlType } from "../ggml.js";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "./half.js";

/** Types dusk can quantize to (and dequantize from). */
export const QUANTIZABLE_TYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_K"] as const;
export type QuantizableType = (typeof QUANTIZABLE_TYPES)[number];

function checkRow(type: string, length: number): void {
  const info = requireGgmlType(type, "quantization");
  if (length % info.blockSize !== 0) {
    throw new InvalidArgumentError(`expected a length that is a multiple of ${type}'s block size ${info.blockSize} but got ${length}`, {
      hint: "K-quants need rows whose length is a multiple of 256; choose F16 or Q8_0 for smaller rows",
    });
  }
}

/** Encodes float32 values (rows concatenated, each row a multiple of the block size) as `type`'s bytes. */
export function quantize(values: Float32Array, type: QuantizableType): Uint8Array {
  checkRow(type, values.length);
  switch (type) {
    case "F32":
      return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    case "F16":
    case "BF16": {
      const out = new Uint16Array(values.length);
      const convert = type === "F16" ? f32ToF16 : f32ToBf16;
      for (let i = 0; i < values.length; i++) out[i] = convert(values[i]!);
      return new Uint8Array(out.buffer);
    }
    case "Q8_0":
      return quantizeQ8_0(values);
    case "Q4_K":
      return quantizeQ4_K(values);
  }
}

/** Decodes `type`'s bytes back to float32. */
export function dequantize(bytes: Uint8Array, type: QuantizableType, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (type) {
    case "F32":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case "F16":
    case "BF16": {
      const convert = type === "F16" ? f16ToF32 : bf16ToF32;
      for (let i = 0; i < count; i++) out[i] = convert(view.getUint16(i * 2, true));
      return out;
    }
    case "Q8_0":
      for (let block = 0; block < count / 32; block++) {
        const d = f16ToF32(view.getUint16(block * 34, true));
        for (let j = 0; j < 32; j++) out[block * 32 + j] = d * view.getInt8(block * 34 + 2 + j);
      }
      return out;
    case "Q4_K":
      return dequantizeQ4_K(bytes, count);
  }
}

function quantizeQ8_0(values: Float32Array): Uint8Array {
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 34);
  const view = new DataView(out.buffer);
  for (let block = 0; block < blocks; block++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[block * 32 + j]!));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    view.setUint16(block * 34, f32ToF16(d), true);
    for (let j = 0; j < 32; j++) view.setInt8(block * 34 + 2 + j, Math.round(values[block * 32 + j]! * id));
  }
  return out;
}

const Q4K_BYTES = 144;

/** Packs eight 6-bit scales and mins into 12 bytes as get_scale_min_k4 reads them. */
function packScales(scales: number[], mins: number[], out: Uint8Array, at: number): void {
  for (let j = 0; j < 4; j++) {
    out[at + j] = (scales[j]! & 63) | ((scales[j + 4]! >> 4) << 6);
    out[at + j + 4] = (mins[j]! & 63) | ((mins[j + 4]! >> 4) << 6);
    out[at + j + 8] = (scales[j + 4]! & 15) | ((mins[j + 4]! & 15) << 4);
  }
}

function unpackScale(bytes: Uint8Array, at: number, j: number): [number, number] {
  if (j < 4) return [bytes[at + j]! & 63, bytes[at + j + 4]! & 63];
  return [(bytes[at + j + 4]! & 0xf) | ((bytes[at + j - 4]! >> 6) << 4), (bytes[at + j + 4]! >> 4) | ((bytes[at + j]! >> 6) << 4)];
}

function quantizeQ4_K(values: Float32Array): Uint8Array {
  const blocks = values.length / 256;
  const out = new Uint8Array(blocks * Q4K_BYTES);
  const view = new DataView(out.buffer);
  for (let block = 0; block < blocks; block++) {
    const base = block * 256;
    const subScale: number[] = [];
    const subMin: number[] = [];
    for (let s = 0; s < 8; s++) {
      let lo = 0;
      let hi = 0;
      for (let l = 0; l < 32; l++) {
        const v = values[base + s * 32 + l]!;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      subScale.push((hi - lo) / 15);
      subMin.push(-lo);
    }
    const d = Math.max(...subScale) / 63;
    const dmin = Math.max(...subMin) / 63;
    const dHalf = f16ToF32(f32ToF16(d));
    const dminHalf = f16ToF32(f32ToF16(dmin));
    const scales = subScale.map((s) => (dHalf ? Math.min(63, Math.round(s / dHalf)) : 0));
    const mins = subMin.map((m) => (dminHalf ? Math.min(63, Math.round(m / dminHalf)) : 0));
    const at = block * Q4K_BYTES;
    view.setUint16(at, f32ToF16(d), true);
    view.setUint16(at + 2, f32ToF16(dmin), true);
    packScales(scales, mins, out, at + 4);
    for (let chunk = 0; chunk < 4; chunk++) {
      for (let half = 0; half < 2; half++) {
        const s = chunk * 2 + half;
        const scale = dHalf * scales[s]!;
        const offset = dminHalf * mins[s]!;
        for (let l = 0; l < 32; l++) {
          const v = values[base + s * 32 + l]!;
          const q = scale ? Math.max(0, Math.min(15, Math.round((v + offset) / scale))) : 0;
          out[at + 16 + chunk * 32 + l]! |= half === 0 ? q : q << 4;
        }
      }
    }
  }
  return out;
}

function dequantizeQ4_K(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let block = 0; block < count / 256; block++) {
    const at = block * Q4K_BYTES;
    const d = f16ToF32(view.getUint16(at, true));
    const dmin = f16ToF32(view.getUint16(at + 2, true));
    for (let chunk = 0; chunk < 4; chunk++) {
      for (let half = 0; half < 2; half++) {
        const [sc, m] = unpackScale(bytes, at + 4, chunk * 2 + half);
        for (let l = 0; l < 32; l++) {
          const byte = bytes[at + 16 + chunk * 32 + l]!;
          const q = half === 0 ? byte & 0xf : byte >> 4;
          out[block * 256 + (chunk * 2 + half) * 32 + l] = d * sc * q - dmin * m;
        }
      }
    }
  }
  return out;
}
