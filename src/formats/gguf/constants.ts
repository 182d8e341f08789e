// GGUF format constants, spelled as the GGUF spec and llama.cpp's gguf-py/gguf/constants.py spell them.

/** "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
/** The version dusk writes. */
export const GGUF_VERSION = 3;
/** Versions dusk reads (version 1 used 32-bit counts and is obsolete). */
export const GGUF_READABLE_VERSIONS: readonly number[] = [2, 3];
/** Default data alignment when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_DIMS. */
export const GGML_MAX_DIMS = 4;

/** Metadata value types (enum gguf_type). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

/** Byte size of each fixed-size value type. */
export const GGUF_SCALAR_BYTES: Readonly<Record<number, number>> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/** Names of the value types for messages and `dusk inspect`. */
export const GGUF_VALUE_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(GgufValueType).map(([name, id]) => [id, name.toLowerCase()]),
);

/** Well-known metadata keys. `{arch}` is replaced by `general.architecture`. */
export const Keys = {
  GENERAL_ARCHITECTURE: "general.architecture",
  GENERAL_ALIGNMENT: "general.alignment",
  GENERAL_NAME: "general.name",
  GENERAL_SIZE_LABEL: "general.size_label",
  GENERAL_FILE_TYPE: "general.file_type",
  GENERAL_BASE_MODEL_COUNT: "general.base_model.count",
  BLOCK_COUNT: "{arch}.block_count",
  CONTEXT_LENGTH: "{arch}.context_length",
  EMBEDDING_LENGTH: "{arch}.embedding_length",
  FEED_FORWARD_LENGTH: "{arch}.feed_forward_length",
  HEAD_COUNT: "{arch}.attention.head_count",
  HEAD_COUNT_KV: "{arch}.attention.head_count_kv",
  TOKENIZER_MODEL: "tokenizer.ggml.model",
  TOKENIZER_TOKENS: "tokenizer.ggml.tokens",
  CHAT_TEMPLATE: "tokenizer.chat_template",
  SPLIT_NO: "split.no",
  SPLIT_COUNT: "split.count",
  SPLIT_TENSORS_COUNT: "split.tensors.count",
} as const;

/** Fills `{arch}` in a key template. */
export function archKey(template: string, arch: string): string {
  return template.replace("{arch}", arch);
}

/** Split file names as llama.cpp's gguf-split writes them: `name-00001-of-00003.gguf`. */
export const SPLIT_PATTERN = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/;

/** The path of shard `index` (0-based) of `count` for a split model whose prefix is `prefix` (path without suffix). */
export function splitPath(prefix: string, index: number, count: number): string {
  return `${prefix}-${String(index + 1).padStart(5, "0")}-of-${String(count).padStart(5, "0")}.gguf`;
}
