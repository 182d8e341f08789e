// Crossing formats in a merge: config.json for a checkpoint written from GGUF donors, GGUF metadata for a GGUF
// written from checkpoint donors, and the model card. The tokenizer travels between the formats as a vocab-only
// GGUF file (`tokenizer.gguf`, the form llama.cpp itself ships vocabularies in) beside the HF tokenizer files.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { Keys, archKey, gguf, metadataNumber, metadataString, openGguf, type Checkpoint, type GgufMetadata } from "../formats/index.js";
import { UnsupportedConversionError } from "./errors.js";
import type { MergePlan } from "./plan.js";

/** File name of the vocab-only GGUF that carries a GGUF tokenizer inside a checkpoint folder. */
export const GGUF_TOKENIZER_FILE = "tokenizer.gguf";

const TORCH_DTYPE: Record<string, string> = { F32: "float32", F16: "float16", BF16: "bfloat16" };

/** config.json of the merged checkpoint. */
export function mergedCheckpointConfig(plan: MergePlan, base: { gguf?: GgufMetadata; checkpoint?: Checkpoint }): Record<string, unknown> {
  const layers = plan.layerMap.length;
  const dtype = TORCH_DTYPE[plan.tensors.find((t) => t.shape.length === 2)?.type ?? "F32"] ?? "float32";
  if (base.checkpoint) return { ...base.checkpoint.config, num_hidden_layers: layers, torch_dtype: dtype };
  const meta = base.gguf!;
  const arch = metadataString(meta, Keys.GENERAL_ARCHITECTURE) ?? "llama";
  const key = (template: string): number | undefined => metadataNumber(meta, archKey(template, arch));
  const heads = key(Keys.HEAD_COUNT) ?? 1;
  const donor = plan.donors[plan.layerMap[0]!.donor]!;
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: donor.hidden,
    intermediate_size: key(Keys.FEED_FORWARD_LENGTH),
    num_attention_heads: heads,
    num_key_value_heads: key(Keys.HEAD_COUNT_KV) ?? heads,
    num_hidden_layers: layers,
    rms_norm_eps: metadataNumber(meta, `${arch}.attention.layer_norm_rms_epsilon`) ?? 1e-5,
    rope_theta: metadataNumber(meta, `${arch}.rope.freq_base`) ?? 10000,
    vocab_size: donor.vocab,
    max_position_embeddings: key(Keys.CONTEXT_LENGTH) ?? 4096,
    tie_word_embeddings: !donor.tensors.some((t) => t.name === "output.weight"),
    bos_token_id: metadataNumber(meta, "tokenizer.ggml.bos_token_id") ?? 1,
    eos_token_id: metadataNumber(meta, "tokenizer.ggml.eos_token_id") ?? 2,
    torch_dtype: dtype,
  };
}

/** The tokenizer.* keys of a GGUF, as a vocab-only GGUF's metadata. */
export function tokenizerOnlyMetadata(meta: GgufMetadata): GgufMetadata {
  const arch = metadataString(meta, Keys.GENERAL_ARCHITECTURE) ?? "llama";
  return new Map([["general.architecture", gguf.str(arch)], ...[...meta].filter(([k]) => k.startsWith("tokenizer."))]);
}

/** GGUF metadata for a GGUF written from a checkpoint: architecture keys from config.json, tokenizer from tokenizer.gguf. */
export async function ggufMetadataFromCheckpoint(checkpoint: Checkpoint, ref: string): Promise<GgufMetadata> {
  const c = checkpoint.config;
  const tokenizerPath = join(checkpoint.folder, GGUF_TOKENIZER_FILE);
  if (!(await stat(tokenizerPath).then(() => true, () => false))) {
    throw new UnsupportedConversionError(`expected ${GGUF_TOKENIZER_FILE} in ${ref} to write a GGUF from it, but the folder has only ${checkpoint.tokenizerFiles.join(", ") || "no tokenizer files"}`);
  }
  const vocab = await openGguf(tokenizerPath);
  try {
    const heads = c.num_attention_heads;
    const headDim = c.head_dim ?? c.hidden_size / heads;
    return new Map([
      ["general.architecture", gguf.str("llama")],
      ["general.name", gguf.str(ref)],
      ["llama.context_length", gguf.u32(c.max_position_embeddings ?? 4096)],
      ["llama.embedding_length", gguf.u32(c.hidden_size)],
      ["llama.block_count", gguf.u32(c.num_hidden_layers)],
      ["llama.feed_forward_length", gguf.u32(c.intermediate_size)],
      ["llama.rope.dimension_count", gguf.u32(headDim)],
      ["llama.attention.head_count", gguf.u32(heads)],
      ["llama.attention.head_count_kv", gguf.u32(c.num_key_value_heads ?? heads)],
      ["llama.attention.layer_norm_rms_epsilon", gguf.f32(c.rms_norm_eps ?? 1e-5)],
      ["llama.rope.freq_base", gguf.f32(c.rope_theta ?? 10000)],
      ["llama.vocab_size", gguf.u32(c.vocab_size)],
      ...[...vocab.metadata].filter(([k]) => k.startsWith("tokenizer.")),
    ]);
  } finally {
    await vocab.close();
  }
}

/** The README.md model card of a merged checkpoint: the recipe and the sources. */
export function modelCard(plan: MergePlan, name: string): string {
  const refs = [...new Set(plan.layerMap.map((e) => plan.donors[e.donor]!.ref))];
  const slices = plan.config.slices.map((s) => `- layers [${s.start}, ${s.end}) of \`${s.model}\``).join("\n");
  return `---
tags:
  - merge
  - depth-up-scaling
  - dusk
base_model:
${refs.map((r) => `  - ${r}`).join("\n")}
---
# ${name}

A ${plan.layerMap.length}-layer model made with [dusk](https://www.npmjs.com/package/dusk) by stacking layer slices
(depth up-scaling as in SOLAR 10.7B, arXiv:2312.15166). Embeddings, final norm and output head come from
\`${plan.donors[plan.layerMap[0]!.donor]!.ref}\`. Tensors were copied, not retrained: an up-scaled model needs continued
pretraining before it beats its base.

## Slices (in order)
${slices}

## Merge configuration
\`\`\`yaml
${plan.config.yaml.trimEnd()}
\`\`\`
`;
}
