// Bad GGUF input: each kind of damage gets its own typed error whose message says what was expected and what was
// found, within milliseconds and without allocating memory proportional to the sizes the file claims.
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuskError } from "../../common/index.js";
import { UnknownGgmlTypeError } from "../ggml.js";
import { BufferRandomAccess } from "../random-access.js";
import {
  DuplicateGgufNameError,
  GgufFormatError,
  ImplausibleGgufValueError,
  InvalidGgufMagicError,
  InvalidGgufTensorError,
  InvalidGgufValueTypeError,
  TruncatedGgufError,
  UnsupportedGgufVersionError,
} from "./errors.js";
import { GgufModel, openGguf } from "./reader.js";
import { gguf } from "./values.js";
import { writeGguf } from "./writer.js";

/** A little-endian byte builder, independent of dusk's encoder. */
class Raw {
  private readonly parts: Buffer[] = [];
  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.parts.push(b);
    return this;
  }
  u64(value: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.parts.push(b);
    return this;
  }
  str(value: string, length: bigint | number = Buffer.byteLength(value)): this {
    this.u64(length);
    this.parts.push(Buffer.from(value, "utf8"));
    return this;
  }
  bytes(value: Uint8Array | number[]): this {
    this.parts.push(Buffer.from(value));
    return this;
  }
  /** Magic, version and the two counts. */
  head(tensors: bigint | number, keys: bigint | number, version = 3): this {
    return this.bytes(Buffer.from("GGUF")).u32(version).u64(tensors).u64(keys);
  }
  /** A tensor info: name, dims, type id, offset. */
  tensor(name: string, dims: (bigint | number)[], type: number, offset: bigint | number): this {
    this.str(name).u32(dims.length);
    for (const dim of dims) this.u64(dim);
    return this.u32(type).u64(offset);
  }
  /** Pads with zeros to a multiple of `alignment`, then appends `data` zero bytes. */
  data(bytes: number, alignment = 32): this {
    const length = this.parts.reduce((sum, part) => sum + part.length, 0);
    return this.bytes(new Uint8Array((alignment - (length % alignment)) % alignment + bytes));
  }
  build(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

const HUGE = 2n ** 60n;
const F32 = 0;
const U32 = 4;
const STRING = 8;
const ARRAY = 9;

/** Parses `bytes` as "bad.gguf" and returns the error, checking it came fast and without a large allocation. */
async function parseError(bytes: Uint8Array): Promise<DuskError> {
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  let caught: unknown;
  try {
    await GgufModel.fromSources(["bad.gguf"], [new BufferRandomAccess(bytes)]);
  } catch (error) {
    caught = error;
  }
  expect(performance.now() - started).toBeLessThan(200);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  expect(caught, "expected the parse to fail").toBeInstanceOf(DuskError);
  const error = caught as DuskError;
  expect(error.message).toMatch(/expected .+ but /);
  expect(error.hint).toBeTruthy();
  return error;
}

type ErrorClass = abstract new (...args: never[]) => Error;

const CASES: { name: string; bytes: () => Uint8Array; error: ErrorClass; message: RegExp }[] = [
  { name: "an empty file", bytes: () => new Uint8Array(0), error: InvalidGgufMagicError, message: /but got a file of 0 bytes/ },
  { name: "wrong magic", bytes: () => new Raw().bytes(Buffer.from("GGML")).u32(3).u64(0).u64(0).build(), error: InvalidGgufMagicError, message: /expected the GGUF magic "GGUF" but got "GGML"/ },
  { name: "a safetensors file", bytes: () => new Raw().u64(2).bytes(Buffer.from("{}")).build(), error: InvalidGgufMagicError, message: /but got "\\u0002\\u0000\\u0000\\u0000"/ },
  { name: "version 1", bytes: () => new Raw().head(0, 0, 1).build(), error: UnsupportedGgufVersionError, message: /expected GGUF version 2 or 3 but got version 1/ },
  { name: "version 99", bytes: () => new Raw().head(0, 0, 99).build(), error: UnsupportedGgufVersionError, message: /but got version 99/ },
  { name: "a big-endian file", bytes: () => new Raw().bytes(Buffer.from("GGUF")).bytes([0, 0, 0, 3]).u64(0).u64(0).build(), error: UnsupportedGgufVersionError, message: /but got version 50331648/ },
  { name: "tensor count 2^60", bytes: () => new Raw().head(HUGE, 0).build(), error: ImplausibleGgufValueError, message: /expected the tensor count to be small enough for the file's size but got 1152921504606846976/ },
  { name: "key count 2^60", bytes: () => new Raw().head(0, HUGE).build(), error: ImplausibleGgufValueError, message: /expected the metadata key count to be .* but got 1152921504606846976/ },
  { name: "a key length past the end", bytes: () => new Raw().head(0, 1).str("k", 1000).u32(U32).u32(1).build(), error: TruncatedGgufError, message: /expected 1000 more bytes for metadata key 0 but the file has only 9 left/ },
  { name: "a string length of 2^64-1", bytes: () => new Raw().head(0, 1).str("k").u32(STRING).str("v", 2n ** 64n - 1n).build(), error: TruncatedGgufError, message: /expected 18446744073709551615 more bytes for the value of "k"/ },
  { name: "a u8 array count 2^60", bytes: () => new Raw().head(0, 1).str("k").u32(ARRAY).u32(0).u64(HUGE).build(), error: ImplausibleGgufValueError, message: /expected the item count of "k" to be at most 0 \(the bytes left in the file\) but got 1152921504606846976/ },
  { name: "a string array count 2^60", bytes: () => new Raw().head(0, 1).str("k").u32(ARRAY).u32(STRING).u64(HUGE).str("a").build(), error: ImplausibleGgufValueError, message: /item count of "k" .* but got 1152921504606846976/ },
  { name: "an array-of-arrays count 2^60", bytes: () => new Raw().head(0, 1).str("k").u32(ARRAY).u32(ARRAY).u64(HUGE).build(), error: ImplausibleGgufValueError, message: /item count of "k"/ },
  { name: "a u64 array count just past the end", bytes: () => new Raw().head(0, 1).str("k").u32(ARRAY).u32(10).u64(3).u64(1).u64(2).build(), error: ImplausibleGgufValueError, message: /to be at most 2 \(the bytes left in the file\) but got 3/ },
  { name: "an unknown value type", bytes: () => new Raw().head(0, 1).str("k").u32(13).u32(0).build(), error: InvalidGgufValueTypeError, message: /expected a GGUF value type 0-12 for "k" but got 13/ },
  { name: "an unknown array item type", bytes: () => new Raw().head(0, 1).str("k").u32(ARRAY).u32(77).u64(0).build(), error: InvalidGgufValueTypeError, message: /for "k\[\]" but got 77/ },
  { name: "arrays nested 100 deep", bytes: () => nested(100), error: ImplausibleGgufValueError, message: /expected the nesting of arrays in "deep" to be at most 8 but got 9/ },
  { name: "a duplicate key", bytes: () => new Raw().head(0, 2).str("k").u32(U32).u32(1).str("k").u32(U32).u32(2).build(), error: DuplicateGgufNameError, message: /expected each metadata key name once but "k" appears twice/ },
  { name: "general.alignment 0", bytes: () => alignment((r) => r.u32(U32).u32(0)), error: ImplausibleGgufValueError, message: /expected general.alignment to be a u32 power of two but got 0/ },
  { name: "general.alignment 3", bytes: () => alignment((r) => r.u32(U32).u32(3)), error: ImplausibleGgufValueError, message: /but got 3/ },
  { name: "general.alignment as a u64", bytes: () => alignment((r) => r.u32(10).u64(32)), error: ImplausibleGgufValueError, message: /general.alignment to be a u32 power of two but got 32/ },
  { name: "general.alignment as a string", bytes: () => alignment((r) => r.u32(STRING).str("32")), error: ImplausibleGgufValueError, message: /general.alignment to be a u32 power of two/ },
  { name: "n_dims 0", bytes: () => new Raw().head(1, 0).tensor("t", [], F32, 0).data(32).build(), error: ImplausibleGgufValueError, message: /expected the dimension count of tensor "t" to be between 1 and 4 but got 0/ },
  { name: "n_dims 5", bytes: () => new Raw().head(1, 0).tensor("t", [1, 1, 1, 1, 1], F32, 0).data(32).build(), error: ImplausibleGgufValueError, message: /between 1 and 4 but got 5/ },
  { name: "a dimension of 2^63", bytes: () => new Raw().head(1, 0).tensor("t", [2n ** 63n], F32, 0).data(32).build(), error: ImplausibleGgufValueError, message: /expected dimension 0 of "t" to be a safe integer but got 9223372036854775808/ },
  { name: "dimensions whose product overflows", bytes: () => new Raw().head(1, 0).tensor("t", [2 ** 30, 2 ** 30, 2 ** 30], F32, 0).data(32).build(), error: InvalidGgufTensorError, message: /tensor "t": expected a valid F32 shape but its byte size overflows/ },
  { name: "one dimension whose byte size overflows", bytes: () => new Raw().head(1, 0).tensor("t", [2 ** 52], F32, 0).data(32).build(), error: InvalidGgufTensorError, message: /its byte size overflows/ },
  { name: "a row that is not whole blocks", bytes: () => new Raw().head(1, 0).tensor("t", [100], 12, 0).data(144).build(), error: InvalidGgufTensorError, message: /first dimension 100 is not a multiple of Q4_K's block size 256/ },
  { name: "unknown ggml type 4 (removed Q4_2)", bytes: () => new Raw().head(1, 0).tensor("t", [32], 4, 0).data(32).build(), error: UnknownGgmlTypeError, message: /expected a known ggml type for tensor "t" in bad.gguf but found type id 4/ },
  { name: "unknown ggml type 1000", bytes: () => new Raw().head(1, 0).tensor("t", [32], 1000, 0).data(32).build(), error: UnknownGgmlTypeError, message: /but found type id 1000/ },
  { name: "data past the end", bytes: () => new Raw().head(1, 0).tensor("t", [16], F32, 0).data(60).build(), error: TruncatedGgufError, message: /expected 64 more bytes for the data of tensor "t" \(offset 0, 64 bytes\) but the file has only 60 left/ },
  { name: "an offset of 2^63", bytes: () => new Raw().head(1, 0).tensor("t", [1], F32, 2n ** 63n).data(32).build(), error: TruncatedGgufError, message: /the data of tensor "t" \(offset 9223372036854775808/ },
  { name: "a misaligned offset", bytes: () => new Raw().head(1, 0).tensor("t", [1], F32, 4).data(64).build(), error: InvalidGgufTensorError, message: /tensor "t": expected an offset aligned to 32 bytes but got 4/ },
  {
    name: "overlapping tensors",
    bytes: () => new Raw().head(2, 0).tensor("a", [16], F32, 0).tensor("b", [8], F32, 32).data(64).build(),
    error: InvalidGgufTensorError,
    message: /tensor "b": expected its data to start after "a" ends \(64\) but it starts at 32/,
  },
  { name: "a duplicate tensor name", bytes: () => new Raw().head(2, 0).tensor("t", [8], F32, 0).tensor("t", [8], F32, 32).data(64).build(), error: DuplicateGgufNameError, message: /expected each tensor name once but "t" appears twice/ },
];

/** A key whose value is `depth` arrays nested in each other, the innermost an empty u8 array. */
function nested(depth: number): Uint8Array {
  const raw = new Raw().head(0, 1).str("deep").u32(ARRAY);
  for (let i = 0; i < depth - 1; i++) raw.u32(ARRAY).u64(1);
  return raw.u32(0).u64(0).build();
}

/** A file whose only key is general.alignment, with the type and value `write` gives it, and one tensor. */
function alignment(write: (raw: Raw) => Raw): Uint8Array {
  return write(new Raw().head(1, 1).str("general.alignment")).tensor("t", [8], F32, 0).data(64, 64).build();
}

describe("bad GGUF input", () => {
  it.each(CASES)("refuses $name with its typed error", async ({ bytes, error: errorClass, message }) => {
    const error = await parseError(bytes());
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(message);
  });

  it("refuses a file truncated at any point with a typed error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dusk-gguf-bad-"));
    try {
      const path = join(dir, "good.gguf");
      await writeGguf(path, {
        metadata: new Map([
          ["general.architecture", gguf.str("llama")],
          ["n", gguf.u64(7)],
          ["names", gguf.strings(["alpha", "beta", "gamma"])],
          ["scores", gguf.f32s([1, 2, 3])],
          ["flag", gguf.bool(true)],
        ]),
        tensors: [
          { name: "a", type: "F32", dims: [4, 2], data: new Uint8Array(32) },
          { name: "b", type: "Q8_0", dims: [32], data: new Uint8Array(34) },
        ],
      });
      const good = new Uint8Array(await readFile(path));
      const model = await GgufModel.fromSources(["good.gguf"], [new BufferRandomAccess(good)]);
      const dataOffset = model.headers[0]!.dataOffset;
      const lastByte = model.tensor("b")!.fileOffset + 34;
      const seen = new Set<string>();
      for (let cut = 0; cut < lastByte; cut++) {
        const error = await parseError(good.subarray(0, cut));
        expect(error).toBeInstanceOf(GgufFormatError);
        seen.add(error.constructor.name);
        if (cut < 4) expect(error).toBeInstanceOf(InvalidGgufMagicError);
        else if (cut >= dataOffset) expect(error.message).toMatch(/expected \d+ more bytes for the data of tensor "[ab]"/);
        else expect([TruncatedGgufError, ImplausibleGgufValueError].some((type) => error instanceof type)).toBe(true);
      }
      expect([...seen].sort()).toEqual(["ImplausibleGgufValueError", "InvalidGgufMagicError", "TruncatedGgufError"]);

      // The same through a real file.
      const cutPath = join(dir, "cut.gguf");
      await writeFile(cutPath, good.subarray(0, dataOffset + 3));
      await expect(openGguf(cutPath)).rejects.toThrow(TruncatedGgufError);
      await expect(openGguf(dir)).rejects.toThrow(/expected the GGUF magic "GGUF" but got a folder/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

let memoryDir: string;
beforeAll(async () => {
  memoryDir = await mkdtemp(join(tmpdir(), "dusk-gguf-bad-big-"));
});
afterAll(async () => {
  await rm(memoryDir, { recursive: true, force: true });
});

describe("bad GGUF input on disk", () => {
  it("refuses hostile counts in a real file fast and without reading much of it", async () => {
    // A 64 MB (sparse) file whose string array claims one item per 8 bytes left: bounded by the file, not by 2^60.
    const path = join(memoryDir, "hostile.gguf");
    const header = new Raw().head(0, 1).str("k").u32(ARRAY).u32(STRING).u64(HUGE).build();
    await writeFile(path, header);
    await truncate(path, 64 * 1024 * 1024);
    const started = performance.now();
    await expect(openGguf(path)).rejects.toThrow(ImplausibleGgufValueError);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
