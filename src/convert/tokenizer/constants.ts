// Tokenizer constants as llama.cpp and Hugging Face spell them: GGUF `tokenizer.ggml.*` keys, token types
// (llama.cpp's enum llama_token_type, which copies SentencePiece's ModelProto.SentencePiece.Type), the
// SentencePiece word-boundary marker and the regex of the GPT-2 pre-tokenizer.

/** GGUF tokenizer keys (gguf-py/gguf/constants.py, Keys.Tokenizer). */
export const TokenizerKeys = {
  MODEL: "tokenizer.ggml.model",
  PRE: "tokenizer.ggml.pre",
  TOKENS: "tokenizer.ggml.tokens",
  TOKEN_TYPE: "tokenizer.ggml.token_type",
  SCORES: "tokenizer.ggml.scores",
  MERGES: "tokenizer.ggml.merges",
  BOS_ID: "tokenizer.ggml.bos_token_id",
  EOS_ID: "tokenizer.ggml.eos_token_id",
  UNK_ID: "tokenizer.ggml.unknown_token_id",
  PAD_ID: "tokenizer.ggml.padding_token_id",
  ADD_BOS: "tokenizer.ggml.add_bos_token",
  ADD_EOS: "tokenizer.ggml.add_eos_token",
  ADD_SPACE_PREFIX: "tokenizer.ggml.add_space_prefix",
  CHAT_TEMPLATE: "tokenizer.chat_template",
} as const;

/** Token types (llama.cpp's llama_token_type; the same numbers as SentencePiece's piece types). */
export const GgufTokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;
export type GgufTokenType = (typeof GgufTokenType)[keyof typeof GgufTokenType];

/** The tokenizer models dusk converts: llama.cpp's "gpt2" (byte-level BPE) and "llama" (SentencePiece BPE). */
export const TOKENIZER_MODELS = ["gpt2", "llama"] as const;
export type TokenizerModel = (typeof TOKENIZER_MODELS)[number];

/** SentencePiece's word-boundary marker (U+2581), which stands for a space in "llama" vocabularies. */
export const SPIECE_UNDERLINE = "\u2581";

/**
 * GPT-2's pre-tokenizer regex as GPT-2, Hugging Face's ByteLevel pre-tokenizer and llama.cpp's "gpt-2" pre-type
 * spell it (llama.cpp implements it by hand in unicode.cpp, unicode_regex_split_custom_gpt2).
 */
export const GPT2_SPLIT_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** The `tokenizer.ggml.pre` value for a byte-level BPE that splits with {@link GPT2_SPLIT_REGEX}. */
export const GPT2_PRE = "gpt-2";

/** The name of the vocab-only GGUF that carries a GGUF tokenizer inside a checkpoint folder. */
export const GGUF_TOKENIZER_FILE = "tokenizer.gguf";

/** Hugging Face tokenizer files dusk writes. */
export const TOKENIZER_JSON_FILE = "tokenizer.json";
export const TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
export const SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json";
/** SentencePiece's serialized model (a protobuf), shipped by Llama 2 checkpoints. */
export const SENTENCEPIECE_MODEL_FILE = "tokenizer.model";
