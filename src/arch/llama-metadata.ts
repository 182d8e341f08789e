// Llama hyperparameters between a Hugging Face config.json and GGUF `llama.*` metadata (names as transformers'
// LlamaConfig and llama.cpp's gguf-py constants spell them): used by merges and `dusk convert` alike.
import { Keys, archKey, gguf, metadataNumber, metadataString, type GgufMetadata, type HfLlamaConfig } from "../formats/index.js";

/** GGUF keys of a Llama model's hyperparameters beyond {@link Keys}. */
export const LlamaKeys = {
  ROPE_DIMENSION_COUNT: "{arch}.rope.dimension_count",
  RMS_EPS: "{arch}.attention.layer_norm_rms_epsilon",
  ROPE_FREQ_BASE: "{arch}.rope.freq_base",
  VOCAB_SIZE: "{arch}.vocab_size",
  ROPE_SCALING_TYPE: "{arch}.rope.scaling.type",
  ROPE_SCALING_FACTOR: "{arch}.rope.scaling.factor",
} as const;

/** Options of {@link llamaGgufMetadata}. */
export interface LlamaGgufMetadataOptions {
  /** `general.name`. */
  readonly name: string;
}

/**
 * `general.architecture`, `general.name` and the `llama.*` hyperparameters of a Hugging Face Llama config, in the
 * order llama.cpp's converter writes them. A linear `rope_scaling` becomes `llama.rope.scaling.*`.
 */
export function llamaGgufMetadata(config: HfLlamaConfig, { name }: LlamaGgufMetadataOptions): GgufMetadata {
  const heads = config.num_attention_heads;
  const headDim = config.head_dim ?? config.hidden_size / heads;
  const key = (template: string): string => archKey(template, "llama");
  const meta: GgufMetadata = new Map([
    [Keys.GENERAL_ARCHITECTURE, gguf.str("llama")],
    [Keys.GENERAL_NAME, gguf.str(name)],
    [key(Keys.CONTEXT_LENGTH), gguf.u32(config.max_position_embeddings ?? 4096)],
    [key(Keys.EMBEDDING_LENGTH), gguf.u32(config.hidden_size)],
    [key(Keys.BLOCK_COUNT), gguf.u32(config.num_hidden_layers)],
    [key(Keys.FEED_FORWARD_LENGTH), gguf.u32(config.intermediate_size)],
    [key(LlamaKeys.ROPE_DIMENSION_COUNT), gguf.u32(headDim)],
    [key(Keys.HEAD_COUNT), gguf.u32(heads)],
    [key(Keys.HEAD_COUNT_KV), gguf.u32(config.num_key_value_heads ?? heads)],
    [key(LlamaKeys.RMS_EPS), gguf.f32(config.rms_norm_eps ?? 1e-5)],
    [key(LlamaKeys.ROPE_FREQ_BASE), gguf.f32(config.rope_theta ?? 10000)],
    [key(LlamaKeys.VOCAB_SIZE), gguf.u32(config.vocab_size)],
  ]);
  const scaling = config.rope_scaling as { type?: unknown; rope_type?: unknown; factor?: unknown } | null | undefined;
  if (scaling && (scaling.type ?? scaling.rope_type) === "linear" && typeof scaling.factor === "number") {
    meta.set(key(LlamaKeys.ROPE_SCALING_TYPE), gguf.str("linear"));
    meta.set(key(LlamaKeys.ROPE_SCALING_FACTOR), gguf.f32(scaling.factor));
  }
  return meta;
}

/** Options of {@link llamaHfConfig}. */
export interface LlamaHfConfigOptions {
  /** Layers, when they differ from `llama.block_count` (a merge). Defaults to the metadata's. */
  readonly layers?: number;
  /** Hidden size. Defaults to `llama.embedding_length`. */
  readonly hidden?: number;
  /** Vocabulary size (rows of the token embedding). */
  readonly vocab: number;
  /** Whether the model has no output head of its own. */
  readonly tiedEmbeddings: boolean;
  /** config.json's torch_dtype ("float32", "float16", "bfloat16"). */
  readonly torchDtype: string;
}

/** The shortest decimal that is the same float32 (GGUF stores 1e-5 as 0.000009999999747…; config.json says 1e-5). */
export function shortestFloat32(value: number): number {
  for (let digits = 1; digits < 17; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === Math.fround(value)) return candidate;
  }
  return value;
}

/** config.json of a Llama model described by GGUF metadata (as transformers' LlamaConfig names the fields). */
export function llamaHfConfig(meta: GgufMetadata, { layers, hidden, vocab, tiedEmbeddings, torchDtype }: LlamaHfConfigOptions): Record<string, unknown> {
  const arch = metadataString(meta, Keys.GENERAL_ARCHITECTURE) ?? "llama";
  const key = (template: string): number | undefined => metadataNumber(meta, archKey(template, arch));
  const heads = key(Keys.HEAD_COUNT) ?? 1;
  const embedding = hidden ?? key(Keys.EMBEDDING_LENGTH);
  const ropeDims = key(LlamaKeys.ROPE_DIMENSION_COUNT);
  const scalingType = metadataString(meta, archKey(LlamaKeys.ROPE_SCALING_TYPE, arch));
  const scalingFactor = metadataNumber(meta, archKey(LlamaKeys.ROPE_SCALING_FACTOR, arch));
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: embedding,
    intermediate_size: key(Keys.FEED_FORWARD_LENGTH),
    num_attention_heads: heads,
    num_key_value_heads: key(Keys.HEAD_COUNT_KV) ?? heads,
    num_hidden_layers: layers ?? key(Keys.BLOCK_COUNT),
    ...(ropeDims !== undefined && embedding !== undefined && ropeDims !== embedding / heads ? { head_dim: ropeDims } : {}),
    rms_norm_eps: shortestFloat32(metadataNumber(meta, archKey(LlamaKeys.RMS_EPS, arch)) ?? 1e-5),
    rope_theta: shortestFloat32(metadataNumber(meta, archKey(LlamaKeys.ROPE_FREQ_BASE, arch)) ?? 10000),
    ...(scalingType === "linear" && scalingFactor !== undefined ? { rope_scaling: { type: "linear", factor: shortestFloat32(scalingFactor) } } : {}),
    vocab_size: vocab,
    max_position_embeddings: key(Keys.CONTEXT_LENGTH) ?? 4096,
    tie_word_embeddings: tiedEmbeddings,
    bos_token_id: metadataNumber(meta, "tokenizer.ggml.bos_token_id") ?? 1,
    eos_token_id: metadataNumber(meta, "tokenizer.ggml.eos_token_id") ?? 2,
    torch_dtype: torchDtype,
  };
}
