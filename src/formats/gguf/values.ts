// GGUF metadata values in memory: every value keeps its GGUF type so that writing it back gives the same bytes.
// Numeric arrays are typed arrays (a 32000-entry score array stays one Float32Array), strings that are not valid
// UTF-8 stay raw bytes.
import { GgufValueType } from "./constants.js";

/** A GGUF string: text, or raw bytes when the file's bytes are not valid UTF-8. */
export type GgufString = string | Uint8Array;

/** A GGUF array: item type plus items of the matching JavaScript shape. */
export type GgufArray =
  | { itemType: typeof GgufValueType.UINT8 | typeof GgufValueType.BOOL; items: Uint8Array }
  | { itemType: typeof GgufValueType.INT8; items: Int8Array }
  | { itemType: typeof GgufValueType.UINT16; items: Uint16Array }
  | { itemType: typeof GgufValueType.INT16; items: Int16Array }
  | { itemType: typeof GgufValueType.UINT32; items: Uint32Array }
  | { itemType: typeof GgufValueType.INT32; items: Int32Array }
  | { itemType: typeof GgufValueType.FLOAT32; items: Float32Array }
  | { itemType: typeof GgufValueType.FLOAT64; items: Float64Array }
  | { itemType: typeof GgufValueType.UINT64; items: BigUint64Array }
  | { itemType: typeof GgufValueType.INT64; items: BigInt64Array }
  | { itemType: typeof GgufValueType.STRING; items: GgufString[] }
  | { itemType: typeof GgufValueType.ARRAY; items: GgufArray[] };

/** One metadata value with its GGUF type. */
export type GgufValue =
  | {
      type:
        | typeof GgufValueType.UINT8
        | typeof GgufValueType.INT8
        | typeof GgufValueType.UINT16
        | typeof GgufValueType.INT16
        | typeof GgufValueType.UINT32
        | typeof GgufValueType.INT32
        | typeof GgufValueType.FLOAT32
        | typeof GgufValueType.FLOAT64;
      value: number;
    }
  | { type: typeof GgufValueType.UINT64 | typeof GgufValueType.INT64; value: bigint }
  | { type: typeof GgufValueType.BOOL; value: boolean }
  | { type: typeof GgufValueType.STRING; value: GgufString }
  | { type: typeof GgufValueType.ARRAY; value: GgufArray };

/** Metadata in file order. */
export type GgufMetadata = Map<string, GgufValue>;

/** Value constructors, for writers: `gguf.u32(48)`, `gguf.str("llama")`, `gguf.strings([...])`. */
export const gguf = {
  u8: (value: number): GgufValue => ({ type: GgufValueType.UINT8, value }),
  i8: (value: number): GgufValue => ({ type: GgufValueType.INT8, value }),
  u16: (value: number): GgufValue => ({ type: GgufValueType.UINT16, value }),
  i16: (value: number): GgufValue => ({ type: GgufValueType.INT16, value }),
  u32: (value: number): GgufValue => ({ type: GgufValueType.UINT32, value }),
  i32: (value: number): GgufValue => ({ type: GgufValueType.INT32, value }),
  f32: (value: number): GgufValue => ({ type: GgufValueType.FLOAT32, value }),
  f64: (value: number): GgufValue => ({ type: GgufValueType.FLOAT64, value }),
  u64: (value: bigint | number): GgufValue => ({ type: GgufValueType.UINT64, value: BigInt(value) }),
  i64: (value: bigint | number): GgufValue => ({ type: GgufValueType.INT64, value: BigInt(value) }),
  bool: (value: boolean): GgufValue => ({ type: GgufValueType.BOOL, value }),
  str: (value: string): GgufValue => ({ type: GgufValueType.STRING, value }),
  strings: (items: string[]): GgufValue => ({ type: GgufValueType.ARRAY, value: { itemType: GgufValueType.STRING, items } }),
  f32s: (items: ArrayLike<number>): GgufValue => ({ type: GgufValueType.ARRAY, value: { itemType: GgufValueType.FLOAT32, items: Float32Array.from(items) } }),
  i32s: (items: ArrayLike<number>): GgufValue => ({ type: GgufValueType.ARRAY, value: { itemType: GgufValueType.INT32, items: Int32Array.from(items) } }),
  u32s: (items: ArrayLike<number>): GgufValue => ({ type: GgufValueType.ARRAY, value: { itemType: GgufValueType.UINT32, items: Uint32Array.from(items) } }),
  array: (value: GgufArray): GgufValue => ({ type: GgufValueType.ARRAY, value }),
};

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 bytes to a string, or keeps the bytes when they are not valid UTF-8. */
export function decodeGgufString(bytes: Uint8Array): GgufString {
  try {
    return decoder.decode(bytes);
  } catch {
    return bytes.slice();
  }
}

/** A GGUF string as text (invalid UTF-8 replaced, for display). */
export function ggufStringText(value: GgufString): string {
  return typeof value === "string" ? value : new TextDecoder().decode(value);
}

/** Reads a metadata value as a number (any numeric type), or undefined. */
export function metadataNumber(metadata: GgufMetadata, key: string): number | undefined {
  const entry = metadata.get(key);
  if (!entry) return undefined;
  if (typeof entry.value === "number") return entry.value;
  if (typeof entry.value === "bigint") return Number(entry.value);
  return undefined;
}

/** Reads a metadata value as a string, or undefined. */
export function metadataString(metadata: GgufMetadata, key: string): string | undefined {
  const entry = metadata.get(key);
  return entry?.type === GgufValueType.STRING ? ggufStringText(entry.value) : undefined;
}

/** Reads a metadata array, or undefined. */
export function metadataArray(metadata: GgufMetadata, key: string): GgufArray | undefined {
  const entry = metadata.get(key);
  return entry?.type === GgufValueType.ARRAY ? entry.value : undefined;
}

/** Number of items in a GGUF array. */
export function arrayLength(array: GgufArray): number {
  return array.items.length;
}

/** A JSON-friendly rendering of a value: bigints as numbers when safe, long arrays abbreviated to `limit` items. */
export function valueToJson(value: GgufValue, limit = 16): unknown {
  switch (value.type) {
    case GgufValueType.UINT64:
    case GgufValueType.INT64:
      return Number.isSafeInteger(Number(value.value)) ? Number(value.value) : value.value.toString();
    case GgufValueType.STRING:
      return ggufStringText(value.value);
    case GgufValueType.ARRAY:
      return arrayToJson(value.value, limit);
    default:
      return value.value;
  }
}

function arrayToJson(array: GgufArray, limit: number): unknown {
  const length = array.items.length;
  const head: unknown[] = [];
  for (let i = 0; i < Math.min(length, limit); i++) {
    const item = array.items[i];
    if (array.itemType === GgufValueType.ARRAY) head.push(arrayToJson(item as GgufArray, limit));
    else if (array.itemType === GgufValueType.STRING) head.push(ggufStringText(item as GgufString));
    else if (array.itemType === GgufValueType.BOOL) head.push(item !== 0);
    else if (typeof item === "bigint") head.push(Number(item));
    else head.push(item);
  }
  if (length <= limit) return head;
  return { length, head };
}
