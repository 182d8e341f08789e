// Fuzz test of the safetensors reader: seeded mutations of valid files (bytes flipped in the header length, the
// JSON and the data; truncation; lengths changed; numbers and names rewritten) must each end in a typed error or a
// correct read, never another exception or a hang.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BufferRandomAccess } from "../random-access.js";
import { SafetensorsFormatError } from "./errors.js";
import { openSafetensors, readSafetensors, type SafetensorsFile } from "./reader.js";
import { saveSafetensors } from "./writer.js";

const CASES = 2500;
const ON_DISK_EVERY = 10;
const SEED = 0x5afe7e25;

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const int = (random: Random, n: number): number => Math.floor(random() * n);
const JSON_CHARS = '{}[]",:0123456789-.eE \\u';
const NUMBERS = ["-1", "0", "1", "7", "1e3", "1.5", "4294967296", "9007199254740993", "1152921504606846976", "1e400", "null", '"8"'];

function headerRange(file: Uint8Array): [number, number] {
  const length = Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
  return [8, Math.min(file.length, 8 + length)];
}

/** One mutation of a valid file; the kinds cover the header length, the JSON text, the data and the file's end. */
function mutate(original: Uint8Array, random: Random): { bytes: Uint8Array; kind: string } {
  const bytes = Uint8Array.from(original);
  const [start, end] = headerRange(original);
  const view = new DataView(bytes.buffer);
  switch (int(random, 9)) {
    case 0: {
      for (let n = 1 + int(random, 4); n > 0; n--) {
        const at = int(random, bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << int(random, 8));
      }
      return { bytes, kind: "flip anywhere" };
    }
    case 1: {
      bytes[int(random, 8)] = int(random, 256);
      return { bytes, kind: "flip header length" };
    }
    case 2: {
      const choices = [0n, 1n, 2n ** 60n, 2n ** 64n - 1n, 100_000_001n, BigInt(end - start + 8), BigInt(end - start - 8), BigInt(int(random, 400))];
      view.setBigUint64(0, choices[int(random, choices.length)] ?? 0n, true);
      return { bytes, kind: "set header length" };
    }
    case 3: {
      bytes[start + int(random, end - start)] = JSON_CHARS.charCodeAt(int(random, JSON_CHARS.length));
      return { bytes, kind: "JSON character" };
    }
    case 4: {
      const text = new TextDecoder().decode(bytes.subarray(start, end));
      const numbers = [...text.matchAll(/\d+/g)];
      const target = numbers[int(random, numbers.length)];
      if (target?.index === undefined) return { bytes, kind: "no number" };
      const replaced = text.slice(0, target.index) + (NUMBERS[int(random, NUMBERS.length)] ?? "0") + text.slice(target.index + target[0].length);
      return { bytes: rebuild(replaced, bytes.subarray(end), random() < 0.5 ? undefined : end - start), kind: "JSON number" };
    }
    case 5: {
      const text = new TextDecoder().decode(bytes.subarray(start, end));
      const keys = [...text.matchAll(/"([^"]+)":\{/g)];
      const a = keys[int(random, keys.length)];
      const b = keys[int(random, keys.length)];
      if (a === undefined || b === undefined) return { bytes, kind: "no key" };
      const renamed = text.replace(`"${a[1]}":{`, `"${b[1]}":{`);
      return { bytes: rebuild(renamed, bytes.subarray(end)), kind: "rename key" };
    }
    case 6: {
      const text = new TextDecoder().decode(bytes.subarray(start, end));
      const from = int(random, text.length);
      const cut = text.slice(0, from) + text.slice(from + 1 + int(random, 12));
      return { bytes: rebuild(cut, bytes.subarray(end), random() < 0.5 ? undefined : end - start), kind: "delete JSON span" };
    }
    case 7:
      return { bytes: bytes.subarray(0, int(random, bytes.length)), kind: "truncate" };
    default: {
      const extra = Uint8Array.from({ length: 1 + int(random, 16) }, () => int(random, 256));
      const grown = new Uint8Array(bytes.length + extra.length);
      grown.set(bytes);
      grown.set(extra, bytes.length);
      return { bytes: grown, kind: "append" };
    }
  }
}

/** A file from header text and data, with the text's true length or (when `claimed` is given) that length. */
function rebuild(text: string, data: Uint8Array, claimed?: number): Uint8Array {
  const header = new TextEncoder().encode(text);
  const bytes = new Uint8Array(8 + header.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(claimed ?? header.length), true);
  bytes.set(header, 8);
  bytes.set(data, 8 + header.length);
  return bytes;
}

/** A correct read: every tensor's bytes are exactly the file's bytes at its offsets, and the buffer is covered. */
async function checkCorrectRead(file: SafetensorsFile, bytes: Uint8Array): Promise<void> {
  let covered = 0;
  for (const tensor of file.tensors) {
    const [begin, end] = tensor.dataOffsets;
    const data = await file.readTensor(tensor.name);
    expect(data).toEqual(bytes.subarray(file.dataOffset + begin, file.dataOffset + end));
    covered += end - begin;
  }
  expect(file.dataOffset + covered).toBe(bytes.length);
}

let folder: string;
const seeds: Uint8Array[] = [];
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "dusk-st-fuzz-"));
  const random = prng(SEED ^ 0xffff);
  const make = (length: number): Uint8Array => Uint8Array.from({ length }, () => int(random, 256));
  const files = [
    [
      { name: "model.embed_tokens.weight", dtype: "F32", shape: [4, 3], data: make(48) },
      { name: "model.norm.weight", dtype: "BF16", shape: [3], data: make(6) },
      { name: "empty", dtype: "I64", shape: [0], data: make(0) },
      { name: "flag", dtype: "BOOL", shape: [], data: make(1) },
    ],
    [{ name: "x", dtype: "U8", shape: [5], data: make(5) }],
    [
      { name: "10", dtype: "F16", shape: [2, 2], data: make(8) },
      { name: "2", dtype: "I32", shape: [1], data: make(4) },
    ],
  ];
  for (const [i, tensors] of files.entries()) {
    const path = join(folder, `seed-${i}.safetensors`);
    await saveSafetensors(path, tensors, i === 1 ? {} : { metadata: { format: "pt", note: `seed ${i}` } });
    seeds.push(new Uint8Array(await readFile(path)));
  }
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("safetensors fuzz", () => {
  it(`ends each of ${CASES} mutated files in a typed error or a correct read`, async () => {
    const random = prng(SEED);
    const outcomes = new Map<string, number>();
    const started = performance.now();
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = seeds[i % seeds.length] ?? new Uint8Array();
      const { bytes, kind } = mutate(seed, random);
      const caseStart = performance.now();
      let file: SafetensorsFile | undefined;
      try {
        if (i % ON_DISK_EVERY === 0) {
          const path = join(folder, "case.safetensors");
          await writeFile(path, bytes);
          file = await openSafetensors(path);
        } else {
          file = await readSafetensors(new BufferRandomAccess(bytes), `case ${i}`);
        }
        await checkCorrectRead(file, bytes);
        outcomes.set("read", (outcomes.get("read") ?? 0) + 1);
      } catch (error) {
        if (!(error instanceof SafetensorsFormatError)) {
          throw new Error(`case ${i} (${kind}) ended in ${String(error)}`, { cause: error });
        }
        outcomes.set(error.code, (outcomes.get(error.code) ?? 0) + 1);
      } finally {
        await file?.close();
      }
      slowest = Math.max(slowest, performance.now() - caseStart);
    }
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(CASES);
    // The mutations reach both outcomes and many distinct checks.
    expect(outcomes.get("read") ?? 0).toBeGreaterThan(50);
    expect(outcomes.size).toBeGreaterThanOrEqual(10);
    // No case hangs; the whole run takes about 1 s on an idle 2-core machine (the bounds leave room for a busy CI).
    expect(slowest).toBeLessThan(2000);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
