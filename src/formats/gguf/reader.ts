// Opens a GGUF model (one file or all shards of a split model) as a TensorSource: metadata and tensor infos
// are parsed up front; tensor bytes are read only when streamed.
import { access, stat } from "node:fs/promises";
import { FileNotFoundError, InvalidArgumentError } from "../../common/index.js";
import { FileRandomAccess, type RandomAccess } from "../random-access.js";
import { DEFAULT_CHUNK_BYTES, type StreamTensorOptions, type TensorInfo, type TensorSource } from "../tensor.js";
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
    const buffer = new Uint8Array(Math.min(chunkBytes, Math.max(1, tensor.byteLength)));
    for (let done = 0; done < tensor.byteLength; ) {
      const length = Math.min(buffer.length, tensor.byteLength - done);
      const read = await file.readInto(buffer, 0, length, tensor.fileOffset + done);
      if (read !== length) throw new GgufSplitError(this.paths[tensor.shard]!, `expected ${length} bytes of "${name}" at ${tensor.fileOffset + done} but read ${read}: the file changed while it was open`);
      done += length;
      yield buffer.subarray(0, length);
    }
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
