// Parses a GGUF header (metadata and tensor infos) from random-access bytes without reading tensor data.
// Every count and length is checked against the bytes the file still has before anything is allocated.
import { ggmlTensorBytes, ggmlTypeById, UnknownGgmlTypeError, type GgmlTypeInfo } from "../ggml.js";
import type { RandomAccess } from "../random-access.js";
import { GGML_MAX_DIMS, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_READABLE_VERSIONS, GGUF_SCALAR_BYTES, GgufValueType, Keys } from "./constants.js";
import {
  DuplicateGgufNameError,
  ImplausibleGgufValueError,
  InvalidGgufMagicError,
  InvalidGgufTensorError,
  InvalidGgufValueTypeError,
  TruncatedGgufError,
  UnsupportedGgufVersionError,
} from "./errors.js";
import { decodeGgufString, type GgufArray, type GgufMetadata, type GgufString, type GgufValue } from "./values.js";

/** A tensor as one GGUF file declares it. */
export interface GgufTensorHeader {
  readonly name: string;
  /** Dimensions in ggml order (ne[0] fastest). */
  readonly dims: readonly number[];
  readonly ggmlType: GgmlTypeInfo;
  /** Offset relative to the start of the data section. */
  readonly offset: number;
  readonly byteLength: number;
}

/** Everything before the tensor data of one GGUF file. */
export interface GgufHeader {
  readonly version: number;
  readonly metadata: GgufMetadata;
  readonly tensors: readonly GgufTensorHeader[];
  readonly alignment: number;
  /** Absolute offset of the data section. */
  readonly dataOffset: number;
  /** Size of the whole file. */
  readonly fileBytes: number;
}

const CHUNK = 1 << 20;
const MAX_NESTING = 8;
/** Smallest possible encodings, used to bound counts by the bytes left. */
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

/** Sequential reader with a window over random-access bytes. */
class Cursor {
  position = 0;
  private window = new Uint8Array(0);
  private windowStart = 0;
  private view = new DataView(this.window.buffer);

  constructor(
    private readonly source: RandomAccess,
    private readonly path: string,
  ) {}

  get remaining(): number {
    return this.source.size - this.position;
  }

  /** Makes `length` bytes at the cursor available and returns their offset in the window. */
  private async need(length: number, what: string): Promise<number> {
    if (length > this.remaining) throw new TruncatedGgufError(this.path, what, length, this.remaining);
    const start = this.position - this.windowStart;
    if (start >= 0 && start + length <= this.window.length) return start;
    const size = Math.min(Math.max(length, CHUNK), this.remaining);
    const window = new Uint8Array(size);
    const read = await this.source.readInto(window, 0, size, this.position);
    if (read < length) throw new TruncatedGgufError(this.path, what, length, read);
    this.window = window;
    this.windowStart = this.position;
    this.view = new DataView(window.buffer);
    return 0;
  }

  async bytes(length: number, what: string): Promise<Uint8Array> {
    const at = await this.need(length, what);
    this.position += length;
    return this.window.subarray(at, at + length);
  }

  async u32(what: string): Promise<number> {
    const at = await this.need(4, what);
    this.position += 4;
    return this.view.getUint32(at, true);
  }

  async u64(what: string): Promise<bigint> {
    const at = await this.need(8, what);
    this.position += 8;
    return this.view.getBigUint64(at, true);
  }

  /** A u64 that must fit in `limit` (bounded by the bytes left, so hostile counts fail before any allocation). */
  async count(what: string, limit: number, limitText: string): Promise<number> {
    const value = await this.u64(what);
    if (value > BigInt(limit)) throw new ImplausibleGgufValueError(this.path, what, value, limitText);
    return Number(value);
  }

  /** Reads a string without awaiting when it lies in the window (the fast path for vocabularies); else undefined. */
  stringInWindow(): GgufString | undefined {
    const at = this.position - this.windowStart;
    if (at < 0 || at + 8 > this.window.length) return undefined;
    const length = this.view.getBigUint64(at, true);
    if (BigInt(at + 8) + length > BigInt(this.window.length)) return undefined;
    this.position += 8 + Number(length);
    return decodeGgufString(this.window.subarray(at + 8, at + 8 + Number(length)));
  }

  async string(what: string): Promise<GgufString> {
    const fast = this.stringInWindow();
    if (fast !== undefined) return fast;
    const length = await this.u64(`the length of ${what}`);
    if (length > BigInt(this.remaining)) throw new TruncatedGgufError(this.path, what, length, this.remaining);
    return decodeGgufString(await this.bytes(Number(length), what));
  }

  async scalar(type: number, what: string): Promise<GgufValue> {
    const size = GGUF_SCALAR_BYTES[type] ?? 0;
    const at = await this.need(size, what);
    this.position += size;
    const v = this.view;
    switch (type) {
      case GgufValueType.UINT8: return { type, value: v.getUint8(at) };
      case GgufValueType.INT8: return { type, value: v.getInt8(at) };
      case GgufValueType.UINT16: return { type, value: v.getUint16(at, true) };
      case GgufValueType.INT16: return { type, value: v.getInt16(at, true) };
      case GgufValueType.UINT32: return { type, value: v.getUint32(at, true) };
      case GgufValueType.INT32: return { type, value: v.getInt32(at, true) };
      case GgufValueType.FLOAT32: return { type, value: v.getFloat32(at, true) };
      case GgufValueType.FLOAT64: return { type, value: v.getFloat64(at, true) };
      case GgufValueType.BOOL: return { type, value: v.getUint8(at) !== 0 };
      case GgufValueType.UINT64: return { type, value: v.getBigUint64(at, true) };
      default: return { type: GgufValueType.INT64, value: v.getBigInt64(at, true) };
    }
  }

  async value(type: number, key: string, depth = 0): Promise<GgufValue> {
    if (type === GgufValueType.STRING) return { type, value: await this.string(`the value of "${key}"`) };
    if (type === GgufValueType.ARRAY) return { type, value: await this.array(key, depth) };
    if (GGUF_SCALAR_BYTES[type] === undefined) throw new InvalidGgufValueTypeError(this.path, key, type);
    return this.scalar(type, `the value of "${key}"`);
  }

  async array(key: string, depth: number): Promise<GgufArray> {
    if (depth >= MAX_NESTING) throw new ImplausibleGgufValueError(this.path, `the nesting of arrays in "${key}"`, depth + 1, `at most ${MAX_NESTING}`);
    const itemType = await this.u32(`the item type of "${key}"`);
    const what = `the item count of "${key}"`;
    if (itemType === GgufValueType.STRING) {
      const count = await this.count(what, Math.floor(Math.max(0, this.remaining - 8) / 8), "at most one string per 8 bytes left in the file");
      const items: GgufString[] = new Array<GgufString>(count);
      for (let i = 0; i < count; i++) items[i] = this.stringInWindow() ?? (await this.string(`item ${i} of "${key}"`));
      return { itemType, items };
    }
    if (itemType === GgufValueType.ARRAY) {
      const count = await this.count(what, Math.floor(Math.max(0, this.remaining - 8) / 12), "at most one array per 12 bytes left in the file");
      const items: GgufArray[] = new Array<GgufArray>(count);
      for (let i = 0; i < count; i++) items[i] = await this.array(key, depth + 1);
      return { itemType, items };
    }
    const size = GGUF_SCALAR_BYTES[itemType];
    if (size === undefined) throw new InvalidGgufValueTypeError(this.path, `${key}[]`, itemType);
    const limit = Math.floor(Math.max(0, this.remaining - 8) / size); // the bytes left after the count itself
    const count = await this.count(what, limit, `at most ${limit} (the bytes left in the file)`);
    const raw = (await this.bytes(count * size, `the items of "${key}"`)).slice();
    return typedArray(itemType, raw.buffer, count);
  }
}

function typedArray(itemType: number, buffer: ArrayBuffer, count: number): GgufArray {
  switch (itemType) {
    case GgufValueType.UINT8: return { itemType, items: new Uint8Array(buffer, 0, count) };
    case GgufValueType.BOOL: return { itemType, items: new Uint8Array(buffer, 0, count) };
    case GgufValueType.INT8: return { itemType, items: new Int8Array(buffer, 0, count) };
    case GgufValueType.UINT16: return { itemType, items: new Uint16Array(buffer, 0, count) };
    case GgufValueType.INT16: return { itemType, items: new Int16Array(buffer, 0, count) };
    case GgufValueType.UINT32: return { itemType, items: new Uint32Array(buffer, 0, count) };
    case GgufValueType.INT32: return { itemType, items: new Int32Array(buffer, 0, count) };
    case GgufValueType.FLOAT32: return { itemType, items: new Float32Array(buffer, 0, count) };
    case GgufValueType.FLOAT64: return { itemType, items: new Float64Array(buffer, 0, count) };
    case GgufValueType.UINT64: return { itemType, items: new BigUint64Array(buffer, 0, count) };
    default: return { itemType: GgufValueType.INT64, items: new BigInt64Array(buffer, 0, count) };
  }
}

/** Rounds `offset` up to a multiple of `alignment`. */
export function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

/** Parses a GGUF header; `path` names the file in errors. Reads no tensor data. */
export async function parseGgufHeader(source: RandomAccess, path: string): Promise<GgufHeader> {
  const cursor = new Cursor(source, path);
  if (source.size < 4) throw new InvalidGgufMagicError(path, `a file of ${source.size} bytes`);
  const magic = await cursor.u32("the magic");
  if (magic !== GGUF_MAGIC) {
    const text = Buffer.alloc(4);
    text.writeUInt32LE(magic);
    throw new InvalidGgufMagicError(path, JSON.stringify(text.toString("latin1")));
  }
  const version = await cursor.u32("the version");
  if (!GGUF_READABLE_VERSIONS.includes(version)) throw new UnsupportedGgufVersionError(path, version);
  const tensorCount = await cursor.count("the tensor count", Math.floor(cursor.remaining / MIN_TENSOR_INFO_BYTES), "small enough for the file's size");
  const kvCount = await cursor.count("the metadata key count", Math.floor(cursor.remaining / MIN_KV_BYTES), "small enough for the file's size");

  const metadata: GgufMetadata = new Map();
  for (let i = 0; i < kvCount; i++) {
    const keyValue = await cursor.string(`metadata key ${i}`);
    const key = typeof keyValue === "string" ? keyValue : Buffer.from(keyValue).toString("latin1");
    const type = await cursor.u32(`the type of "${key}"`);
    const value = await cursor.value(type, key);
    if (metadata.has(key)) throw new DuplicateGgufNameError(path, "metadata key", key);
    metadata.set(key, value);
  }

  const alignmentEntry = metadata.get(Keys.GENERAL_ALIGNMENT);
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  if (alignmentEntry) {
    const value = alignmentEntry.type === GgufValueType.UINT32 ? alignmentEntry.value : Number.NaN;
    if (!(value > 0 && (value & (value - 1)) === 0)) {
      throw new ImplausibleGgufValueError(path, Keys.GENERAL_ALIGNMENT, typeof alignmentEntry.value === "number" || typeof alignmentEntry.value === "bigint" ? alignmentEntry.value : Number.NaN, "a u32 power of two");
    }
    alignment = value;
  }

  const infos: { name: string; dims: number[]; ggmlType: GgmlTypeInfo; offset: bigint }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const nameValue = await cursor.string(`the name of tensor ${i}`);
    const name = typeof nameValue === "string" ? nameValue : Buffer.from(nameValue).toString("latin1");
    const nDims = await cursor.u32(`the dimension count of "${name}"`);
    if (nDims < 1 || nDims > GGML_MAX_DIMS) throw new ImplausibleGgufValueError(path, `the dimension count of tensor "${name}"`, nDims, `between 1 and ${GGML_MAX_DIMS}`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) {
      dims.push(await cursor.count(`dimension ${d} of "${name}"`, Number.MAX_SAFE_INTEGER, "a safe integer"));
    }
    const typeId = await cursor.u32(`the type of "${name}"`);
    const ggmlType = ggmlTypeById(typeId);
    if (!ggmlType) throw new UnknownGgmlTypeError(typeId, `tensor "${name}" in ${path}`);
    const offset = await cursor.u64(`the offset of "${name}"`);
    if (names.has(name)) throw new DuplicateGgufNameError(path, "tensor", name);
    names.add(name);
    infos.push({ name, dims, ggmlType, offset });
  }

  const dataOffset = alignUp(cursor.position, alignment);
  const dataBytes = source.size - dataOffset;
  const tensors: GgufTensorHeader[] = infos.map(({ name, dims, ggmlType, offset }) => {
    const bytes = ggmlTensorBytes(ggmlType, dims);
    if (typeof bytes === "string") throw new InvalidGgufTensorError(path, name, `expected a valid ${ggmlType.name} shape but ${bytes}`);
    if (offset % BigInt(alignment) !== 0n) throw new InvalidGgufTensorError(path, name, `expected an offset aligned to ${alignment} bytes but got ${offset}`);
    if (offset + BigInt(bytes) > BigInt(Math.max(0, dataBytes))) {
      throw new TruncatedGgufError(path, `the data of tensor "${name}" (offset ${offset}, ${bytes} bytes)`, offset + BigInt(bytes), Math.max(0, dataBytes));
    }
    return { name, dims, ggmlType, offset: Number(offset), byteLength: bytes };
  });
  const byOffset = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const previous = byOffset[i - 1]!;
    const current = byOffset[i]!;
    if (previous.offset + previous.byteLength > current.offset) {
      throw new InvalidGgufTensorError(path, current.name, `expected its data to start after "${previous.name}" ends (${previous.offset + previous.byteLength}) but it starts at ${current.offset}`);
    }
  }
  return { version, metadata, tensors, alignment, dataOffset, fileBytes: source.size };
}
