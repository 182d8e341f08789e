// The GGUF writer: a state machine (collecting → writing → finished) that writes the header, then streams each
// tensor's bytes in declaration order from any source, never holding the model in memory.
import { open, type FileHandle } from "node:fs/promises";
import { SourceTruncatedError, copyFileRange, writeAtomically } from "../../common/index.js";
import type { TensorFileRange } from "../tensor.js";
import { ggmlTensorBytes, requireGgmlType, type GgmlTypeInfo } from "../ggml.js";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_VERSION, GgufValueType, Keys } from "./constants.js";
import { encodeGgufHeader, type EncodedTensorInfo } from "./encode.js";
import { GgufWriterDataError, GgufWriterStateError } from "./errors.js";
import { alignUp } from "./parse.js";
import type { GgufMetadata, GgufValue } from "./values.js";

/** A tensor declared to the writer. */
export interface GgufTensorDeclaration {
  readonly name: string;
  /** ggml type by name (`Q4_K`), id, or info. */
  readonly type: string | number | GgmlTypeInfo;
  /** Dimensions in ggml order (ne[0] fastest). */
  readonly dims: readonly number[];
}

/** Tensor bytes: whole, or streamed in chunks. */
export type TensorData = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

type WriterState = "collecting" | "writing" | "finished" | "aborted";

interface PlannedTensor extends EncodedTensorInfo {
  readonly byteLength: number;
}

/** Options of {@link GgufWriter}. */
export interface GgufWriterOptions {
  /** GGUF version to write (2 or 3). Defaults to 3. */
  version?: number;
}

/**
 * Writes one GGUF file. Usage: `setMetadata`/`addTensor` (collecting) → `begin(path)` (writes the header) →
 * `writeTensorData` once per tensor in declaration order → `finish()`. Out-of-order calls throw GgufWriterStateError.
 */
export class GgufWriter {
  private state: WriterState = "collecting";
  private readonly metadata: GgufMetadata = new Map();
  private readonly declared: { name: string; type: GgmlTypeInfo; dims: number[]; byteLength: number }[] = [];
  private planned: PlannedTensor[] = [];
  private next = 0;
  private handle: FileHandle | undefined;
  private position = 0;
  private dataOffset = 0;
  private alignment = GGUF_DEFAULT_ALIGNMENT;
  private readonly version: number;

  constructor({ version = GGUF_VERSION }: GgufWriterOptions = {}) {
    this.version = version;
  }

  private expect(method: string, state: WriterState): void {
    if (this.state !== state) throw new GgufWriterStateError(method, state, this.state);
  }

  /** Sets one metadata key (kept in insertion order). */
  setMetadata(key: string, value: GgufValue): this {
    this.expect("setMetadata", "collecting");
    this.metadata.set(key, value);
    return this;
  }

  /** Sets every key of `metadata`, in its order. */
  setAllMetadata(metadata: GgufMetadata): this {
    for (const [key, value] of metadata) this.setMetadata(key, value);
    return this;
  }

  /** Removes a metadata key. */
  deleteMetadata(key: string): this {
    this.expect("deleteMetadata", "collecting");
    this.metadata.delete(key);
    return this;
  }

  /** Declares a tensor; its data must later be written in declaration order. Returns its byte length. */
  addTensor({ name, type, dims }: GgufTensorDeclaration): number {
    this.expect("addTensor", "collecting");
    const ggmlType = typeof type === "object" ? type : requireGgmlType(type, `tensor "${name}"`);
    const bytes = ggmlTensorBytes(ggmlType, dims);
    if (typeof bytes === "string") throw new GgufWriterDataError(`tensor "${name}" cannot be written as ${ggmlType.name}: ${bytes}`);
    if (this.declared.some((tensor) => tensor.name === name)) throw new GgufWriterDataError(`tensor "${name}" was declared twice`);
    this.declared.push({ name, type: ggmlType, dims: [...dims], byteLength: bytes });
    return bytes;
  }

  /** Total bytes the file will have, computable before `begin`. */
  plannedFileBytes(): number {
    const { headerBytes, tensors } = this.plan();
    const last = tensors.at(-1);
    return last ? alignUp(headerBytes, this.alignment) + alignUp(last.offset + last.byteLength, this.alignment) : headerBytes;
  }

  private plan(): { header: Uint8Array; headerBytes: number; tensors: PlannedTensor[] } {
    const alignmentEntry = this.metadata.get(Keys.GENERAL_ALIGNMENT);
    this.alignment = alignmentEntry?.type === GgufValueType.UINT32 ? alignmentEntry.value : GGUF_DEFAULT_ALIGNMENT;
    // Readers (ours and llama.cpp's) refuse anything but a u32 power of two, so never write one.
    if (alignmentEntry && (alignmentEntry.type !== GgufValueType.UINT32 || !(this.alignment > 0 && (this.alignment & (this.alignment - 1)) === 0))) {
      throw new GgufWriterDataError(`expected ${Keys.GENERAL_ALIGNMENT} to be a u32 power of two but got ${JSON.stringify(alignmentEntry.value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))} (GGUF value type ${alignmentEntry.type})`);
    }
    let offset = 0;
    const tensors = this.declared.map((tensor) => {
      const planned = { name: tensor.name, dims: tensor.dims, typeId: tensor.type.id, offset, byteLength: tensor.byteLength };
      offset = alignUp(offset + tensor.byteLength, this.alignment);
      return planned;
    });
    const header = encodeGgufHeader(this.version, this.metadata, tensors);
    return { header, headerBytes: header.length, tensors };
  }

  /** Opens `path` (created or truncated) and writes the header and its padding. */
  async begin(path: string): Promise<void> {
    this.expect("begin", "collecting");
    const { header, tensors } = this.plan();
    this.planned = tensors;
    this.handle = await open(path, "w");
    this.state = "writing";
    // llama.cpp's writers pad the header to the alignment only when tensor data follows (vocab-only files end unpadded).
    this.dataOffset = tensors.length > 0 ? alignUp(header.length, this.alignment) : header.length;
    await this.write(header);
    await this.pad(this.dataOffset);
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle!.write(bytes, done, bytes.length - done, this.position + done);
      done += bytesWritten;
    }
    this.position += bytes.length;
  }

  private async pad(to: number): Promise<void> {
    if (to > this.position) await this.write(new Uint8Array(to - this.position));
  }

  /** Writes the data of the next declared tensor, which must be `name`, checking its byte count. */
  async writeTensorData(name: string, data: TensorData): Promise<void> {
    this.expect("writeTensorData", "writing");
    const tensor = this.planned[this.next];
    if (!tensor) throw new GgufWriterDataError(`tensor "${name}" was not declared (all ${this.planned.length} declared tensors are written)`);
    if (tensor.name !== name) throw new GgufWriterDataError(`expected the data of tensor "${tensor.name}" next but got "${name}"`);
    const start = this.dataOffset + tensor.offset;
    let written = 0;
    const chunks = data instanceof Uint8Array ? [data] : data;
    for await (const chunk of chunks) {
      if (written + chunk.length > tensor.byteLength) throw new GgufWriterDataError(`tensor "${name}" expected ${tensor.byteLength} bytes but got more`);
      await this.write(chunk);
      written += chunk.length;
    }
    if (written !== tensor.byteLength) throw new GgufWriterDataError(`tensor "${name}" expected ${tensor.byteLength} bytes but got ${written}`);
    this.next += 1;
    await this.pad(alignUp(start + written, this.alignment));
  }

  /**
   * Writes the data of the next declared tensor by copying a byte range of an open file (in the kernel where the
   * platform allows): the fast path for tensors a merge carries unchanged.
   */
  async copyTensorData(name: string, range: TensorFileRange): Promise<void> {
    await this.copyTensorsData([{ name, range }]);
  }

  /**
   * Copies the data of the next declared tensors from byte ranges of open files. Tensors that lie back to back in
   * the same source file, with the same gaps as in the output, are copied as one range (layers [0, 24) of a model
   * become a single copy), so the copy costs what `cp` pays for the same bytes.
   */
  async copyTensorsData(entries: readonly { readonly name: string; readonly range: TensorFileRange }[]): Promise<void> {
    this.expect("copyTensorsData", "writing");
    const planned = entries.map(({ name, range }, i) => {
      const tensor = this.planned[this.next + i];
      if (!tensor || tensor.name !== name) throw new GgufWriterDataError(`expected the data of tensor "${tensor?.name ?? "(none left)"}" next but got "${name}"`);
      if (range.length !== tensor.byteLength) throw new GgufWriterDataError(`tensor "${name}" expected ${tensor.byteLength} bytes but got a range of ${range.length}`);
      return tensor;
    });
    for (let first = 0; first < entries.length; ) {
      let last = first;
      while (
        last + 1 < entries.length &&
        entries[last + 1]!.range.handle === entries[first]!.range.handle &&
        entries[last + 1]!.range.offset - entries[last]!.range.offset === planned[last + 1]!.offset - planned[last]!.offset
      ) last += 1;
      const start = this.dataOffset + planned[first]!.offset;
      const length = planned[last]!.offset - planned[first]!.offset + planned[last]!.byteLength;
      if (start !== this.position) await this.pad(start);
      const from = entries[first]!.range;
      try {
        await copyFileRange({ from: from.handle, fromOffset: from.offset, to: this.handle!, toOffset: start, length });
      } catch (error) {
        const names = first === last ? `tensor "${entries[first]!.name}"` : `tensors "${entries[first]!.name}" … "${entries[last]!.name}"`;
        if ((error as NodeJS.ErrnoException).code === "EIO") throw new SourceTruncatedError(`${names} (${length} bytes at offset ${from.offset})`, { cause: error });
        throw error;
      }
      this.position = start + length;
      this.next += last - first + 1;
      await this.pad(alignUp(this.position, this.alignment));
      first = last + 1;
    }
  }

  /** Checks that every tensor was written and closes the file. */
  async finish(): Promise<void> {
    this.expect("finish", "writing");
    if (this.next !== this.planned.length) {
      throw new GgufWriterDataError(`expected data for ${this.planned.length} tensors but got ${this.next} (next: "${this.planned[this.next]?.name}")`);
    }
    await this.handle!.close();
    this.handle = undefined;
    this.state = "finished";
  }

  /** Closes the file without finishing (the caller removes it). */
  async abort(): Promise<void> {
    if (this.handle) await this.handle.close();
    this.handle = undefined;
    this.state = "aborted";
  }
}

/** A tensor with its data for {@link writeGguf}. */
export interface GgufTensorWithData extends GgufTensorDeclaration {
  /** The bytes, or a function returning them (called when the tensor is written, so sources stream lazily). */
  readonly data: TensorData | (() => TensorData);
}

/** Options of {@link writeGguf}. */
export interface WriteGgufOptions extends GgufWriterOptions {
  readonly metadata: GgufMetadata;
  readonly tensors: readonly GgufTensorWithData[];
}

/** Writes a whole GGUF file atomically (temporary file beside `destination`, renamed when complete). */
export async function writeGguf(destination: string, { metadata, tensors, ...options }: WriteGgufOptions): Promise<void> {
  await writeAtomically(destination, async (temporary) => {
    const writer = new GgufWriter(options);
    writer.setAllMetadata(metadata);
    for (const tensor of tensors) writer.addTensor(tensor);
    try {
      await writer.begin(temporary);
      for (const tensor of tensors) {
        await writer.writeTensorData(tensor.name, typeof tensor.data === "function" ? tensor.data() : tensor.data);
      }
      await writer.finish();
    } catch (error) {
      await writer.abort();
      throw error;
    }
  });
}
