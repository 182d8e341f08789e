// safetensors format constants, spelled as the format spells them. Source: huggingface/safetensors
// (README "Format", safetensors/src/tensor.rs: MAX_HEADER_SIZE, Dtype, the 8-byte header padding).

/** Bytes of the little-endian u64 header length that starts every file. */
export const HEADER_LENGTH_BYTES = 8;

/** Largest header accepted, in bytes (the reference implementation's `MAX_HEADER_SIZE`: 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** The header JSON is padded with spaces to a multiple of this many bytes, as the reference writer does. */
export const HEADER_ALIGNMENT = 8;

/** The reserved header key holding free-form string→string metadata. */
export const METADATA_KEY = "__metadata__";

/** Bytes per element of every dtype dusk reads and writes. */
export const SAFETENSORS_DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const satisfies Record<string, number>;

/** A safetensors dtype name (`F32`, `BF16`, ...). */
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** Every known dtype name, for messages. */
export const SAFETENSORS_DTYPES = Object.keys(SAFETENSORS_DTYPE_BYTES) as readonly SafetensorsDtype[];

/** True when `name` is a dtype dusk knows. */
export function isSafetensorsDtype(name: string): name is SafetensorsDtype {
  return Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_BYTES, name);
}
