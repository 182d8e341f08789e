// Opens a GGUF model (one file or all shards of a split model) as a TensorSource: metadata and tensor infos
// are parsed up front; tensor bytes are read only when streamed.
import { access, stat } from "node:fs/promises";
import { FileNotFoundError, InvalidArgumentError } from "../../common/index.js";
import { FileRandomAccess, type RandomAccess } from "../random-access.js";
import { DEFAULT_CHUNK_BYTES, type StreamTensorOptions, type TensorFileRange, type TensorInfo, type TensorSource } from "../tensor.js";
import { Keys, SPLIT_PATTERN, splitPath } from "./constants.js";
import { GgufSplitError, GgufTensorNotFoundError, InvalidGgufMagicError } from "./errors.js";
import { parseGgufHeader, type GgufHeader, type GgufTensorHeader } from "./parse.js";
import { metadataNumber, metadataString, type GgufMetadata } from "./values.js";
import type { GgmlTypeInfo } from "../ggml.js";

/** A tensor of a GGUF model, with where its bytes are. */
export interface GgufTensorInfo extends TensorInfo {
  /** Dimensions in ggml order (ne[0] fastest); `shape` is the reverse. */
  readonly dims: readonly number[];
  readonly ggmlType: GgmlTypeInfo;
  /** Index of the shard (0 for a single file). */
  readonly shard: number;
  /** Offset relative to its shard's data section. */
  readonly offset: number;
  /** Absolute offset in its shard file. */
  readonly fileOffset: number;
}

/** Options of {@link openGguf}. */
export interface OpenGgufOptions {
  /** Open every shard of a split model when given its first shard. Defaults to true. */
  followSplits?: boolean;
}

/** An open GGUF model. */
export class GgufModel implements TensorSource {
  readonly tensors: readonly GgufTensorInfo[];
  private readonly byName: Map<string, GgufTensorInfo>;
  /** Read buffers of finished streams by capacity, reused by the next ones. */
  private readonly bufferPool = new Map<number, Uint8Array[]>();

  private constructor(
    /** Paths of the files, first shard first. */
    readonly paths: readonly string[],
    /** Parsed headers, one per file. */
    readonly headers: readonly GgufHeader[],
    private readonly files: readonly RandomAccess[],
  ) {
    this.tensors = headers.flatMap((header, shard) => header.tensors.map((tensor) => toInfo(tensor, shard, header.dataOffset)));
    this.byName = new Map(this.tensors.map((tensor) => [tensor.name, tensor]));
  }

  /** Opens a model from random-access sources (files or buffers); used by {@link openGguf} and by tests. */
  static async fromSources(paths: readonly string[], files: readonly RandomAccess[]): Promise<GgufModel> {
    const headers: GgufHeader[] = [];
    for (let i = 0; i < files.length; i++) headers.push(await parseGgufHeader(files[i]!, paths[i]!));
    checkSplitConsistency(paths, headers);
    return new GgufModel(paths, headers, files);
  }

  /** Metadata of the first file (the model's metadata). */
  get metadata(): GgufMetadata {
    return this.headers[0]!.metadata;
  }

  /** GGUF version of the first file. */
  get version(): number {
    return this.headers[0]!.version;
  }

  /** `general.architecture`, e.g. "llama". */
  get architecture(): string | undefined {
    return metadataString(this.metadata, Keys.GENERAL_ARCHITECTURE);
  }

  /** Data alignment of the first file. */
  get alignment(): number {
    return this.headers[0]!.alignment;
  }

  /** Total size of all files. */
  get fileBytes(): number {
    return this.headers.reduce((sum, header) => sum + header.fileBytes, 0);
  }

  tensor(name: string): GgufTensorInfo | undefined {
    return this.byName.get(name);
  }

  async *streamTensor(name: string, { chunkBytes = DEFAULT_CHUNK_BYTES }: StreamTensorOptions = {}): AsyncIterable<Uint8Array> {
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
      throw new InvalidArgumentError(`expected chunkBytes to be a positive integer but got ${chunkBytes}`);
    }
    const tensor = this.requireTensor(name);
    const file = this.files[tensor.shard]!;
    // Chunks of at most chunkBytes, in buffers whose capacity is a power of two (or chunkBytes) so that streams of
    // tensors of different sizes reuse the same buffers.
    const size = Math.min(chunkBytes, 2 ** Math.ceil(Math.log2(Math.max(1, tensor.byteLength))));
    // Two buffers in turn, taken from a pool: the next chunk is read while the consumer handles this one. Both
    // matter for speed (measured on a 3 GB up-scale: a fresh 8 MiB buffer per tensor and no read-ahead ran at
    // 0.1-0.3 GB/s, pooled buffers with read-ahead at 3-4 GB/s, as fast as cp).
    const buffers = [this.takeBuffer(size), this.takeBuffer(size)] as const;
    const readChunk = (done: number, index: number): Promise<{ done: number; length: number; read: number }> => {
      const length = Math.min(size, tensor.byteLength - done);
      const reading = file.readInto(buffers[index % 2]!, 0, length, tensor.fileOffset + done).then((read) => ({ done, length, read }));
      reading.catch(() => undefined); // handled when awaited; never an unhandled rejection while the consumer works
      return reading;
    };
    let pending = tensor.byteLength > 0 ? readChunk(0, 0) : undefined;
    try {
      for (let index = 0; pending !== undefined; index++) {
        const { done, length, read } = await pending;
        if (read !== length) throw new GgufSplitError(this.paths[tensor.shard]!, `expected ${length} bytes of "${name}" at ${tensor.fileOffset + done} but read ${read}: the file changed while it was open`);
        pending = done + length < tensor.byteLength ? readChunk(done + length, index + 1) : undefined;
        yield buffers[index % 2]!.subarray(0, length);
      }
    } finally {
      // A consumer that stops early leaves a read in flight: let it settle before the buffers go back to the pool.
      if (pending !== undefined) await pending.catch(() => undefined);
      for (const buffer of buffers) this.giveBuffer(buffer);
    }
  }

  /** A read buffer of `capacity` bytes, reused from an earlier stream when one is free. */
  private takeBuffer(capacity: number): Uint8Array {
    return this.bufferPool.get(capacity)?.pop() ?? new Uint8Array(capacity);
  }

  /** Keeps a buffer for later streams (at most four of each capacity: two streams at a time). */
  private giveBuffer(buffer: Uint8Array): void {
    const free = this.bufferPool.get(buffer.length) ?? [];
    if (free.length < 4) free.push(buffer);
    this.bufferPool.set(buffer.length, free);
  }

  fileRange(name: string): TensorFileRange | undefined {
    const tensor = this.requireTensor(name);
    const handle = this.files[tensor.shard]!.fileHandle;
    return handle ? { handle, offset: tensor.fileOffset, length: tensor.byteLength } : undefined;
  }

  async readTensor(name: string): Promise<Uint8Array> {
    const tensor = this.requireTensor(name);
    const bytes = new Uint8Array(tensor.byteLength);
    const read = await this.files[tensor.shard]!.readInto(bytes, 0, tensor.byteLength, tensor.fileOffset);
    if (read !== tensor.byteLength) throw new GgufSplitError(this.paths[tensor.shard]!, `expected ${tensor.byteLength} bytes of "${name}" but read ${read}`);
    return bytes;
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((file) => file.close()));
  }

  private requireTensor(name: string): GgufTensorInfo {
    const tensor = this.byName.get(name);
    if (!tensor) throw new GgufTensorNotFoundError(this.paths[0]!, name);
    return tensor;
  }
}

function toInfo(tensor: GgufTensorHeader, shard: number, dataOffset: number): GgufTensorInfo {
  return {
    name: tensor.name,
    type: tensor.ggmlType.name,
    shape: [...tensor.dims].reverse(),
    byteLength: tensor.byteLength,
    dims: tensor.dims,
    ggmlType: tensor.ggmlType,
    shard,
    offset: tensor.offset,
    fileOffset: dataOffset + tensor.offset,
  };
}

function checkSplitConsistency(paths: readonly string[], headers: readonly GgufHeader[]): void {
  const first = headers[0]!;
  const count = metadataNumber(first.metadata, Keys.SPLIT_COUNT);
  if (headers.length === 1 && (count === undefined || count <= 1)) return;
  if (count !== headers.length) {
    throw new GgufSplitError(paths[0]!, `expected ${count ?? 1} shards (split.count) but found ${headers.length}`);
  }
  const total = metadataNumber(first.metadata, Keys.SPLIT_TENSORS_COUNT);
  const found = headers.reduce((sum, header) => sum + header.tensors.length, 0);
  if (total !== undefined && total !== found) {
    throw new GgufSplitError(paths[0]!, `expected ${total} tensors across the shards (split.tensors.count) but found ${found}`);
  }
  const seen = new Set<string>();
  headers.forEach((header, index) => {
    const no = metadataNumber(header.metadata, Keys.SPLIT_NO);
    const shardCount = metadataNumber(header.metadata, Keys.SPLIT_COUNT);
    if (shardCount !== count) throw new GgufSplitError(paths[index]!, `expected split.count = ${count} as in the first shard but found ${shardCount ?? "none"}`);
    if (no !== index) throw new GgufSplitError(paths[index]!, `expected split.no = ${index} but found ${no ?? "none"}`);
    for (const tensor of header.tensors) {
      if (seen.has(tensor.name)) throw new GgufSplitError(paths[index]!, `expected each tensor in one shard but "${tensor.name}" appears in two`);
      seen.add(tensor.name);
    }
  });
}

/** The shard paths of a split model given any one of them, or just the path for a single file. */
export function splitShardPaths(path: string): string[] {
  const match = SPLIT_PATTERN.exec(path);
  if (!match) return [path];
  const count = Number(match[3]);
  return Array.from({ length: count }, (_, index) => splitPath(match[1]!, index, count));
}

/**
 * Opens a GGUF model file. Given any shard of a split model (`-00001-of-00003.gguf`) it opens all shards.
 * Reads only the headers: milliseconds for a multi-gigabyte file.
 */
export async function openGguf(path: string, { followSplits = true }: OpenGgufOptions = {}): Promise<GgufModel> {
  const paths = followSplits ? splitShardPaths(path) : [path];
  const files: RandomAccess[] = [];
  try {
    for (const shard of paths) {
      try {
        await access(shard);
      } catch (error) {
        throw new FileNotFoundError(shard, {
          hint: shard === path ? "check the path" : "a split model needs all its shards in the same folder",
          cause: error,
        });
      }
      if ((await stat(shard)).isDirectory()) throw new InvalidGgufMagicError(shard, "a folder");
      files.push(await FileRandomAccess.open(shard));
    }
    return await GgufModel.fromSources(paths, files);
  } catch (error) {
    await Promise.all(files.map((file) => file.close()));
    throw error;
  }
}
