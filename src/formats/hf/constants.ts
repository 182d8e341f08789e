// Hugging Face checkpoint folder constants, spelled as transformers spells them (transformers/utils/constants:
// CONFIG_NAME, GENERATION_CONFIG_NAME, SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME; shard names as huggingface_hub's
// split_torch_state_dict_into_shards writes them: "model-00001-of-00003.safetensors").

/** The model configuration. */
export const CONFIG_NAME = "config.json";

/** Default generation settings (optional). */
export const GENERATION_CONFIG_NAME = "generation_config.json";

/** The weights when the checkpoint is one file. */
export const SAFE_WEIGHTS_NAME = "model.safetensors";

/** The index of a sharded checkpoint: `{metadata: {total_size}, weight_map: {tensor: file}}`. */
export const SAFE_WEIGHTS_INDEX_NAME = "model.safetensors.index.json";

/** The tokenizer settings, including `chat_template`. */
export const TOKENIZER_CONFIG_NAME = "tokenizer_config.json";

/** Tokenizer files a checkpoint may carry; copied as they are. */
export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "tokenizer.model",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
  "tokenizer.gguf",
] as const;

/** transformers' default `max_shard_size` ("5GB", decimal). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

/** Metadata transformers stores in each shard's header. */
export const DEFAULT_SHARD_METADATA: Readonly<Record<string, string>> = { format: "pt" };

/** The file name of shard `index` (0-based) of `count`: `model.safetensors` when there is only one. */
export function shardFileName(index: number, count: number): string {
  if (count === 1) return SAFE_WEIGHTS_NAME;
  const pad = (n: number): string => String(n).padStart(5, "0");
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}
