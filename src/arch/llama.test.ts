// Tests of the Llama architecture data: tensor names both ways, layer parsing, and which keys are per-layer.
import { describe, expect, it } from "vitest";
import { ggufToHfName, hfToGgufName, isPerLayerKey, parseLayerIndex } from "./llama.js";

describe("llama architecture data", () => {
  it("maps GGUF and HF names both ways with the q/k permutation flags", () => {
    expect(ggufToHfName("blk.7.attn_q.weight")).toEqual({ name: "model.layers.7.self_attn.q_proj.weight", permute: "q" });
    expect(hfToGgufName("model.layers.12.mlp.down_proj.weight")).toEqual({ name: "blk.12.ffn_down.weight", permute: undefined });
    expect(hfToGgufName("lm_head.weight")).toEqual({ name: "output.weight", permute: undefined });
    expect(ggufToHfName("blk.3.something_else.weight")).toBeUndefined();
  });

  it("parses and renames layer indices in both naming schemes", () => {
    expect(parseLayerIndex("blk.31.ffn_up.weight")?.rename(47)).toBe("blk.47.ffn_up.weight");
    expect(parseLayerIndex("model.layers.0.input_layernorm.weight")?.index).toBe(0);
    expect(parseLayerIndex("token_embd.weight")).toBeUndefined();
  });

  it("treats only llama.cpp's per-layer keys as per-layer, not any array as long as the layer count", () => {
    expect(isPerLayerKey("llama.attention.head_count_kv", "llama")).toBe(true);
    expect(isPerLayerKey("llama.feed_forward_length", "llama")).toBe(true);
    expect(isPerLayerKey("llama.rope.dimension_sections", "llama")).toBe(false);
    expect(isPerLayerKey("qwen2.attention.head_count", "llama")).toBe(false);
  });
});
