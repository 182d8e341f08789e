// Tests of Llama hyperparameters between config.json and GGUF metadata: a round trip keeps every field, float32
// values come back as the decimals configs use, and linear rope scaling travels both ways.
import { describe, expect, it } from "vitest";
import { metadataNumber, parseLlamaConfig } from "../formats/index.js";
import { llamaGgufMetadata, llamaHfConfig, shortestFloat32 } from "./llama-metadata.js";

const config = parseLlamaConfig({
  architectures: ["LlamaForCausalLM"],
  model_type: "llama",
  hidden_size: 4096,
  intermediate_size: 14336,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  num_hidden_layers: 48,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  rope_scaling: { type: "linear", factor: 2.5 },
  vocab_size: 32000,
  max_position_embeddings: 4096,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
  torch_dtype: "float16",
});

describe("Llama metadata", () => {
  it("writes llama.* keys in llama.cpp's order", () => {
    const meta = llamaGgufMetadata(config, { name: "solar-like" });
    expect([...meta.keys()].slice(0, 6)).toEqual(["general.architecture", "general.name", "llama.context_length", "llama.embedding_length", "llama.block_count", "llama.feed_forward_length"]);
    expect(metadataNumber(meta, "llama.rope.dimension_count")).toBe(128);
    expect(metadataNumber(meta, "llama.attention.head_count_kv")).toBe(8);
    expect(metadataNumber(meta, "llama.rope.scaling.factor")).toBe(2.5);
  });

  it("round-trips a config through GGUF metadata", () => {
    const meta = llamaGgufMetadata(config, { name: "x" });
    meta.set("tokenizer.ggml.bos_token_id", { type: 4, value: 1 });
    meta.set("tokenizer.ggml.eos_token_id", { type: 4, value: 2 });
    const back = llamaHfConfig(meta, { vocab: 32000, tiedEmbeddings: false, torchDtype: "float16" });
    expect(back).toEqual(config);
  });

  it("gives float32 values back as their shortest decimals", () => {
    expect(shortestFloat32(Math.fround(1e-5))).toBe(1e-5);
    expect(shortestFloat32(Math.fround(1e-6))).toBe(1e-6);
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(500000)).toBe(500000);
  });
});
