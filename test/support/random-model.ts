// Llama-shaped GGUF files of any ggml type filled with random bytes (for byte-copy tests of types dusk cannot
// quantize, such as Q2_K, and for the 2 GB benchmark model), written tensor by tensor in chunks; and a rewriter
// that copies a GGUF file with edited metadata.
import { randomBytes } from "node:crypto";
import { llamaTensors, type LlamaConfig } from "../../src/arch/index.js";
import { gguf, ggmlTensorBytes, metadataArray, openGguf, requireGgmlType, writeGguf, type GgufMetadata } from "../../src/formats/index.js";
import { tinyTokenizerMetadata } from "../../src/tiny/index.js";

/** Options of {@link writeRandomModel}. */
export interface RandomModelOptions {
  readonly output: string;
  /** ggml type of the weight matrices (norms are F32). */
  readonly type: string;
  readonly layers: number;
  readonly hidden: number;
  readonly ffn: number;
  /** Defaults to 4. */
  readonly heads?: number;
  /** Defaults to heads / 2. */
  readonly kvHeads?: number;
  /** `general.name`. Defaults to "dusk-random". */
  readonly name?: string;
  /** Largest chunk handed to the writer, in bytes. Defaults to 8 MiB. */
  readonly chunkBytes?: number;
}

/** The Llama config of a random model (vocabulary: dusk's tiny tokenizer). */
export function randomModelConfig({ layers, hidden, ffn, heads = 4, kvHeads = heads / 2 }: RandomModelOptions): LlamaConfig {
  const vocab = metadataArray(tinyTokenizerMetadata(), "tokenizer.ggml.tokens")?.items.length ?? 0;
  return { layers, hidden, heads, kvHeads, ffn, vocab, context: 512, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false };
}

/** Yields `total` bytes as chunks of one random buffer (contents do not matter for copies; never all zeros). */
function* randomChunks(total: number, pool: Uint8Array): Iterable<Uint8Array> {
  for (let done = 0; done < total; ) {
    const length = Math.min(pool.length, total - done);
    yield pool.subarray(0, length);
    done += length;
  }
}

/** Writes a Llama-shaped GGUF whose tensors hold random bytes of the right sizes; returns the file's data bytes. */
export async function writeRandomModel(options: RandomModelOptions): Promise<number> {
  const { output, type, name = "dusk-random", chunkBytes = 8 * 1024 * 1024 } = options;
  const config = randomModelConfig(options);
  const metadata: GgufMetadata = new Map([
    ["general.architecture", gguf.str("llama")],
    ["general.name", gguf.str(name)],
    ["llama.context_length", gguf.u32(config.context)],
    ["llama.embedding_length", gguf.u32(config.hidden)],
    ["llama.block_count", gguf.u32(config.layers)],
    ["llama.feed_forward_length", gguf.u32(config.ffn)],
    ["llama.rope.dimension_count", gguf.u32(config.hidden / config.heads)],
    ["llama.attention.head_count", gguf.u32(config.heads)],
    ["llama.attention.head_count_kv", gguf.u32(config.kvHeads)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(config.rmsNormEps)],
    ["llama.rope.freq_base", gguf.f32(config.ropeTheta)],
    ...tinyTokenizerMetadata(),
  ]);
  const pool = randomBytes(chunkBytes);
  let total = 0;
  const tensors = llamaTensors(config).map((tensor) => {
    const tensorType = tensor.shape.length === 1 ? "F32" : type;
    const dims = [...tensor.shape].reverse();
    const bytes = ggmlTensorBytes(requireGgmlType(tensorType, tensor.gguf), dims);
    if (typeof bytes === "string") throw new Error(`${tensor.gguf}: ${bytes}`);
    total += bytes;
    return { name: tensor.gguf, type: tensorType, dims, data: () => randomChunks(bytes, pool) };
  });
  await writeGguf(output, { metadata, tensors });
  return total;
}

/** Copies a GGUF file (tensors streamed unchanged) with its metadata passed through `edit`. */
export async function rewriteGguf(source: string, output: string, edit: (metadata: GgufMetadata) => GgufMetadata): Promise<void> {
  const model = await openGguf(source);
  try {
    const metadata = edit(new Map(model.metadata));
    await writeGguf(output, {
      metadata,
      tensors: model.tensors.map((tensor) => ({ name: tensor.name, type: tensor.ggmlType, dims: tensor.dims, data: () => model.streamTensor(tensor.name) })),
    });
  } finally {
    await model.close();
  }
}
