// The safetensors writer: a state machine (planning → writing-data → finished) that declares every tensor first,
// writes the header, then streams each tensor's bytes in declaration order into a temporary file renamed into place.
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { InvalidArgumentError, temporaryPathFor, translateWriteError } from "../../common/index.js";
import type { StreamTensorOptions, TensorSource } from "../tensor.js";
import { HEADER_LENGTH_BYTES } from "./constants.js";
import { SafetensorsWriterByteCountError, SafetensorsWriterOrderError, SafetensorsWriterStateError } from "./errors.js";
import { planSafetensors, type SafetensorsMetadataEntries, type SafetensorsPlan, type SafetensorsTensorSpec } from "./header.js";

/** Where a {@link SafetensorsWriter} is: declare tensors, write their data, done (or failed and cleaned up). */
export type SafetensorsWriterState = "planning" | "writing-data" | "finished" | "failed";

/** Metadata as an object or as ordered pairs. */
export type SafetensorsMetadataInput = Readonly<Record<string, string>> | SafetensorsMetadataEntries;

/** Options of {@link SafetensorsWriter}. */
export interface SafetensorsWriterOptions {
  /** `__metadata__` to store (e.g. `{format: "pt"}`). Defaults to none (no `__metadata__` key). */
  metadata?: SafetensorsMetadataInput | undefined;
}

/** Tensor data: one buffer, or chunks (sync or async). */
export type TensorData = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

function toEntries(metadata: SafetensorsMetadataInput | undefined): SafetensorsMetadataEntries | undefined {
  if (metadata === undefined) return undefined;
  return Array.isArray(metadata) ? (metadata as SafetensorsMetadataEntries) : Object.entries(metadata);
}

/**
 * Writes one .safetensors file. Declare tensors with {@link addTensor}, call {@link begin} (offsets are computed
 * in declaration order and the header is written), {@link writeTensor} each tensor in order, then {@link finish}.
 * Calls out of order throw {@link SafetensorsWriterStateError}; a failure removes the temporary file.
 */
export class SafetensorsWriter {
  private currentState: SafetensorsWriterState = "planning";
  private readonly specs: SafetensorsTensorSpec[] = [];
  private metadata: SafetensorsMetadataEntries | undefined;
  private planned: SafetensorsPlan | undefined;
  private handle: FileHandle | undefined;
  private readonly temporaryPath: string;
  private position = 0;
  private nextTensor = 0;

  constructor(
    /** The destination path. */
    readonly path: string,
    { metadata }: SafetensorsWriterOptions = {},
  ) {
    this.metadata = toEntries(metadata);
    this.temporaryPath = temporaryPathFor(path);
  }

  /** The writer's state. */
  get state(): SafetensorsWriterState {
    return this.currentState;
  }

  /** The layout, once {@link begin} has run. */
  get plan(): SafetensorsPlan | undefined {
    return this.planned;
  }

  /** Declares the next tensor (state "planning"). */
  addTensor(spec: SafetensorsTensorSpec): void {
    this.expectState("addTensor", "planning");
    this.specs.push({ name: spec.name, dtype: spec.dtype, shape: [...spec.shape] });
  }

  /** Sets one `__metadata__` entry (state "planning"). */
  setMetadata(key: string, value: string): void {
    this.expectState("setMetadata", "planning");
    this.metadata = [...(this.metadata ?? []).filter(([k]) => k !== key), [key, value]];
  }

  /** Lays the tensors out, opens the temporary file and writes the header ("planning" → "writing-data"). */
  async begin(): Promise<SafetensorsPlan> {
    this.expectState("begin", "planning");
    const plan = planSafetensors(this.specs, this.metadata, this.path);
    this.currentState = "writing-data";
    await this.guard(async () => {
      this.handle = await open(this.temporaryPath, "wx");
      const prefix = new Uint8Array(HEADER_LENGTH_BYTES);
      new DataView(prefix.buffer).setBigUint64(0, BigInt(plan.headerBytes.length), true);
      await this.write(prefix);
      await this.write(plan.headerBytes);
    });
    this.planned = plan;
    return plan;
  }

  /** Writes the data of the next declared tensor (state "writing-data"); its byte count must match. */
  async writeTensor(name: string, data: TensorData): Promise<void> {
    this.expectState("writeTensor", "writing-data");
    const tensors = this.planned?.tensors ?? [];
    const info = tensors[this.nextTensor];
    if (info?.name !== name) {
      throw new SafetensorsWriterOrderError(this.path, info === undefined ? "(none: every tensor is written)" : `"${info.name}"`, `"${name}"`);
    }
    await this.guard(async () => {
      let written = 0;
      const chunks = data instanceof Uint8Array ? [data] : data;
      for await (const chunk of chunks) {
        if (written + chunk.length > info.byteLength) {
          throw new SafetensorsWriterByteCountError(this.path, name, info.byteLength, `at least ${written + chunk.length}`);
        }
        await this.write(chunk);
        written += chunk.length;
      }
      if (written !== info.byteLength) throw new SafetensorsWriterByteCountError(this.path, name, info.byteLength, `${written}`);
    });
    this.nextTensor += 1;
  }

  /** Closes the file and renames it into place ("writing-data" → "finished"); every tensor must be written. */
  async finish(): Promise<void> {
    this.expectState("finish", "writing-data");
    const missing = this.planned?.tensors[this.nextTensor];
    if (missing !== undefined) throw new SafetensorsWriterOrderError(this.path, `"${missing.name}"`, "finish()");
    await this.guard(async () => {
      await this.handle?.sync();
      await this.handle?.close();
      this.handle = undefined;
      await rename(this.temporaryPath, this.path);
    });
    this.currentState = "finished";
  }

  /** Gives up: closes and removes the temporary file (any state but "finished"). */
  async abort(): Promise<void> {
    if (this.currentState === "finished") return;
    this.currentState = "failed";
    await this.cleanUp();
  }

  private expectState(method: string, expected: SafetensorsWriterState): void {
    if (this.currentState !== expected) throw new SafetensorsWriterStateError(this.path, method, expected, this.currentState);
  }

  /** Runs a step that touches the file; on failure the writer fails and its temporary file is removed. */
  private async guard(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.currentState = "failed";
      await this.cleanUp();
      throw translateWriteError(error, this.path);
    }
  }

  private async cleanUp(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
    await rm(this.temporaryPath, { force: true });
  }

  private async write(bytes: Uint8Array): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) throw new SafetensorsWriterStateError(this.path, "write", "writing-data", this.currentState);
    for (let done = 0; done < bytes.length; ) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

/** A tensor held in memory, for {@link saveSafetensors}. */
export interface SafetensorsTensorData extends SafetensorsTensorSpec {
  readonly data: TensorData;
}

/** Writes tensors held in memory (or streamed) to `path`, in the given order (like safetensors' `save_file`). */
export async function saveSafetensors(path: string, tensors: readonly SafetensorsTensorData[], options: SafetensorsWriterOptions = {}): Promise<SafetensorsPlan> {
  const writer = new SafetensorsWriter(path, options);
  for (const tensor of tensors) writer.addTensor(tensor);
  try {
    const plan = await writer.begin();
    for (const tensor of tensors) await writer.writeTensor(tensor.name, tensor.data);
    await writer.finish();
    return plan;
  } finally {
    await writer.abort();
  }
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions extends SafetensorsWriterOptions, StreamTensorOptions {
  /** Names of the tensors to copy, in order. Defaults to every tensor of the source, in its order. */
  names?: readonly string[];
}

/**
 * Streams tensors from a source (any format whose tensor types are safetensors dtypes) into a new .safetensors file,
 * one chunk at a time. Copying a file dusk wrote, with its metadata, reproduces it byte for byte.
 */
export async function writeSafetensors(
  path: string,
  source: Pick<TensorSource, "tensors" | "streamTensor">,
  { names, chunkBytes, metadata }: WriteSafetensorsOptions = {},
): Promise<SafetensorsPlan> {
  const byName = new Map(source.tensors.map((t) => [t.name, t]));
  const chosen = (names ?? source.tensors.map((t) => t.name)).map((name) => {
    const info = byName.get(name);
    if (info === undefined) throw new InvalidArgumentError(`expected a tensor named "${name}" in the source but found none`);
    return info;
  });
  const writer = new SafetensorsWriter(path, { metadata });
  for (const t of chosen) writer.addTensor({ name: t.name, dtype: t.type, shape: t.shape });
  try {
    const plan = await writer.begin();
    for (const t of chosen) await writer.writeTensor(t.name, source.streamTensor(t.name, chunkBytes === undefined ? {} : { chunkBytes }));
    await writer.finish();
    return plan;
  } finally {
    await writer.abort();
  }
}
