// dusk's conversions and quantizers against independent references: F16 bit patterns recorded from numpy
// (float32 → float16, round to nearest even), BF16 from an exact-rational reference, and Q8_0 / Q4_K checked with a
// block decoder written here from ggml-common.h / ggml-quants.c (get_scale_min_k4) and the formats' error bounds.
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../common/index.js";
import { ggmlTypeByName } from "../ggml.js";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "./half.js";
import { dequantize, quantize } from "./quantize.js";

/** [float32 value, numpy's float16 bits] (np.float32(v).astype(np.float16)). */
const F16_CASES: [number, number][] = [
  [1.0, 0x3c00], [-2.0, 0xc000], [65504.0, 0x7bff], [65519.0, 0x7bff], [65520.0, 0x7c00], [1000000.0, 0x7c00],
  [6.103515625e-5, 0x0400], [5.960464477539063e-8, 0x0001], [2 ** -25, 0x0000], [4.470348358154297e-8, 0x0001],
  [1.4901161193847656e-8, 0x0000], [5.99999978589949e-8, 0x0001], [1.000000013351432e-10, 0x0000], [0.10000000149011612, 0x2e66],
  [0.3333333432674408, 0x3555], [-0.0, 0x8000], [Infinity, 0x7c00], [-Infinity, 0xfc00], [1.00048828125, 0x3c00],
  [1.00146484375, 0x3c02], [1.0004892349243164, 0x3c01], [2049.0, 0x6800], [2051.0, 0x6802], [0.5, 0x3800],
  [3.1415927410125732, 0x4248], [-123.45600128173828, 0xd7b7], [6.1005353927612305e-5, 0x0400], [3.0547380447387695e-5, 0x0200],
  [8.940696716308594e-8, 0x0002], [1.4901161193847656e-7, 0x0002], [-1.0000000116860974e-7, 0x8002],
];

/** [float32 bits, bfloat16 bits], round to nearest even (ties 0x3f808000 → even, 0x3f818000 → up). */
const BF16_CASES: [number, number][] = [
  [0x3f800000, 0x3f80], [0x3dcccccd, 0x3dcd], [0x3f808000, 0x3f80], [0x3f818000, 0x3f82], [0x3f808001, 0x3f81],
  [0x7f7fffff, 0x7f80], [0x00000001, 0x0000], [0x80000000, 0x8000], [0xc0490fdb, 0xc049], [0x7f800000, 0x7f80], [0xff800000, 0xff80],
];

const f32Bits = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

/** float32 patterns (i·2654435761 + 12345) mod 2^32 for i < 20000, NaNs skipped, hashed as h = h·31 + result. */
function sweepHash(convert: (value: number) => number): { count: number; hash: number } {
  let hash = 0;
  let count = 0;
  for (let i = 0; i < 20000; i++) {
    const bits = (i * 2654435761 + 12345) % 4294967296;
    if ((bits & 0x7fffffff) >>> 0 > 0x7f800000) continue;
    count += 1;
    hash = (Math.imul(hash, 31) + convert(f32Bits(bits))) >>> 0;
  }
  return { count, hash };
}

describe("F16 and BF16", () => {
  it.each(F16_CASES)("converts %f to the F16 bits numpy gives (%i)", (value, bits) => {
    expect(f32ToF16(value).toString(16)).toBe(bits.toString(16));
  });

  it("matches numpy on 19923 float32 bit patterns (hash recorded from numpy)", () => {
    expect(sweepHash(f32ToF16)).toEqual({ count: 19923, hash: 0xb05190c4 });
  });

  it("decodes F16 (subnormals, max, infinities, NaN) and round-trips every non-NaN pattern", () => {
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x03ff)).toBe(6.097555160522461e-5);
    expect(f16ToF32(0x0400)).toBe(2 ** -14);
    expect(f16ToF32(0x3555)).toBe(0.333251953125);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0xfbff)).toBe(-65504);
    expect(f16ToF32(0x3c01)).toBe(1.0009765625);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(f16ToF32(0x7e00)).toBeNaN();
    const nan = f32ToF16(Number.NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x3ff).not.toBe(0);
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0) continue;
      if (f32ToF16(f16ToF32(bits)) !== bits) throw new Error(`F16 0x${bits.toString(16)} does not round-trip`);
    }
  });

  it.each(BF16_CASES)("converts float32 bits %i to BF16 bits %i", (bits, expected) => {
    expect(f32ToBf16(f32Bits(bits)).toString(16)).toBe(expected.toString(16));
  });

  it("matches an exact-rational round-to-nearest-even reference on 19923 patterns, and round-trips every BF16", () => {
    expect(sweepHash(f32ToBf16)).toEqual({ count: 19923, hash: 0xe4bcfc70 });
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc049)).toBe(-3.140625);
    const nan = f32ToBf16(Number.NaN);
    expect(nan & 0x7f80).toBe(0x7f80);
    expect(nan & 0x7f).not.toBe(0);
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7f80) === 0x7f80 && (bits & 0x7f) !== 0) continue;
      if (f32ToBf16(bf16ToF32(bits)) !== bits) throw new Error(`BF16 0x${bits.toString(16)} does not round-trip`);
    }
  });
});

/** Gaussian-ish values from a fixed LCG (sum of uniforms), scaled per block to exercise different ranges. */
function testValues(count: number, seed = 7): Float32Array {
  const out = new Float32Array(count);
  let state = seed;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  for (let i = 0; i < count; i++) {
    const scale = 0.01 * 10 ** ((i >> 8) % 4); // blocks of 256 at scales 0.01 … 10
    out[i] = scale * (uniform() + uniform() + uniform() - 1.5 + ((i >> 5) % 8 === 3 ? 2 : 0));
  }
  return out;
}

describe("Q8_0", () => {
  it("has ggml's block size and decodes as d·q with d the F16 of max|x|/127", () => {
    const type = ggmlTypeByName("Q8_0")!;
    const values = testValues(32 * 40);
    const bytes = quantize(values, "Q8_0");
    expect(bytes.length).toBe((values.length / type.blockSize) * type.bytesPerBlock);
    const view = new DataView(bytes.buffer);
    const back = dequantize(bytes, "Q8_0", values.length);
    for (let block = 0; block < values.length / 32; block++) {
      const x = values.subarray(block * 32, block * 32 + 32);
      const amax = Math.max(...Array.from(x, Math.abs));
      expect(view.getUint16(block * 34, true)).toBe(f32ToF16(amax / 127));
      const d = f16ToF32(view.getUint16(block * 34, true));
      for (let j = 0; j < 32; j++) {
        const q = view.getInt8(block * 34 + 2 + j);
        expect(Math.abs(q)).toBeLessThanOrEqual(127);
        expect(back[block * 32 + j]).toBe(Math.fround(d * q));
        // rounding to a step of d, plus the F16 rounding of d itself (relative 2^-11) times |q| ≤ 127
        expect(Math.abs(back[block * 32 + j]! - x[j]!)).toBeLessThanOrEqual(d / 2 + amax * 2 ** -11 + 1e-9);
      }
    }
  });

  it("is exact for values that are integers (|q| ≤ 127, one of them 127) times an F16-exact step", () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => (i < 32 ? (i * 8 - 127) * 0.125 : (127 - 5 * (i - 32)) * 0.5));
    expect(dequantize(quantize(values, "Q8_0"), "Q8_0", 64)).toEqual(values);
  });

  it("refuses lengths that are not whole blocks", () => {
    expect(() => quantize(new Float32Array(33), "Q8_0")).toThrow(InvalidArgumentError);
    expect(() => quantize(new Float32Array(100), "Q4_K")).toThrow(/multiple of Q4_K's block size 256 but got 100/);
  });
});

/** get_scale_min_k4 as ggml-quants.c defines it: 6-bit scale and min j (0-7) from the 12 packed bytes. */
function scaleMinK4(j: number, q: Uint8Array): [number, number] {
  if (j < 4) return [q[j]! & 63, q[j + 4]! & 63];
  return [(q[j + 4]! & 0x0f) | ((q[j - 4]! >> 6) << 4), (q[j + 4]! >> 4) | ((q[j]! >> 6) << 4)];
}

/** dequantize_row_q4_K for one block, written from the ggml reference: 4 chunks of 64 (low nibbles, then high). */
function decodeQ4K(block: Uint8Array): { values: number[]; d: number; dmin: number; scales: number[]; mins: number[] } {
  const view = new DataView(block.buffer, block.byteOffset, 144);
  const d = f16ToF32(view.getUint16(0, true));
  const dmin = f16ToF32(view.getUint16(2, true));
  const packed = block.subarray(4, 16);
  const qs = block.subarray(16, 144);
  const values: number[] = [];
  const scales: number[] = [];
  const mins: number[] = [];
  for (let chunk = 0; chunk < 4; chunk++) {
    const [sc1, m1] = scaleMinK4(2 * chunk, packed);
    const [sc2, m2] = scaleMinK4(2 * chunk + 1, packed);
    scales.push(sc1, sc2);
    mins.push(m1, m2);
    for (let l = 0; l < 32; l++) values.push(d * sc1 * (qs[32 * chunk + l]! & 0x0f) - dmin * m1);
    for (let l = 0; l < 32; l++) values.push(d * sc2 * (qs[32 * chunk + l]! >> 4) - dmin * m2);
  }
  return { values, d, dmin, scales, mins };
}

describe("Q4_K", () => {
  it("has ggml's block size and a layout the reference decoder reads back within the format's error bound", () => {
    const type = ggmlTypeByName("Q4_K")!;
    const values = testValues(256 * 8);
    const bytes = quantize(values, "Q4_K");
    expect(bytes.length).toBe((values.length / type.blockSize) * type.bytesPerBlock);
    const back = dequantize(bytes, "Q4_K", values.length);
    let squared = 0;
    let energy = 0;
    for (let block = 0; block < values.length / 256; block++) {
      const decoded = decodeQ4K(bytes.subarray(block * 144, block * 144 + 144));
      for (let s = 0; s < 8; s++) {
        const x = Array.from(values.subarray(block * 256 + s * 32, block * 256 + s * 32 + 32));
        const lo = Math.min(0, ...x);
        const hi = Math.max(0, ...x);
        // Step S = (hi − lo)/15; the 6-bit scale and min land within d/2 and dmin/2 of S and −lo. Rounding q then costs
        // at most S/2 + d/4; clipping q at 15 costs at most 15·d/2 + dmin/2, clipping at 0 at most dmin/2.
        const bound = (hi - lo) / 30 + 7.5 * decoded.d + 0.5 * decoded.dmin + 1e-6;
        for (let l = 0; l < 32; l++) {
          const i = block * 256 + s * 32 + l;
          expect(back[i]).toBeCloseTo(decoded.values[s * 32 + l]!, 6);
          expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(bound);
          squared += (back[i]! - values[i]!) ** 2;
          energy += values[i]! ** 2;
        }
      }
    }
    // 4 bits per weight: the error energy is a small fraction of the signal's.
    expect(Math.sqrt(squared / energy)).toBeLessThan(0.1);
  });

  it("packs scales and mins above 15 into the high bits as get_scale_min_k4 reads them", () => {
    // Sub-block s spans [−3(8−s)/8, (s+1)/2 − 3(8−s)/8]: every scale and the mins of sub-blocks 0-6 exceed 15.
    const values = new Float32Array(256);
    for (let s = 0; s < 8; s++) {
      for (let l = 0; l < 32; l++) values[s * 32 + l] = ((s + 1) / 2) * (l / 31) - (3 * (8 - s)) / 8;
    }
    const { d, dmin, scales, mins } = decodeQ4K(quantize(values, "Q4_K"));
    const expectedScales: number[] = [];
    const expectedMins: number[] = [];
    for (let s = 0; s < 8; s++) {
      const x = Array.from(values.subarray(s * 32, s * 32 + 32));
      const lo = Math.min(0, ...x);
      const hi = Math.max(0, ...x);
      expectedScales.push(Math.min(63, Math.round((hi - lo) / 15 / d)));
      expectedMins.push(Math.min(63, Math.round(-lo / dmin)));
    }
    expect(scales).toEqual(expectedScales);
    expect(mins).toEqual(expectedMins);
    expect(Math.max(...scales)).toBe(63);
    expect(mins[0]).toBe(63);
    // Values above 15 need the high bits: packed beside scales 0-3 for j ≥ 4, as get_scale_min_k4 expects.
    expect(scales.every((sc) => sc > 15)).toBe(true);
    expect(mins.slice(0, 7).every((m) => m > 15)).toBe(true);
  });
});

describe("F32, F16 and BF16 through quantize", () => {
  it("stores the conversions' bits little-endian", () => {
    const values = Float32Array.from([1, -2, 0.1, 65504, 1e-7]);
    expect(new Uint8Array(quantize(values, "F32"))).toEqual(new Uint8Array(values.buffer));
    const f16 = new DataView(quantize(values, "F16").buffer);
    expect([0, 1, 2, 3, 4].map((i) => f16.getUint16(i * 2, true))).toEqual([0x3c00, 0xc000, 0x2e66, 0x7bff, 0x0002]);
    const bf16 = new DataView(quantize(values, "BF16").buffer);
    expect([0, 1, 2].map((i) => bf16.getUint16(i * 2, true))).toEqual([0x3f80, 0xc000, 0x3dcd]);
    expect(dequantize(quantize(values, "F16"), "F16", 5)[2]).toBe(f16ToF32(0x2e66));
    expect(dequantize(quantize(values, "BF16"), "BF16", 5)[1]).toBe(-2);
  });
});
