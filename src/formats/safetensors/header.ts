// The safetensors header: parsing and validating its JSON against the data buffer, and serializing one the way the
// reference writer does (compact JSON, `__metadata__` first, tensors in data order, spaces to a multiple of 8).
import type { TensorInfo } from "../tensor.js";
import {
  HEADER_ALIGNMENT,
  METADATA_KEY,
  SAFETENSORS_DTYPE_BYTES,
  isSafetensorsDtype,
  type SafetensorsDtype,
} from "./constants.js";
import {
  DuplicateSafetensorsNameError,
  InvalidSafetensorsEntryError,
  InvalidSafetensorsHeaderError,
  InvalidSafetensorsMetadataError,
  InvalidSafetensorsOffsetsError,
  InvalidSafetensorsShapeError,
  SafetensorsDataHoleError,
  SafetensorsDataOverlapError,
  SafetensorsOffsetOutOfBoundsError,
  SafetensorsSizeMismatchError,
  SafetensorsTrailingDataError,
  UnknownSafetensorsDtypeError,
} from "./errors.js";
import { MAX_JSON_DEPTH, jsonNestsDeeperThan, scanJsonKeys } from "./json-keys.js";

/** One tensor of a safetensors file. */
export interface SafetensorsTensorInfo extends TensorInfo {
  /** The dtype (`F32`, `BF16`, ...). */
  readonly type: SafetensorsDtype;
  /** [begin, end) of the tensor's bytes, relative to the start of the data buffer. */
  readonly dataOffsets: readonly [number, number];
}

/** String→string metadata as ordered pairs (the header's order). */
export type SafetensorsMetadataEntries = readonly (readonly [string, string])[];

/** A validated header. */
export interface SafetensorsHeader {
  /** The tensors in the header's key order. */
  readonly tensors: readonly SafetensorsTensorInfo[];
  /** `__metadata__` in the header's key order, or undefined when the header has none. */
  readonly metadata: SafetensorsMetadataEntries | undefined;
}

/** What a writer declares for one tensor. */
export interface SafetensorsTensorSpec {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** A short rendering of a JSON value for messages (safe on any value, however large or deep). */
function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? "a deeply nested array" : "a deeply nested object";
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/** Bytes of a tensor of `dtype` and `shape`, as a bigint (no overflow, however large the shape). */
export function tensorByteLength(dtype: SafetensorsDtype, shape: readonly number[]): bigint {
  let elements = 1n;
  for (const dimension of shape) elements *= BigInt(dimension);
  return elements * BigInt(SAFETENSORS_DTYPE_BYTES[dtype]);
}

function parseMetadata(path: string, value: unknown, keys: readonly string[] | undefined): SafetensorsMetadataEntries {
  if (!isObject(value)) throw new InvalidSafetensorsMetadataError(path, describe(value));
  const entries: (readonly [string, string])[] = [];
  for (const key of keys ?? Object.keys(value)) {
    const item = value[key];
    if (typeof item !== "string") throw new InvalidSafetensorsMetadataError(path, `${describe(key)}: ${describe(item)}`);
    entries.push([key, item]);
  }
  return entries;
}

function parseEntry(path: string, name: string, value: unknown, bufferBytes: number): SafetensorsTensorInfo {
  if (!isObject(value)) throw new InvalidSafetensorsEntryError(path, name, describe(value));
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string" || !("shape" in value) || !("data_offsets" in value)) {
    throw new InvalidSafetensorsEntryError(path, name, describe(value));
  }
  if (!isSafetensorsDtype(dtype)) throw new UnknownSafetensorsDtypeError(path, name, dtype);
  if (!isValidShape(shape)) throw new InvalidSafetensorsShapeError(path, name, describe(shape));
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    throw new InvalidSafetensorsOffsetsError(path, name, describe(offsets));
  }
  const [begin, end] = offsets as [number, number];
  if (end > bufferBytes) throw new SafetensorsOffsetOutOfBoundsError(path, name, end, bufferBytes);
  const expected = tensorByteLength(dtype, shape);
  if (expected !== BigInt(end - begin)) throw new SafetensorsSizeMismatchError(path, name, expected, end - begin);
  return { name, type: dtype, shape, byteLength: end - begin, dataOffsets: [begin, end] };
}

/** Checks that the tensors cover [0, bufferBytes) exactly once, without holes or overlaps. */
function checkLayout(path: string, tensors: readonly SafetensorsTensorInfo[], bufferBytes: number): void {
  const sorted = [...tensors].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  for (const tensor of sorted) {
    const [begin, end] = tensor.dataOffsets;
    if (begin > cursor) throw new SafetensorsDataHoleError(path, tensor.name, cursor, begin);
    if (begin < cursor) throw new SafetensorsDataOverlapError(path, tensor.name, cursor, begin);
    cursor = end;
  }
  if (cursor !== bufferBytes) throw new SafetensorsTrailingDataError(path, cursor, bufferBytes);
}

/**
 * Parses and validates header JSON for a data buffer of `bufferBytes` bytes (file size - 8 - header length).
 * Throws a {@link SafetensorsFormatError} subclass naming the first problem.
 */
export function parseSafetensorsHeader(text: string, bufferBytes: number, path = "<header>"): SafetensorsHeader {
  if (!text.startsWith("{")) throw new InvalidSafetensorsHeaderError(path, `text starting with ${describe(text.slice(0, 16))}`);
  if (jsonNestsDeeperThan(text)) throw new InvalidSafetensorsHeaderError(path, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidSafetensorsHeaderError(path, `invalid JSON (${(error as Error).message})`);
  }
  if (!isObject(parsed)) throw new InvalidSafetensorsHeaderError(path, describe(parsed));
  const scan = scanJsonKeys(text, METADATA_KEY);
  if (scan.duplicate) {
    const where = scan.duplicate.path.length === 0 ? "the header" : `"${scan.duplicate.path.join(".")}"`;
    throw new DuplicateSafetensorsNameError(path, where, scan.duplicate.key);
  }
  let metadata: SafetensorsMetadataEntries | undefined;
  const tensors: SafetensorsTensorInfo[] = [];
  for (const key of scan.topLevelKeys) {
    if (key === METADATA_KEY) metadata = parseMetadata(path, parsed[key], scan.recordedKeys);
    else tensors.push(parseEntry(path, key, parsed[key], bufferBytes));
  }
  checkLayout(path, tensors, bufferBytes);
  return { tensors, metadata };
}

/** A planned file: the header text and each tensor's place in the data buffer. */
export interface SafetensorsPlan {
  /** The header JSON, padded with spaces to a multiple of 8 bytes. */
  readonly headerText: string;
  /** The header's UTF-8 bytes (what follows the 8-byte length). */
  readonly headerBytes: Uint8Array;
  /** The tensors with their offsets, in declaration (= data) order. */
  readonly tensors: readonly SafetensorsTensorInfo[];
  /** Bytes of the data buffer. */
  readonly dataBytes: number;
}

const WRITER_HINT = "fix the tensor's declaration before writing";

/**
 * Lays tensors out in declaration order and serializes the header as the reference writer does: compact JSON,
 * `__metadata__` first, entries as {dtype, shape, data_offsets}, spaces up to a multiple of 8 bytes.
 */
export function planSafetensors(
  specs: readonly SafetensorsTensorSpec[],
  metadata: SafetensorsMetadataEntries | undefined,
  path = "<plan>",
): SafetensorsPlan {
  const names = new Set<string>([METADATA_KEY]);
  const tensors: SafetensorsTensorInfo[] = [];
  let offset = 0;
  for (const { name, dtype, shape } of specs) {
    if (names.has(name)) throw new DuplicateSafetensorsNameError(path, "the declared tensors", name, WRITER_HINT);
    names.add(name);
    if (!isSafetensorsDtype(dtype)) throw new UnknownSafetensorsDtypeError(path, name, dtype, WRITER_HINT);
    if (!isValidShape(shape)) throw new InvalidSafetensorsShapeError(path, name, describe(shape), WRITER_HINT);
    const bytes = tensorByteLength(dtype, shape);
    const end = BigInt(offset) + bytes;
    if (end > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidSafetensorsShapeError(path, name, `${describe(shape)} (${bytes} bytes, too large)`, WRITER_HINT);
    tensors.push({ name, type: dtype, shape: [...shape], byteLength: Number(bytes), dataOffsets: [offset, Number(end)] });
    offset = Number(end);
  }
  const parts: string[] = [];
  if (metadata !== undefined) {
    const seen = new Set<string>();
    for (const [key, value] of metadata) {
      if (seen.has(key)) throw new DuplicateSafetensorsNameError(path, "__metadata__", key, WRITER_HINT);
      if (typeof value !== "string") throw new InvalidSafetensorsMetadataError(path, `${describe(key)}: ${describe(value)}`, WRITER_HINT);
      seen.add(key);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${metadata.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`);
  }
  for (const t of tensors) {
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.type}","shape":[${t.shape.join(",")}],"data_offsets":[${t.dataOffsets[0]},${t.dataOffsets[1]}]}`);
  }
  const json = `{${parts.join(",")}}`;
  const jsonBytes = Buffer.byteLength(json, "utf8");
  const headerText = json + " ".repeat((HEADER_ALIGNMENT - (jsonBytes % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT);
  return { headerText, headerBytes: new TextEncoder().encode(headerText), tensors, dataBytes: offset };
}
