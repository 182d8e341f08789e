// Encodes GGUF headers (magic, counts, metadata, tensor infos) into bytes; the inverse of parse.ts.
import { GGUF_MAGIC, GGUF_SCALAR_BYTES, GgufValueType } from "./constants.js";
import type { GgufArray, GgufMetadata, GgufString, GgufValue } from "./values.js";

/** A growable little-endian byte buffer. */
export class ByteSink {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(extra: number): number {
    const at = this.length;
    if (at + extra > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < at + extra) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buffer.subarray(0, at));
      this.buffer = next;
      this.view = new DataView(next.buffer);
    }
    this.length += extra;
    return at;
  }

  u32(value: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, value, true);
  }

  u64(value: bigint | number): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(value), true);
  }

  bytes(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
  }

  string(value: GgufString): void {
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    this.u64(bytes.length);
    this.bytes(bytes);
  }

  scalar(value: GgufValue): void {
    const at = this.reserve(GGUF_SCALAR_BYTES[value.type] ?? 0);
    const v = this.view; // read after reserve(), which may replace the buffer
    switch (value.type) {
      case GgufValueType.UINT8: v.setUint8(at, value.value); break;
      case GgufValueType.INT8: v.setInt8(at, value.value); break;
      case GgufValueType.UINT16: v.setUint16(at, value.value, true); break;
      case GgufValueType.INT16: v.setInt16(at, value.value, true); break;
      case GgufValueType.UINT32: v.setUint32(at, value.value, true); break;
      case GgufValueType.INT32: v.setInt32(at, value.value, true); break;
      case GgufValueType.FLOAT32: v.setFloat32(at, value.value, true); break;
      case GgufValueType.FLOAT64: v.setFloat64(at, value.value, true); break;
      case GgufValueType.BOOL: v.setUint8(at, value.value ? 1 : 0); break;
      case GgufValueType.UINT64: v.setBigUint64(at, value.value, true); break;
      case GgufValueType.INT64: v.setBigInt64(at, value.value, true); break;
      default: break;
    }
  }

  value(value: GgufValue): void {
    if (value.type === GgufValueType.STRING) this.string(value.value);
    else if (value.type === GgufValueType.ARRAY) this.array(value.value);
    else this.scalar(value);
  }

  array(array: GgufArray): void {
    this.u32(array.itemType);
    this.u64(array.items.length);
    if (array.itemType === GgufValueType.STRING) {
      for (const item of array.items) this.string(item);
    } else if (array.itemType === GgufValueType.ARRAY) {
      for (const item of array.items) this.array(item);
    } else {
      const items = array.items;
      this.bytes(new Uint8Array(items.buffer, items.byteOffset, items.byteLength));
    }
  }

  /** The bytes written so far. */
  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

/** One tensor info as the header encodes it. */
export interface EncodedTensorInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly typeId: number;
  readonly offset: number;
}

/** Encodes a whole header up to (not including) the alignment padding before the data. */
export function encodeGgufHeader(version: number, metadata: GgufMetadata, tensors: readonly EncodedTensorInfo[]): Uint8Array {
  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(version);
  sink.u64(tensors.length);
  sink.u64(metadata.size);
  for (const [key, value] of metadata) {
    sink.string(key);
    sink.u32(value.type);
    sink.value(value);
  }
  for (const tensor of tensors) {
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(dim);
    sink.u32(tensor.typeId);
    sink.u64(tensor.offset);
  }
  return sink.result();
}
