// The arithmetic of a linear merge while it streams: the same tensor read from every model block by block
// (F32, F16 or BF16 sources), Σ cᵢ·xᵢ accumulated in float64 per block, yielded as float32 bytes. Memory stays at
// one block per model however large the tensor is.
import { endianness } from "node:os";
import { bf16ToF32, f16ToF32 } from "../formats/index.js";

/** Reads exact byte counts from a stream of chunks of any size (readers may reuse a chunk's buffer, so bytes are copied). */
export class ExactReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /** The next `length` bytes, in a new buffer; throws when the stream ends first. */
  async read(length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (this.pending.length === 0) {
        const next = await this.iterator.next();
        if (next.done) throw new RangeError(`expected ${length} more bytes from the tensor stream but it ended after ${filled}`);
        this.pending = next.value;
        continue;
      }
      const take = Math.min(this.pending.length, length - filled);
      out.set(this.pending.subarray(0, take), filled);
      this.pending = this.pending.subarray(take);
      filled += take;
    }
    return out;
  }

  /** Stops the underlying stream early (closes its file reads). */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

/** One weighted input of {@link mixTensor}. */
export interface MixInput {
  /** The tensor's raw bytes. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Element type: F32, F16 or BF16. */
  readonly type: string;
  /** Coefficient cᵢ. */
  readonly weight: number;
}

/** Options of {@link mixTensor}. */
export interface MixTensorOptions {
  readonly inputs: readonly MixInput[];
  /** Elements in the tensor. */
  readonly elements: number;
  /** Elements per block. Defaults to 1 Mi (4 MiB of float32 output, 8 MiB of float64 sums). */
  readonly blockElements?: number;
}

const ELEMENT_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

const LITTLE_ENDIAN = endianness() === "LE";
let halfTables: { F16: Float32Array; BF16: Float32Array } | undefined;

/** Every 16-bit pattern's value as F16 and as BF16 (256 KiB each, built once): decoding becomes one lookup. */
function tables(): { F16: Float32Array; BF16: Float32Array } {
  if (!halfTables) {
    const f16 = new Float32Array(0x10000);
    const bf16 = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits++) {
      f16[bits] = f16ToF32(bits);
      bf16[bits] = bf16ToF32(bits);
    }
    halfTables = { F16: f16, BF16: bf16 };
  }
  return halfTables;
}

/** Adds weight × the elements of `bytes` (little-endian, of `type`) to `sums`. */
export function accumulate(sums: Float64Array, bytes: Uint8Array, type: string, weight: number): void {
  if (type !== "F32" && type !== "F16" && type !== "BF16") throw new RangeError(`expected F32, F16 or BF16 elements to mix but got ${type}`);
  const count = bytes.length / ELEMENT_BYTES[type]!;
  const aligned = LITTLE_ENDIAN && bytes.byteOffset % 4 === 0;
  if (type === "F32") {
    if (aligned) {
      const values = new Float32Array(bytes.buffer, bytes.byteOffset, count);
      for (let i = 0; i < count; i++) sums[i]! += weight * values[i]!;
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < count; i++) sums[i]! += weight * view.getFloat32(i * 4, true);
    }
    return;
  }
  const table = tables()[type];
  if (aligned) {
    const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) sums[i]! += weight * table[bits[i]!]!;
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) sums[i]! += weight * table[view.getUint16(i * 2, true)]!;
  }
}

/** Σ cᵢ·tensorᵢ as little-endian float32 bytes, block by block. */
export async function* mixTensor({ inputs, elements, blockElements = 1 << 20 }: MixTensorOptions): AsyncIterable<Uint8Array> {
  const readers = inputs.map((input) => new ExactReader(input.chunks));
  const buffer = new Float64Array(Math.min(blockElements, elements));
  try {
    for (let start = 0; start < elements; start += blockElements) {
      const count = Math.min(blockElements, elements - start);
      const sums = buffer.subarray(0, count).fill(0);
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i]!;
        accumulate(sums, await readers[i]!.read(count * ELEMENT_BYTES[input.type]!), input.type, input.weight);
      }
      const out = new Uint8Array(count * 4);
      if (LITTLE_ENDIAN) new Float32Array(out.buffer).set(sums);
      else {
        const view = new DataView(out.buffer);
        for (let i = 0; i < count; i++) view.setFloat32(i * 4, sums[i]!, true);
      }
      yield out;
    }
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
  }
}
