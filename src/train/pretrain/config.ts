// Model configurations of `dusk train pretrain`: the named presets (tiny, small = the bench model), a config.json
// file, and the mapping between a Hugging Face config.json and the engine's LlamaConfig.
import { readFile } from "node:fs/promises";
import type { LlamaConfig } from "../../arch/index.js";
import { FileNotFoundError, InvalidArgumentError } from "../../common/index.js";
import { parseLlamaConfig, type HfLlamaConfig } from "../../formats/index.js";

/** Named model configurations (knowledge as data). `small` is the configuration bench/train measures. */
export const PRETRAIN_PRESETS: Readonly<Record<string, LlamaConfig>> = {
  tiny: { layers: 4, hidden: 128, heads: 4, kvHeads: 2, ffn: 344, vocab: 2048, context: 512, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false },
  small: { layers: 4, hidden: 256, heads: 4, kvHeads: 2, ffn: 688, vocab: 4096, context: 1024, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false },
};

/** The engine's configuration of a Hugging Face Llama config.json. */
export function llamaConfigFromHf(hf: HfLlamaConfig): LlamaConfig {
  const heads = hf.num_attention_heads;
  if (hf.head_dim !== undefined && hf.head_dim * heads !== hf.hidden_size) {
    throw new InvalidArgumentError(`expected head_dim × num_attention_heads = hidden_size but got ${hf.head_dim} × ${heads} ≠ ${hf.hidden_size}`, { hint: "dusk trains Llama models whose head_dim is hidden_size / num_attention_heads" });
  }
  return {
    layers: hf.num_hidden_layers,
    hidden: hf.hidden_size,
    heads,
    kvHeads: hf.num_key_value_heads ?? heads,
    ffn: hf.intermediate_size,
    vocab: hf.vocab_size,
    context: hf.max_position_embeddings ?? 4096,
    rmsNormEps: hf.rms_norm_eps ?? 1e-5,
    ropeTheta: hf.rope_theta ?? 10000,
    tiedEmbeddings: hf.tie_word_embeddings ?? false,
  };
}

/** config.json of an engine configuration (float32 weights, as dusk writes them). */
export function hfConfigFromLlama(config: LlamaConfig, { bos = 1, eos = 2 }: { bos?: number; eos?: number } = {}): HfLlamaConfig {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: config.hidden,
    intermediate_size: config.ffn,
    num_attention_heads: config.heads,
    num_key_value_heads: config.kvHeads,
    num_hidden_layers: config.layers,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    vocab_size: config.vocab,
    max_position_embeddings: config.context,
    tie_word_embeddings: config.tiedEmbeddings,
    bos_token_id: bos,
    eos_token_id: eos,
    torch_dtype: "float32",
  };
}

/**
 * Resolves `--config`: a preset name or a config.json file (Hugging Face fields). A preset's vocabulary may be
 * replaced by the tokenizer's later; a file's vocab_size is kept.
 */
export async function resolveModelConfig(spec: string): Promise<{ config: LlamaConfig; preset: boolean }> {
  const preset = PRETRAIN_PRESETS[spec];
  if (preset !== undefined) return { config: preset, preset: true };
  if (!spec.endsWith(".json")) {
    throw new InvalidArgumentError(`expected --config to be ${Object.keys(PRETRAIN_PRESETS).join(", ")} or a config.json file but got "${spec}"`);
  }
  const text = await readFile(spec, "utf8").catch((error: unknown) => {
    throw new FileNotFoundError(spec, { hint: "give a Hugging Face config.json file or a preset name", cause: error });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`expected ${spec} to be JSON but it is not (${(error as Error).message})`);
  }
  return { config: llamaConfigFromHf(parseLlamaConfig(json, spec)), preset: false };
}
