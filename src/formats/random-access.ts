// Positional reads over a file or an in-memory buffer, so that parsers read only the bytes they need and tests
// (the fuzzers especially) can parse thousands of mutated files without touching the disk.
import { open, type FileHandle } from "node:fs/promises";

/** Something bytes can be read from at any position. */
export interface RandomAccess {
  /** Total size in bytes. */
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `target` (at `targetOffset`); returns the count read. */
  readInto(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number>;
  /** Releases the underlying file, if any. */
  close(): Promise<void>;
  /** The open file, when the bytes come from one (lets writers copy ranges in the kernel). */
  readonly fileHandle?: FileHandle;
}

/** Random access over an open file. */
export class FileRandomAccess implements RandomAccess {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** The open file. */
  get fileHandle(): FileHandle {
    return this.handle;
  }

  /** Opens `path` for reading. */
  static async open(path: string): Promise<FileRandomAccess> {
    const handle = await open(path, "r");
    try {
      const stats = await handle.stat();
      return new FileRandomAccess(handle, stats.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async readInto(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(target, targetOffset + done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Random access over bytes in memory. */
export class BufferRandomAccess implements RandomAccess {
  constructor(private readonly bytes: Uint8Array) {}

  get size(): number {
    return this.bytes.length;
  }

  readInto(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    const end = Math.min(this.bytes.length, position + length);
    const count = Math.max(0, end - position);
    target.set(this.bytes.subarray(position, position + count), targetOffset);
    return Promise.resolve(count);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
