// The safetensors reader: opens a file, reads and validates only its header, and streams tensors' bytes on demand
// with positional reads. Opening a multi-gigabyte file reads a few kilobytes.
import { FileNotFoundError, InvalidArgumentError } from "../../common/index.js";
import { FileRandomAccess, type RandomAccess } from "../random-access.js";
import { DEFAULT_CHUNK_BYTES, type StreamTensorOptions, type TensorFileRange, type TensorSource } from "../tensor.js";
import { HEADER_LENGTH_BYTES, MAX_HEADER_BYTES } from "./constants.js";
import {
  InvalidSafetensorsHeaderError,
  SafetensorsClosedError,
  SafetensorsHeaderTooLargeError,
  SafetensorsTensorNotFoundError,
  TruncatedSafetensorsError,
} from "./errors.js";
import { parseSafetensorsHeader, type SafetensorsMetadataEntries, type SafetensorsTensorInfo } from "./header.js";

/** An open .safetensors file: its header, and its tensors' bytes on demand. */
export class SafetensorsFile implements TensorSource {
  /** Tensors by name. */
  private readonly byName: ReadonlyMap<string, SafetensorsTensorInfo>;
  private closed = false;

  /** Byte length of the header JSON (the u64 at the start of the file). */
  readonly headerByteLength: number;

  /** Metadata as an object (`__metadata__`), or undefined when the file has none. */
  readonly metadata: Readonly<Record<string, string>> | undefined;

  constructor(
    private readonly access: RandomAccess,
    /** The file's path (or a label for in-memory files), used in messages. */
    readonly path: string,
    /** The header JSON exactly as stored (including its padding). */
    readonly headerText: string,
    /** The tensors in the header's key order. */
    readonly tensors: readonly SafetensorsTensorInfo[],
    /** `__metadata__` as pairs in the header's order, or undefined when the file has none. */
    readonly metadataEntries: SafetensorsMetadataEntries | undefined,
  ) {
    this.byName = new Map(tensors.map((t) => [t.name, t]));
    this.headerByteLength = Buffer.byteLength(headerText, "utf8");
    this.metadata = metadataEntries === undefined ? undefined : Object.freeze(Object.fromEntries(metadataEntries));
  }

  /** Size of the whole file in bytes. */
  get fileBytes(): number {
    return this.access.size;
  }

  /** File offset where the data buffer starts (8 + header length). */
  get dataOffset(): number {
    return HEADER_LENGTH_BYTES + this.headerByteLength;
  }

  tensor(name: string): SafetensorsTensorInfo | undefined {
    return this.byName.get(name);
  }

  /** Streams one tensor's bytes in chunks of at most `chunkBytes` (each chunk is a fresh buffer). */
  async *streamTensor(name: string, { chunkBytes = DEFAULT_CHUNK_BYTES }: StreamTensorOptions = {}): AsyncGenerator<Uint8Array> {
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
      throw new InvalidArgumentError(`expected chunkBytes to be a positive integer but got ${chunkBytes}`);
    }
    const info = this.require(name);
    const start = this.dataOffset + info.dataOffsets[0];
    for (let done = 0; done < info.byteLength; ) {
      if (this.closed) throw new SafetensorsClosedError(this.path);
      const length = Math.min(chunkBytes, info.byteLength - done);
      const chunk = new Uint8Array(length);
      const read = await this.access.readInto(chunk, 0, length, start + done);
      if (read < length) throw new TruncatedSafetensorsError(this.path, `tensor "${name}"`, start + done + length, start + done + read);
      done += length;
      yield chunk;
    }
  }

  /** Where a tensor's bytes lie in the open file (for copies in the kernel), or undefined for in-memory sources. */
  fileRange(name: string): TensorFileRange | undefined {
    const info = this.require(name);
    const handle = this.access.fileHandle;
    return handle ? { handle, offset: this.dataOffset + info.dataOffsets[0], length: info.byteLength } : undefined;
  }

  /** Reads one tensor's bytes whole. */
  async readTensor(name: string): Promise<Uint8Array> {
    const info = this.require(name);
    const bytes = new Uint8Array(info.byteLength);
    let offset = 0;
    for await (const chunk of this.streamTensor(name)) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  }

  /** Closes the file; further reads throw {@link SafetensorsClosedError}. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.access.close();
  }

  private require(name: string): SafetensorsTensorInfo {
    if (this.closed) throw new SafetensorsClosedError(this.path);
    const info = this.byName.get(name);
    if (info === undefined) throw new SafetensorsTensorNotFoundError(this.path, name);
    return info;
  }
}

async function readExactly(access: RandomAccess, length: number, position: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  const read = await access.readInto(bytes, 0, length, position);
  return read === length ? bytes : bytes.subarray(0, read);
}

/**
 * Reads and validates the header of a safetensors file behind `access` (never its tensor data). The caller keeps
 * ownership of `access` if this throws; on success the returned file owns it.
 */
export async function readSafetensors(access: RandomAccess, path: string): Promise<SafetensorsFile> {
  const size = access.size;
  if (size < HEADER_LENGTH_BYTES) throw new TruncatedSafetensorsError(path, "the header length", HEADER_LENGTH_BYTES, size);
  const prefix = await readExactly(access, HEADER_LENGTH_BYTES, 0);
  if (prefix.length < HEADER_LENGTH_BYTES) throw new TruncatedSafetensorsError(path, "the header length", HEADER_LENGTH_BYTES, prefix.length);
  const claimed = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getBigUint64(0, true);
  if (claimed > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsHeaderTooLargeError(path, claimed);
  const headerLength = Number(claimed);
  if (HEADER_LENGTH_BYTES + headerLength > size) {
    throw new TruncatedSafetensorsError(path, "the header", HEADER_LENGTH_BYTES + headerLength, size);
  }
  const headerBytes = await readExactly(access, headerLength, HEADER_LENGTH_BYTES);
  if (headerBytes.length < headerLength) throw new TruncatedSafetensorsError(path, "the header", HEADER_LENGTH_BYTES + headerLength, HEADER_LENGTH_BYTES + headerBytes.length);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new InvalidSafetensorsHeaderError(path, "bytes that are not valid UTF-8");
  }
  const header = parseSafetensorsHeader(text, size - HEADER_LENGTH_BYTES - headerLength, path);
  return new SafetensorsFile(access, path, text, header.tensors, header.metadata);
}

/** Opens a .safetensors file and validates its header; tensor data is read only when asked for. */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  let access: FileRandomAccess;
  try {
    access = await FileRandomAccess.open(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new FileNotFoundError(path, { cause: error });
    throw error;
  }
  try {
    return await readSafetensors(access, path);
  } catch (error) {
    await access.close();
    if ((error as NodeJS.ErrnoException).code === "EISDIR") {
      throw new InvalidArgumentError(`expected a .safetensors file at ${path} but found a folder`, {
        hint: "to open a Hugging Face checkpoint folder, use openCheckpoint()",
        cause: error,
      });
    }
    throw error;
  }
}
