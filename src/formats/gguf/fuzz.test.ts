// Seeded fuzz test of the GGUF reader: valid small files (a tiny Llama model and hand-built ones with every kind of
// metadata) are mutated (bytes flipped, truncated, length and count fields overwritten with hostile values, bytes
// inserted or deleted) and parsed in memory; every case must end in a DuskError or a correct read, never another
// exception and never a hang. Reproduce a failure with DUSK_FUZZ_SEED=<seed> (and DUSK_FUZZ_CASES to run more).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDuskError } from "../../common/index.js";
import { makeTinyModel } from "../../tiny/index.js";
import { BufferRandomAccess, type RandomAccess } from "../random-access.js";
import { GgufValueType } from "./constants.js";
import { GgufModel } from "./reader.js";
import { gguf, type GgufMetadata } from "./values.js";
import { writeGguf } from "./writer.js";

const SEED = Number(process.env.DUSK_FUZZ_SEED ?? 0x5eed2024);
const CASES = Number(process.env.DUSK_FUZZ_CASES ?? 2600);
/** A case that takes longer than this is a hang. */
const CASE_LIMIT_MS = 1000;
/** Reads one case may make before it counts as a hang (a loop that never ends keeps reading). */
const READ_FUEL = 100_000;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): { next: () => number; int: (n: number) => number; pick: <T>(items: readonly T[]) => T } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]! };
}

class HangError extends Error {}

/** Buffer access that gives up after READ_FUEL reads. */
class FuelledAccess implements RandomAccess {
  private readonly inner: BufferRandomAccess;
  private reads = 0;
  constructor(readonly bytes: Uint8Array) {
    this.inner = new BufferRandomAccess(bytes);
  }
  get size(): number {
    return this.inner.size;
  }
  readInto(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    if (++this.reads > READ_FUEL) throw new HangError(`more than ${READ_FUEL} reads`);
    return this.inner.readInto(target, targetOffset, length, position);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Field {
  readonly at: number;
  readonly width: 4 | 8;
  readonly kind: "version" | "count" | "length" | "type" | "dims" | "dim" | "ggml" | "offset";
}

const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Walks a valid file's header (independently of the reader) and lists where its numeric fields are. */
function headerFields(bytes: Uint8Array): { fields: Field[]; headerEnd: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Field[] = [];
  let p = 4;
  const u32 = (kind: Field["kind"]): number => {
    fields.push({ at: p, width: 4, kind });
    p += 4;
    return view.getUint32(p - 4, true);
  };
  const u64 = (kind: Field["kind"]): number => {
    fields.push({ at: p, width: 8, kind });
    p += 8;
    return Number(view.getBigUint64(p - 8, true));
  };
  const string = (): void => {
    const length = u64("length"); // read first: `p += u64()` would add to the old p
    p += length;
  };
  const value = (type: number): void => {
    if (type === GgufValueType.STRING) string();
    else if (type === GgufValueType.ARRAY) {
      const itemType = u32("type");
      const count = u64("count");
      if (itemType === GgufValueType.STRING || itemType === GgufValueType.ARRAY) for (let i = 0; i < count; i++) value(itemType);
      else p += count * SCALAR_BYTES[itemType]!;
    } else p += SCALAR_BYTES[type]!;
  };
  u32("version");
  const tensors = u64("count");
  const keys = u64("count");
  for (let i = 0; i < keys; i++) {
    string();
    value(u32("type"));
  }
  for (let i = 0; i < tensors; i++) {
    string();
    const dims = u32("dims");
    for (let d = 0; d < dims; d++) u64("dim");
    u32("ggml");
    u64("offset");
  }
  return { fields, headerEnd: p };
}

interface Base {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly fields: Field[];
  readonly specialFields: Field[];
  readonly headerEnd: number;
}

type Random = ReturnType<typeof prng>;

/** A position biased towards the header (where the structure is). */
function position(random: Random, base: Base, length: number): number {
  return random.next() < 0.75 ? random.int(Math.min(base.headerEnd, length) + 1) : random.int(length + 1);
}

function hostile(random: Random, field: Field, original: Uint8Array, size: number): bigint {
  const view = new DataView(original.buffer, original.byteOffset);
  const current = field.width === 8 ? view.getBigUint64(field.at, true) : BigInt(view.getUint32(field.at, true));
  const common = [0n, 1n, current + 1n, current > 0n ? current - 1n : 2n, BigInt(size), BigInt(size + 1), 13n, 1000n, 4n];
  const wide = [2n ** 64n - 1n, 2n ** 63n, 2n ** 60n, 2n ** 53n, 2n ** 32n, 2n ** 32n - 1n, BigInt(random.int(2 ** 31)) * BigInt(random.int(2 ** 31))];
  const narrow = [0xffffffffn, 0x80000000n, BigInt(random.int(2 ** 32))];
  const value = random.pick([...common, ...(field.width === 8 ? wide : narrow)]);
  return field.width === 8 ? BigInt.asUintN(64, value) : BigInt.asUintN(32, value);
}

/** Applies one random mutation; returns the new bytes and a description. */
function mutate(random: Random, base: Base, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const kind = random.int(5);
  if (kind === 0) {
    const out = bytes.slice();
    const flips = 1 + random.int(8);
    const at: number[] = [];
    for (let i = 0; i < flips && out.length > 0; i++) {
      const p = Math.min(position(random, base, out.length), out.length - 1);
      out[p] = random.next() < 0.5 ? out[p]! ^ (1 << random.int(8)) : random.int(256);
      at.push(p);
    }
    return { bytes: out, what: `flip ${at.join(",")}` };
  }
  if (kind === 1) {
    const cut = position(random, base, bytes.length);
    return { bytes: bytes.slice(0, cut), what: `truncate ${cut}` };
  }
  if (kind === 2) {
    const field = random.next() < 0.6 && base.specialFields.length > 0 ? random.pick(base.specialFields) : random.pick(base.fields);
    if (field.at + field.width > bytes.length) return { bytes, what: "field gone" };
    const out = bytes.slice();
    const view = new DataView(out.buffer);
    const value = hostile(random, field, out, out.length);
    if (field.width === 8) view.setBigUint64(field.at, value, true);
    else view.setUint32(field.at, Number(value), true);
    return { bytes: out, what: `${field.kind}@${field.at}=${value}` };
  }
  const at = position(random, base, bytes.length);
  const n = 1 + random.int(16);
  if (kind === 3) {
    const inserted = Uint8Array.from({ length: n }, () => random.int(256));
    const out = new Uint8Array(bytes.length + n);
    out.set(bytes.subarray(0, at));
    out.set(inserted, at);
    out.set(bytes.subarray(at), at + n);
    return { bytes: out, what: `insert ${n}@${at}` };
  }
  const end = Math.min(bytes.length, at + n);
  const out = new Uint8Array(bytes.length - (end - at));
  out.set(bytes.subarray(0, at));
  out.set(bytes.subarray(end), at);
  return { bytes: out, what: `delete ${end - at}@${at}` };
}

/** Parses and streams every tensor; returns "ok" or the DuskError's class name; anything else throws. */
async function parseCase(bytes: Uint8Array, name: string): Promise<string> {
  const access = new FuelledAccess(bytes);
  let model: GgufModel;
  try {
    model = await GgufModel.fromSources([name], [access]);
  } catch (error) {
    if (isDuskError(error)) return error.constructor.name;
    throw error;
  }
  for (const tensor of model.tensors) {
    if (tensor.fileOffset + tensor.byteLength > bytes.length) throw new Error(`tensor "${tensor.name}" lies past the end yet was accepted`);
    let streamed = 0;
    for await (const chunk of model.streamTensor(tensor.name, { chunkBytes: 4096 })) streamed += chunk.length;
    if (streamed !== tensor.byteLength) throw new Error(`streamed ${streamed} bytes of "${tensor.name}" but it has ${tensor.byteLength}`);
    const whole = await model.readTensor(tensor.name);
    if (!Buffer.from(whole).equals(bytes.subarray(tensor.fileOffset, tensor.fileOffset + tensor.byteLength))) throw new Error(`readTensor("${tensor.name}") returned other bytes`);
  }
  return "ok";
}

let dir: string;
const bases: Base[] = [];

function handBuiltMetadata(): GgufMetadata {
  return new Map([
    ["general.architecture", gguf.str("llama")],
    ["general.alignment", gguf.u32(64)],
    ["u8", gguf.u8(1)], ["i8", gguf.i8(-1)], ["u16", gguf.u16(2)], ["i16", gguf.i16(-2)], ["i32", gguf.i32(-3)],
    ["f32", gguf.f32(0.5)], ["f64", gguf.f64(0.25)], ["u64", gguf.u64(9)], ["i64", gguf.i64(-9)], ["bool", gguf.bool(true)],
    ["split.count", gguf.u16(1)],
    ["bytes", { type: GgufValueType.STRING, value: Uint8Array.from([0xff, 0x00]) }],
    ["tokens", gguf.strings(["<s>", "a", "b", "\uFEFF"])],
    ["scores", gguf.f32s([0, -1, -2, -3])],
    ["a.i64", gguf.array({ itemType: GgufValueType.INT64, items: BigInt64Array.from([1n, -1n]) })],
    ["a.bool", gguf.array({ itemType: GgufValueType.BOOL, items: Uint8Array.from([1, 0]) })],
    ["nested", gguf.array({ itemType: GgufValueType.ARRAY, items: [{ itemType: GgufValueType.STRING, items: ["x"] }, { itemType: GgufValueType.UINT16, items: Uint16Array.from([7]) }] })],
  ]);
}

async function addBase(name: string, path: string): Promise<void> {
  const bytes = new Uint8Array(await readFile(path));
  const { fields, headerEnd } = headerFields(bytes);
  const specialFields = fields.filter((f) => f.kind !== "length" || f.at < 64 || random01(f.at) < 0.02);
  bases.push({ name, bytes, fields, specialFields, headerEnd });
}

/** A deterministic thinning of the many string-length fields of a vocabulary. */
const random01 = (n: number): number => ((Math.imul(n, 2654435761) >>> 0) % 1000) / 1000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-gguf-fuzz-"));
  const tiny = join(dir, "tiny.gguf");
  await makeTinyModel({ output: tiny, layers: 1, hidden: 32, heads: 2, kvHeads: 1, ffn: 32, context: 64, type: "Q8_0" });
  await addBase("tiny-q8_0", tiny);
  const tensors = [
    { name: "f32", type: "F32", dims: [3, 2], data: new Uint8Array(24).fill(1) },
    { name: "q4_k", type: "Q4_K", dims: [256], data: new Uint8Array(144).fill(2) },
    { name: "iq2_xxs", type: "IQ2_XXS", dims: [256], data: new Uint8Array(66).fill(3) },
    { name: "f16", type: "F16", dims: [2, 2, 2, 2], data: new Uint8Array(32).fill(4) },
  ];
  for (const version of [2, 3]) {
    const path = join(dir, `hand-v${version}.gguf`);
    await writeGguf(path, { version, metadata: handBuiltMetadata(), tensors });
    await addBase(`hand-v${version}`, path);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("GGUF fuzz", () => {
  it("reads the unmutated files", async () => {
    for (const base of bases) expect(await parseCase(base.bytes, base.name)).toBe("ok");
  });

  it(`ends every one of ${CASES} mutated files (seed ${SEED}) in a DuskError or a correct read`, async () => {
    const outcomes = new Map<string, number>();
    const failures: string[] = [];
    let slowest = 0;
    const started = performance.now();
    for (let c = 0; c < CASES; c++) {
      const random = prng(SEED ^ Math.imul(c + 1, 0x9e3779b1));
      const base = bases[c % bases.length]!;
      let bytes = base.bytes;
      const steps: string[] = [];
      const mutations = random.next() < 0.8 ? 1 : 2 + random.int(2);
      for (let m = 0; m < mutations; m++) {
        const mutated = mutate(random, base, bytes);
        bytes = mutated.bytes;
        steps.push(mutated.what);
      }
      const caseStarted = performance.now();
      try {
        const outcome = await parseCase(bytes, `case-${c}.gguf`);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      } catch (error) {
        failures.push(`seed ${SEED} case ${c} (${base.name}: ${steps.join("; ")}): ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`);
      }
      const elapsed = performance.now() - caseStarted;
      slowest = Math.max(slowest, elapsed);
      if (elapsed > CASE_LIMIT_MS) failures.push(`seed ${SEED} case ${c} (${base.name}: ${steps.join("; ")}) took ${elapsed.toFixed(0)} ms`);
    }
    const total = performance.now() - started;
    console.log(`[fuzz] seed ${SEED}: ${CASES} cases in ${total.toFixed(0)} ms (slowest ${slowest.toFixed(1)} ms): ${JSON.stringify(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])))}`);
    expect(failures.slice(0, 10)).toEqual([]);
    // The mutations reach deep into the format: both outcomes, and many kinds of typed error.
    expect(outcomes.get("ok") ?? 0).toBeGreaterThan(CASES / 50);
    expect([...outcomes.keys()].filter((k) => k !== "ok").length).toBeGreaterThanOrEqual(6);
  });
});
