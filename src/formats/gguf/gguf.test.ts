// GGUF reader and writer: every metadata value type (checked against bytes built by hand from the spec), versions 2
// and 3, `general.alignment`, tensors of many ggml types as raw bytes, and byte-identical read → write round trips.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BufferRandomAccess } from "../random-access.js";
import { GgufValueType } from "./constants.js";
import { GgufModel, openGguf } from "./reader.js";
import { gguf, type GgufArray, type GgufMetadata, type GgufValue } from "./values.js";
import { writeGguf, type GgufTensorWithData } from "./writer.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-gguf-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Little-endian bytes built with Buffer's own writers, independent of dusk's encoder. */
const le = {
  u32: (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; },
  u64: (v: bigint | number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; },
  str: (s: string | Uint8Array) => { const bytes = typeof s === "string" ? Buffer.from(s, "utf8") : Buffer.from(s); return Buffer.concat([le.u64(bytes.length), bytes]); },
};

/** The whole file GGUF v3 spells for one key and no tensors (no padding: nothing follows the header). */
function singleKeyFile(key: string, type: number, valueBytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from("GGUF", "latin1"), le.u32(3), le.u64(0), le.u64(1), le.str(key), le.u32(type), valueBytes]);
}

async function parseBytes(bytes: Uint8Array, name = "mem.gguf"): Promise<GgufModel> {
  return GgufModel.fromSources([name], [new BufferRandomAccess(bytes)]);
}

const i32Array = (items: number[]): GgufArray => ({ itemType: GgufValueType.INT32, items: Int32Array.from(items) });

/** One value of every type, with the bytes the spec gives for it. */
const ENCODED: { name: string; value: GgufValue; bytes: Buffer }[] = [
  { name: "u8", value: gguf.u8(255), bytes: Buffer.from([0, 0xff]) },
  { name: "i8", value: gguf.i8(-128), bytes: Buffer.from([1, 0x80]) },
  { name: "u16", value: gguf.u16(65535), bytes: Buffer.from([2, 0xff, 0xff]) },
  { name: "i16", value: gguf.i16(-32768), bytes: Buffer.from([3, 0x00, 0x80]) },
  { name: "u32", value: gguf.u32(0xdeadbeef), bytes: Buffer.from([4, 0xef, 0xbe, 0xad, 0xde]) },
  { name: "i32", value: gguf.i32(-2), bytes: Buffer.from([5, 0xfe, 0xff, 0xff, 0xff]) },
  { name: "f32", value: gguf.f32(1.5), bytes: Buffer.from([6, 0x00, 0x00, 0xc0, 0x3f]) },
  { name: "bool", value: gguf.bool(true), bytes: Buffer.from([7, 0x01]) },
  { name: "string", value: gguf.str("hé"), bytes: Buffer.concat([Buffer.from([8]), le.u64(3), Buffer.from([0x68, 0xc3, 0xa9])]) },
  { name: "u64", value: gguf.u64(2n ** 64n - 1n), bytes: Buffer.from([10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) },
  { name: "i64", value: gguf.i64(-(2n ** 63n)), bytes: Buffer.from([11, 0, 0, 0, 0, 0, 0, 0, 0x80]) },
  { name: "f64", value: gguf.f64(0.1), bytes: Buffer.from([12, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f]) },
  {
    name: "array of bool",
    value: gguf.array({ itemType: GgufValueType.BOOL, items: Uint8Array.from([1, 0]) }),
    bytes: Buffer.concat([Buffer.from([9]), le.u32(7), le.u64(2), Buffer.from([1, 0])]),
  },
  {
    name: "array of strings",
    value: gguf.strings(["a", ""]),
    bytes: Buffer.concat([Buffer.from([9]), le.u32(8), le.u64(2), le.str("a"), le.str("")]),
  },
  {
    name: "array of arrays",
    value: gguf.array({ itemType: GgufValueType.ARRAY, items: [i32Array([1, 2]), i32Array([3])] }),
    bytes: Buffer.concat([Buffer.from([9]), le.u32(9), le.u64(2), le.u32(5), le.u64(2), le.u32(1), le.u32(2), le.u32(5), le.u64(1), le.u32(3)]),
  },
];

describe("GGUF metadata values", () => {
  it.each(ENCODED)("writes and reads a $name exactly as the spec encodes it", async ({ value, bytes }) => {
    // `bytes` is the value type id (a u32 in the file) followed by the value's encoding.
    const expected = singleKeyFile("k", bytes[0]!, bytes.subarray(1));
    const path = join(dir, "single.gguf");
    await writeGguf(path, { metadata: new Map([["k", value]]), tensors: [] });
    expect(Buffer.from(await readFile(path)).equals(expected)).toBe(true);
    const model = await parseBytes(expected);
    expect(model.metadata.get("k")).toStrictEqual(value);
  });

  it("round-trips every value type, arrays of every item type, nesting, invalid UTF-8 and a BOM-only string", async () => {
    const metadata: GgufMetadata = new Map<string, GgufValue>([
      ["general.architecture", gguf.str("llama")],
      ["u8", gguf.u8(0)], ["i8", gguf.i8(127)], ["u16", gguf.u16(1)], ["i16", gguf.i16(-1)],
      ["u32", gguf.u32(4294967295)], ["i32", gguf.i32(-2147483648)], ["f32", gguf.f32(Math.fround(0.1))],
      ["f64", gguf.f64(-1e300)], ["u64", gguf.u64(2n ** 63n)], ["i64", gguf.i64(-1n)], ["false", gguf.bool(false)],
      ["empty string", gguf.str("")], ["unicode", gguf.str("日本語 ☃ \u{1F600}")], ["bom only", gguf.str("\uFEFF")],
      ["invalid utf8", { type: GgufValueType.STRING, value: Uint8Array.from([0xff, 0xfe, 0x41]) }],
      ["a.u8", gguf.array({ itemType: GgufValueType.UINT8, items: Uint8Array.from([0, 255]) })],
      ["a.i8", gguf.array({ itemType: GgufValueType.INT8, items: Int8Array.from([-128, 127]) })],
      ["a.u16", gguf.array({ itemType: GgufValueType.UINT16, items: Uint16Array.from([65535]) })],
      ["a.i16", gguf.array({ itemType: GgufValueType.INT16, items: Int16Array.from([-32768, 5]) })],
      ["a.u32", gguf.u32s([1, 2, 3])], ["a.i32", gguf.i32s([-1, 0, 1])], ["a.f32", gguf.f32s([0.5, -0.25, Number.POSITIVE_INFINITY])],
      ["a.f64", gguf.array({ itemType: GgufValueType.FLOAT64, items: Float64Array.from([Math.PI, -0]) })],
      ["a.u64", gguf.array({ itemType: GgufValueType.UINT64, items: BigUint64Array.from([0n, 2n ** 64n - 1n]) })],
      ["a.i64", gguf.array({ itemType: GgufValueType.INT64, items: BigInt64Array.from([-(2n ** 63n), 7n]) })],
      ["a.bool", gguf.array({ itemType: GgufValueType.BOOL, items: Uint8Array.from([1, 0, 1]) })],
      ["a.empty", gguf.array({ itemType: GgufValueType.FLOAT32, items: new Float32Array(0) })],
      ["a.strings", { type: GgufValueType.ARRAY, value: { itemType: GgufValueType.STRING, items: ["x", "", "\uFEFF", Uint8Array.from([0xc3])] } }],
      ["a.nested", gguf.array({
        itemType: GgufValueType.ARRAY,
        items: [
          i32Array([1]),
          { itemType: GgufValueType.STRING, items: ["p", "q"] },
          { itemType: GgufValueType.ARRAY, items: [{ itemType: GgufValueType.ARRAY, items: [i32Array([])] }] },
        ],
      })],
    ]);
    const path = join(dir, "all-types.gguf");
    await writeGguf(path, { metadata, tensors: [] });
    const model = await openGguf(path);
    try {
      expect([...model.metadata.keys()]).toEqual([...metadata.keys()]);
      expect(model.metadata).toStrictEqual(metadata);
      const bom = model.metadata.get("bom only");
      expect(bom?.value).toBe("\uFEFF");
      // The BOM is kept as its three UTF-8 bytes, not stripped.
      const bytes = await readFile(path);
      expect(bytes.includes(Buffer.concat([le.u64(3), Buffer.from([0xef, 0xbb, 0xbf])]))).toBe(true);
      const copy = join(dir, "all-types-copy.gguf");
      await copyGguf(model, copy);
      expect((await readFile(copy)).equals(bytes)).toBe(true);
    } finally {
      await model.close();
    }
  });
});

/** Writes `model` again through the writer (metadata, version and tensors streamed from the source). */
async function copyGguf(model: GgufModel, destination: string): Promise<void> {
  await writeGguf(destination, {
    version: model.version,
    metadata: model.metadata,
    tensors: model.tensors.map((t) => ({ name: t.name, type: t.ggmlType, dims: t.dims, data: () => model.streamTensor(t.name, { chunkBytes: 7 }) })),
  });
}

function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** Tensors of many ggml types with the byte sizes ggml-common.h gives their blocks. */
const TENSORS: { name: string; type: string; dims: number[]; bytes: number }[] = [
  { name: "f32", type: "F32", dims: [3, 2], bytes: 24 },
  { name: "f16", type: "F16", dims: [5], bytes: 10 },
  { name: "bf16", type: "BF16", dims: [4, 3], bytes: 24 },
  { name: "q8_0", type: "Q8_0", dims: [64, 2], bytes: 4 * 34 },
  { name: "q4_k", type: "Q4_K", dims: [256], bytes: 144 },
  { name: "q2_k", type: "Q2_K", dims: [512, 2], bytes: 4 * 84 },
  { name: "q6_k", type: "Q6_K", dims: [256, 1, 1], bytes: 210 },
  { name: "iq2_xxs", type: "IQ2_XXS", dims: [256], bytes: 66 },
  { name: "iq4_nl", type: "IQ4_NL", dims: [32, 3], bytes: 3 * 18 },
  { name: "iq4_xs", type: "IQ4_XS", dims: [256], bytes: 136 },
  { name: "iq1_m", type: "IQ1_M", dims: [256], bytes: 56 },
  { name: "tq2_0", type: "TQ2_0", dims: [256], bytes: 66 },
  { name: "mxfp4", type: "MXFP4", dims: [32], bytes: 17 },
  { name: "i8", type: "I8", dims: [7], bytes: 7 },
  { name: "i64", type: "I64", dims: [2], bytes: 16 },
  { name: "f64", type: "F64", dims: [3], bytes: 24 },
  { name: "four-d", type: "F32", dims: [2, 3, 4, 5], bytes: 480 },
  { name: "empty", type: "F32", dims: [0, 4], bytes: 0 },
];

describe("GGUF tensors", () => {
  it("encodes a tensor info and pads header and data to the alignment as the spec says", async () => {
    const path = join(dir, "one-tensor.gguf");
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await writeGguf(path, { metadata: new Map(), tensors: [{ name: "t", type: "F16", dims: [5], data }] });
    const header = Buffer.concat([Buffer.from("GGUF"), le.u32(3), le.u64(1), le.u64(0), le.str("t"), le.u32(1), le.u64(5), le.u32(1), le.u64(0)]);
    expect(header.length).toBe(57);
    const expected = Buffer.concat([header, Buffer.alloc(64 - 57), data, Buffer.alloc(32 - 10)]);
    expect((await readFile(path)).equals(expected)).toBe(true);
  });

  it("carries tensors of many ggml types as raw bytes, at aligned offsets, and round-trips them byte for byte", async () => {
    const tensors: GgufTensorWithData[] = TENSORS.map((t, i) => ({ name: t.name, type: t.type, dims: t.dims, data: randomBytes(t.bytes, i + 1) }));
    const path = join(dir, "types.gguf");
    await writeGguf(path, { metadata: new Map([["general.architecture", gguf.str("test")]]), tensors });
    const file = await readFile(path);
    const model = await openGguf(path);
    try {
      expect(model.tensors.map((t) => t.name)).toEqual(TENSORS.map((t) => t.name));
      for (const [i, expected] of TENSORS.entries()) {
        const info = model.tensor(expected.name)!;
        expect(info).toMatchObject({ type: expected.type, shape: [...expected.dims].reverse(), dims: expected.dims, byteLength: expected.bytes });
        expect(info.fileOffset % 32).toBe(0);
        const bytes = randomBytes(expected.bytes, i + 1);
        expect(file.subarray(info.fileOffset, info.fileOffset + expected.bytes).equals(bytes)).toBe(true);
        expect(await model.readTensor(expected.name)).toEqual(bytes);
      }
      const copy = join(dir, "types-copy.gguf");
      await copyGguf(model, copy);
      expect((await readFile(copy)).equals(file)).toBe(true);
    } finally {
      await model.close();
    }
  });

  it("honours general.alignment = 64 (and 1) when writing and reading", async () => {
    for (const alignment of [64, 1]) {
      const tensors = [
        { name: "a", type: "F32", dims: [3], data: randomBytes(12, 1) },
        { name: "b", type: "F16", dims: [5], data: randomBytes(10, 2) },
        { name: "c", type: "Q8_0", dims: [32], data: randomBytes(34, 3) },
      ];
      const path = join(dir, `align-${alignment}.gguf`);
      await writeGguf(path, { metadata: new Map([["general.alignment", gguf.u32(alignment)]]), tensors });
      const file = await readFile(path);
      const model = await openGguf(path);
      try {
        expect(model.alignment).toBe(alignment);
        expect(model.headers[0]!.dataOffset % alignment).toBe(0);
        expect(model.tensors.map((t) => t.offset)).toEqual(alignment === 64 ? [0, 64, 128] : [0, 12, 22]);
        for (const t of tensors) expect(await model.readTensor(t.name)).toEqual(t.data);
        expect(file.length).toBe(model.headers[0]!.dataOffset + (alignment === 64 ? 192 : 56));
        const copy = join(dir, `align-${alignment}-copy.gguf`);
        await copyGguf(model, copy);
        expect((await readFile(copy)).equals(file)).toBe(true);
      } finally {
        await model.close();
      }
    }
  });
});

describe("GGUF versions", () => {
  it("reads versions 2 and 3, which differ only in the version field", async () => {
    const metadata: GgufMetadata = new Map([["general.name", gguf.str("v")], ["n", gguf.u64(5)]]);
    const tensors = [{ name: "w", type: "F32", dims: [4], data: randomBytes(16, 9) }];
    const files: Buffer[] = [];
    for (const version of [2, 3]) {
      const path = join(dir, `v${version}.gguf`);
      await writeGguf(path, { version, metadata, tensors });
      const model = await openGguf(path);
      try {
        expect(model.version).toBe(version);
        expect(model.metadata).toStrictEqual(metadata);
        expect(await model.readTensor("w")).toEqual(tensors[0]!.data);
        const copy = join(dir, `v${version}-copy.gguf`);
        await copyGguf(model, copy);
        expect((await readFile(copy)).equals(await readFile(path))).toBe(true);
      } finally {
        await model.close();
      }
      files.push(await readFile(path));
    }
    const [v2, v3] = files as [Buffer, Buffer];
    expect(v2.readUInt32LE(4)).toBe(2);
    expect(v3.readUInt32LE(4)).toBe(3);
    expect(Buffer.concat([v2.subarray(0, 4), v2.subarray(8)]).equals(Buffer.concat([v3.subarray(0, 4), v3.subarray(8)]))).toBe(true);
  });
});
