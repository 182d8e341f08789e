// The tensor-source contract every model file format implements: a list of tensors and a way to stream one
// tensor's raw bytes. Writers take tensors one at a time from a source and never hold a whole model in memory.
import type { FileHandle } from "node:fs/promises";

/** One tensor as a format describes it, before any of its bytes are read. */
export interface TensorInfo {
  /** The tensor's name in its file (GGUF `blk.0.attn_q.weight`, HF `model.layers.0.self_attn.q_proj.weight`). */
  readonly name: string;
  /** Element type as the format spells it: ggml type names for GGUF (`F32`, `Q4_K`), dtypes for safetensors (`BF16`). */
  readonly type: string;
  /** Shape in PyTorch order (slowest-varying first). GGUF stores the reverse; readers convert. */
  readonly shape: readonly number[];
  /** Size of the tensor's data in bytes. */
  readonly byteLength: number;
}

/** Options of {@link TensorSource.streamTensor}. */
export interface StreamTensorOptions {
  /** Largest chunk yielded, in bytes. Defaults to 8 MiB. */
  chunkBytes?: number;
}

/** Where one tensor's bytes lie in an open file. */
export interface TensorFileRange {
  readonly handle: FileHandle;
  readonly offset: number;
  readonly length: number;
}

/** A readable model: its tensors and their bytes. Reading the list never reads tensor data. */
export interface TensorSource {
  /** The tensors, in file order. */
  readonly tensors: readonly TensorInfo[];
  /** Looks a tensor up by name. */
  tensor(name: string): TensorInfo | undefined;
  /** Streams the raw bytes of one tensor in chunks (the chunk buffer may be reused after the next iteration). */
  streamTensor(name: string, options?: StreamTensorOptions): AsyncIterable<Uint8Array>;
  /** Reads one tensor's raw bytes whole (for small tensors and tests). */
  readTensor(name: string): Promise<Uint8Array>;
  /** Closes the underlying files. */
  close(): Promise<void>;
  /** Where a tensor's bytes lie in an open file, when they do (for copies in the kernel); else undefined. */
  fileRange?(name: string): TensorFileRange | undefined;
}

/** Default chunk size for streaming tensor data: large enough for disk throughput, small enough for memory. */
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
