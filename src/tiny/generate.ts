// Tiny Llama models with random weights and chosen dimensions, for tests and the demo: written as GGUF (F32, F16,
// BF16, Q8_0, Q4_K by dusk's own quantizer) with a real tokenizer (copied from a GGUF vocabulary file when given,
// else dusk's own small one).
import { InvalidArgumentError } from "../common/index.js";
import { llamaTensors, permuteGgufToHf, type LlamaConfig } from "../arch/index.js";
import { encodeGgufHeader, gguf, openGguf, quantize, writeCheckpoint, writeGguf, type GgufMetadata, type QuantizableType, metadataArray, GgufValueType } from "../formats/index.js";
import { tinyTokenizerMetadata } from "./vocab.js";

/** Options of {@link makeTinyModel}. */
export interface TinyModelOptions {
  /** Output path: a `.gguf` file, or a folder for a Hugging Face safetensors checkpoint (F32, F16 or BF16). */
  output: string;
  /** Largest safetensors shard in bytes, for checkpoint output. Defaults to one file. */
  shardMaxBytes?: number;
  /** Layers. Defaults to 4. */
  layers?: number;
  /** Hidden size. Defaults to 64 (256 for K-quants, whose rows must be multiples of 256). */
  hidden?: number;
  /** Attention heads. Defaults to 4. */
  heads?: number;
  /** KV heads. Defaults to 2. */
  kvHeads?: number;
  /** FFN size. Defaults to 2 × hidden. */
  ffn?: number;
  /** Context length. Defaults to 512. */
  context?: number;
  /** Tensor type of the weight matrices (norms stay F32 as llama.cpp keeps them). Defaults to "F32". */
  type?: QuantizableType;
  /** A GGUF file whose `tokenizer.*` metadata to copy (e.g. ../shared/data/gguf/ggml-vocab-llama-spm.gguf). Defaults to dusk's own vocabulary. */
  vocabFrom?: string;
  /** Seed of the random weights. Defaults to 1. */
  seed?: number;
  /** Share the output head with the token embedding. Defaults to false. */
  tiedEmbeddings?: boolean;
  /** `general.name`. Defaults to "dusk-tiny". */
  name?: string;
}

/** What {@link makeTinyModel} wrote. */
export interface TinyModel {
  readonly path: string;
  readonly config: LlamaConfig;
  readonly type: QuantizableType;
}

/** A small fast seeded PRNG (mulberry32) with a Box-Muller normal. */
export function seededRandom(seed: number): { uniform: () => number; normal: () => number } {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

const GGML_FILE_TYPE: Record<QuantizableType, number> = { F32: 0, F16: 1, Q8_0: 7, Q4_K: 15, BF16: 32 };

async function tokenizerMetadata(vocabFrom: string | undefined): Promise<GgufMetadata> {
  if (!vocabFrom) return tinyTokenizerMetadata();
  const model = await openGguf(vocabFrom);
  try {
    return new Map([...model.metadata].filter(([key]) => key.startsWith("tokenizer.")));
  } finally {
    await model.close();
  }
}

/** Generates a tiny Llama model file with random weights. */
export async function makeTinyModel({
  output,
  layers = 4,
  type = "F32",
  hidden = type === "Q4_K" ? 256 : 64,
  heads = 4,
  kvHeads = 2,
  ffn = hidden * 2,
  context = 512,
  vocabFrom,
  seed = 1,
  tiedEmbeddings = false,
  name = "dusk-tiny",
  shardMaxBytes,
}: TinyModelOptions): Promise<TinyModel> {
  if (hidden % heads !== 0 || heads % kvHeads !== 0 || (hidden / heads) % 2 !== 0) {
    throw new InvalidArgumentError(`expected hidden divisible by heads into an even head size and heads divisible by kvHeads but got hidden ${hidden}, heads ${heads}, kvHeads ${kvHeads}`);
  }
  const tokenizer = await tokenizerMetadata(vocabFrom);
  const vocab = metadataArray(tokenizer, "tokenizer.ggml.tokens")?.items.length ?? 0;
  const config: LlamaConfig = { layers, hidden, heads, kvHeads, ffn, vocab, context, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings };
  const metadata: GgufMetadata = new Map([
    ["general.architecture", gguf.str("llama")],
    ["general.name", gguf.str(name)],
    ["llama.context_length", gguf.u32(context)],
    ["llama.embedding_length", gguf.u32(hidden)],
    ["llama.block_count", gguf.u32(layers)],
    ["llama.feed_forward_length", gguf.u32(ffn)],
    ["llama.rope.dimension_count", gguf.u32(hidden / heads)],
    ["llama.attention.head_count", gguf.u32(heads)],
    ["llama.attention.head_count_kv", gguf.u32(kvHeads)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(1e-5)],
    ["llama.rope.freq_base", gguf.f32(10000)],
    ["llama.vocab_size", gguf.u32(vocab)],
    ["general.file_type", gguf.u32(GGML_FILE_TYPE[type])],
    ...tokenizer,
  ]);
  const random = seededRandom(seed);
  const tensors = llamaTensors(config).map((tensor) => {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    const isNorm = tensor.shape.length === 1;
    const values = new Float32Array(count);
    const std = 1 / Math.sqrt(tensor.shape.at(-1)!);
    for (let i = 0; i < count; i++) values[i] = isNorm ? 1 + 0.1 * random.normal() : std * random.normal();
    const tensorType: QuantizableType = isNorm ? "F32" : type;
    return { name: tensor.gguf, type: tensorType, dims: [...tensor.shape].reverse(), data: quantize(values, tensorType) };
  });
  if (metadata.get("tokenizer.ggml.tokens")?.type !== GgufValueType.ARRAY) {
    throw new InvalidArgumentError(`expected tokenizer.ggml.tokens in ${vocabFrom ?? "the built-in vocabulary"} but found none`);
  }
  if (/\.gguf$/i.test(output)) {
    await writeGguf(output, { metadata, tensors });
    return { path: output, config, type };
  }
  if (type !== "F32" && type !== "F16" && type !== "BF16") {
    throw new InvalidArgumentError(`expected F32, F16 or BF16 for a safetensors checkpoint but got ${type}`, { hint: "quantized types exist only in GGUF: give an output path ending in .gguf" });
  }
  // The same weights as the GGUF would hold, in Hugging Face names and rope layout.
  const specs = llamaTensors(config);
  const hfTensors = tensors.map((tensor, i) => {
    const spec = specs[i]!;
    const data = spec.permute ? permuteGgufToHf({ bytes: tensor.data, rows: spec.shape[0]!, heads: spec.permute === "q" ? heads : kvHeads }) : tensor.data;
    return { name: spec.hf, type: tensor.type, shape: spec.shape, byteLength: data.length, data };
  });
  const byName = new Map(hfTensors.map((t) => [t.name, t.data]));
  await writeCheckpoint(output, {
    config: {
      architectures: ["LlamaForCausalLM"],
      model_type: "llama",
      hidden_size: hidden,
      intermediate_size: ffn,
      num_attention_heads: heads,
      num_key_value_heads: kvHeads,
      num_hidden_layers: layers,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      vocab_size: vocab,
      max_position_embeddings: context,
      tie_word_embeddings: tiedEmbeddings,
      bos_token_id: 1,
      eos_token_id: 2,
      torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[type],
    },
    source: {
      tensors: hfTensors.map(({ name: tensorName, type: dtype, shape, byteLength }) => ({ name: tensorName, type: dtype, shape, byteLength })),
      // eslint-disable-next-line @typescript-eslint/require-await
      async *streamTensor(tensorName: string) {
        yield byName.get(tensorName)!;
      },
    },
    generationConfig: { bos_token_id: 1, eos_token_id: 2 },
    ...(shardMaxBytes !== undefined ? { maxShardBytes: shardMaxBytes } : {}),
    extraFiles: { "tokenizer.gguf": encodeGgufHeader(3, new Map([["general.architecture", gguf.str("llama")], ...tokenizer]), []) },
  });
  return { path: output, config, type };
}
