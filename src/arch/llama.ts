// The Llama architecture as data: GGUF and Hugging Face tensor names, shapes from the config, and which tensors
// carry the q/k rope permutation. Names from llama.cpp's gguf-py/gguf/constants.py (MODEL_TENSOR, LLAMA) and
// tensor_mapping.py; HF names from transformers' LlamaForCausalLM.

/** The dimensions of a Llama model. */
export interface LlamaConfig {
  /** Layers (`num_hidden_layers`, `llama.block_count`). */
  readonly layers: number;
  /** Hidden size (`hidden_size`, `llama.embedding_length`). */
  readonly hidden: number;
  /** Attention heads. */
  readonly heads: number;
  /** Key/value heads (grouped-query attention). */
  readonly kvHeads: number;
  /** FFN size (`intermediate_size`, `llama.feed_forward_length`). */
  readonly ffn: number;
  /** Vocabulary size. */
  readonly vocab: number;
  /** Context length (`max_position_embeddings`, `llama.context_length`). */
  readonly context: number;
  /** RMSNorm epsilon. */
  readonly rmsNormEps: number;
  /** RoPE base frequency. */
  readonly ropeTheta: number;
  /** Whether the output head shares the token embedding. */
  readonly tiedEmbeddings: boolean;
}

/** Which rope permutation a tensor needs between HF and GGUF layouts. */
export type RopePermutation = "q" | "k" | undefined;

/** One tensor of the architecture. */
export interface TensorTemplate {
  /** GGUF name; `{n}` is the layer index. */
  readonly gguf: string;
  /** Hugging Face name; `{n}` is the layer index. */
  readonly hf: string;
  /** Shape in PyTorch order for a config. */
  readonly shape: (config: LlamaConfig) => number[];
  readonly permute?: RopePermutation;
  /** Present only for untied models. */
  readonly untiedOnly?: boolean;
}

const headDim = (c: LlamaConfig): number => c.hidden / c.heads;

/** Tensors outside the layers. */
export const LLAMA_GLOBAL_TENSORS: readonly TensorTemplate[] = [
  { gguf: "token_embd.weight", hf: "model.embed_tokens.weight", shape: (c) => [c.vocab, c.hidden] },
  { gguf: "output_norm.weight", hf: "model.norm.weight", shape: (c) => [c.hidden] },
  { gguf: "output.weight", hf: "lm_head.weight", shape: (c) => [c.vocab, c.hidden], untiedOnly: true },
];

/** Tensors of each layer. */
export const LLAMA_LAYER_TENSORS: readonly TensorTemplate[] = [
  { gguf: "blk.{n}.attn_norm.weight", hf: "model.layers.{n}.input_layernorm.weight", shape: (c) => [c.hidden] },
  { gguf: "blk.{n}.attn_q.weight", hf: "model.layers.{n}.self_attn.q_proj.weight", shape: (c) => [c.heads * headDim(c), c.hidden], permute: "q" },
  { gguf: "blk.{n}.attn_k.weight", hf: "model.layers.{n}.self_attn.k_proj.weight", shape: (c) => [c.kvHeads * headDim(c), c.hidden], permute: "k" },
  { gguf: "blk.{n}.attn_v.weight", hf: "model.layers.{n}.self_attn.v_proj.weight", shape: (c) => [c.kvHeads * headDim(c), c.hidden] },
  { gguf: "blk.{n}.attn_output.weight", hf: "model.layers.{n}.self_attn.o_proj.weight", shape: (c) => [c.hidden, c.heads * headDim(c)] },
  { gguf: "blk.{n}.ffn_norm.weight", hf: "model.layers.{n}.post_attention_layernorm.weight", shape: (c) => [c.hidden] },
  { gguf: "blk.{n}.ffn_gate.weight", hf: "model.layers.{n}.mlp.gate_proj.weight", shape: (c) => [c.ffn, c.hidden] },
  { gguf: "blk.{n}.ffn_up.weight", hf: "model.layers.{n}.mlp.up_proj.weight", shape: (c) => [c.ffn, c.hidden] },
  { gguf: "blk.{n}.ffn_down.weight", hf: "model.layers.{n}.mlp.down_proj.weight", shape: (c) => [c.hidden, c.ffn] },
];

/** Every tensor of a Llama model with its names for the given config, globals first as llama.cpp orders them. */
export function llamaTensors(config: LlamaConfig): { gguf: string; hf: string; shape: number[]; permute: RopePermutation; layer: number | undefined }[] {
  const globals = LLAMA_GLOBAL_TENSORS.filter((t) => !(t.untiedOnly && config.tiedEmbeddings));
  type Entry = { gguf: string; hf: string; shape: number[]; permute: RopePermutation; layer: number | undefined };
  const out: Entry[] = globals.slice(0, 1).map((t) => ({ gguf: t.gguf, hf: t.hf, shape: t.shape(config), permute: t.permute, layer: undefined }));
  for (let n = 0; n < config.layers; n++) {
    for (const t of LLAMA_LAYER_TENSORS) {
      out.push({ gguf: t.gguf.replace("{n}", String(n)), hf: t.hf.replace("{n}", String(n)), shape: t.shape(config), permute: t.permute, layer: n });
    }
  }
  for (const t of globals.slice(1)) out.push({ gguf: t.gguf, hf: t.hf, shape: t.shape(config), permute: t.permute, layer: undefined });
  return out;
}

/** GGUF name → HF name (and back) for any Llama tensor name, or undefined when the name is not Llama's. */
export function ggufToHfName(name: string): { name: string; permute: RopePermutation } | undefined {
  return mapName(name, "gguf", "hf");
}

/** HF name → GGUF name. */
export function hfToGgufName(name: string): { name: string; permute: RopePermutation } | undefined {
  return mapName(name, "hf", "gguf");
}

function mapName(name: string, from: "gguf" | "hf", to: "gguf" | "hf"): { name: string; permute: RopePermutation } | undefined {
  for (const t of LLAMA_GLOBAL_TENSORS) if (t[from] === name) return { name: t[to], permute: t.permute };
  const layer = parseLayerIndex(name);
  if (layer === undefined) return undefined;
  for (const t of LLAMA_LAYER_TENSORS) {
    if (t[from].replace("{n}", String(layer.index)) === name) return { name: t[to].replace("{n}", String(layer.index)), permute: t.permute };
  }
  return undefined;
}

const LAYER_PATTERNS = [/^(blk\.)(\d+)(\..+)$/, /^(model\.layers\.)(\d+)(\..+)$/];

/** The layer index of a per-layer tensor name (GGUF `blk.N.` or HF `model.layers.N.`), or undefined for globals. */
export function parseLayerIndex(name: string): { index: number; rename: (index: number) => string } | undefined {
  for (const pattern of LAYER_PATTERNS) {
    const match = pattern.exec(name);
    if (match) return { index: Number(match[2]), rename: (index) => `${match[1]}${index}${match[3]}` };
  }
  return undefined;
}

/**
 * Metadata keys (after `{arch}.`) that llama.cpp accepts either as one value or as an array with one entry per layer
 * (llama.cpp src/llama-model.cpp reads them with get_key_or_arr). A merge remaps such arrays with the layers.
 */
export const PER_LAYER_KEY_SUFFIXES: readonly string[] = [
  "attention.head_count",
  "attention.head_count_kv",
  "feed_forward_length",
  "attention.sliding_window_pattern",
];

/** True when `key` is a per-layer key of architecture `arch`. */
export function isPerLayerKey(key: string, arch: string): boolean {
  return PER_LAYER_KEY_SUFFIXES.some((suffix) => key === `${arch}.${suffix}`);
}
