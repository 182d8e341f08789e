// Tests of the safetensors reader on files built byte by byte: header-only opening, streaming, and the errors
// that must come before any allocation (absurd header lengths).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileNotFoundError, InvalidArgumentError } from "../../common/index.js";
import { BufferRandomAccess, type RandomAccess } from "../random-access.js";
import {
  InvalidSafetensorsHeaderError,
  SafetensorsClosedError,
  SafetensorsHeaderTooLargeError,
  SafetensorsTensorNotFoundError,
  TruncatedSafetensorsError,
} from "./errors.js";
import { SafetensorsFile, openSafetensors, readSafetensors } from "./reader.js";

/** A file: u64 LE header length, header bytes, data. */
function rawFile(header: string | Uint8Array, data: Uint8Array = new Uint8Array(), claimedLength?: bigint): Uint8Array {
  const headerBytes = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const bytes = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, claimedLength ?? BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  bytes.set(data, 8 + headerBytes.length);
  return bytes;
}

/** Random access that counts the bytes asked for, to prove what opening reads. */
class CountingAccess implements RandomAccess {
  requested = 0;
  constructor(private readonly inner: RandomAccess) {}
  get size(): number {
    return this.inner.size;
  }
  readInto(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    this.requested += length;
    return this.inner.readInto(target, targetOffset, length, position);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Random access that claims a size far larger than its bytes (a petabyte file without the disk). */
class HugeAccess extends BufferRandomAccess {
  constructor(
    bytes: Uint8Array,
    private readonly claimedSize: number,
  ) {
    super(bytes);
  }
  override get size(): number {
    return this.claimedSize;
  }
}

const header = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"U8","shape":[5],"data_offsets":[24,29]}}';
const data = Uint8Array.from({ length: 29 }, (_, i) => (i * 7 + 3) & 0xff);

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "dusk-st-reader-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("openSafetensors", () => {
  it("reads the header, then tensors by positional reads", async () => {
    const path = join(folder, "ok.safetensors");
    await writeFile(path, rawFile(header, data));
    const file = await openSafetensors(path);
    try {
      expect(file.tensors.map((t) => t.name)).toEqual(["w", "b"]);
      expect(file.tensor("w")).toMatchObject({ type: "F32", shape: [2, 3], byteLength: 24 });
      expect(file.metadata).toEqual({ format: "pt" });
      expect(file.fileBytes).toBe(8 + header.length + 29);
      expect(file.dataOffset).toBe(8 + header.length);
      expect(file.headerText).toBe(header);
      expect(await file.readTensor("b")).toEqual(data.subarray(24, 29));
      const chunks: Uint8Array[] = [];
      for await (const chunk of file.streamTensor("w", { chunkBytes: 5 })) chunks.push(chunk);
      expect(chunks.map((c) => c.length)).toEqual([5, 5, 5, 5, 4]);
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(data.subarray(0, 24)));
      await expect(file.readTensor("nope")).rejects.toThrow(SafetensorsTensorNotFoundError);
      await expect(async () => {
        for await (const _ of file.streamTensor("w", { chunkBytes: 0 })) break;
      }).rejects.toThrow(InvalidArgumentError);
    } finally {
      await file.close();
    }
    await expect(file.readTensor("w")).rejects.toThrow(SafetensorsClosedError);
    await file.close();
  });

  it("never reads tensor data when opening", async () => {
    const bigData = new Uint8Array(1 << 20);
    const bigHeader = '{"x":{"dtype":"F32","shape":[262144],"data_offsets":[0,1048576]}}';
    const access = new CountingAccess(new BufferRandomAccess(rawFile(bigHeader, bigData)));
    const file = await readSafetensors(access, "mem");
    expect(access.requested).toBe(8 + bigHeader.length);
    expect(file.tensors[0]?.byteLength).toBe(1 << 20);
  });

  it("opens a header describing petabytes of tensors without reading them", async () => {
    const hugeHeader = `{"x":{"dtype":"F32","shape":[${2 ** 48}],"data_offsets":[0,${2 ** 50}]}}`;
    const headerBytes = new TextEncoder().encode(hugeHeader);
    const start = performance.now();
    const file = await readSafetensors(new HugeAccess(rawFile(headerBytes), 8 + headerBytes.length + 2 ** 50), "huge");
    expect(performance.now() - start).toBeLessThan(200);
    expect(file.tensors[0]?.byteLength).toBe(2 ** 50);
    expect(file.fileBytes).toBe(8 + headerBytes.length + 2 ** 50);
  });

  it("refuses a header length of 2^60 and of 100 MB + 1 after reading 8 bytes", async () => {
    for (const claimed of [2n ** 60n, 100_000_001n, 2n ** 64n - 1n]) {
      const access = new CountingAccess(new BufferRandomAccess(rawFile("{}", new Uint8Array(), claimed)));
      const start = performance.now();
      await expect(readSafetensors(access, "bomb")).rejects.toThrow(SafetensorsHeaderTooLargeError);
      await expect(readSafetensors(access, "bomb")).rejects.toThrow(`at most 100000000 bytes but the header length says ${claimed}`);
      expect(performance.now() - start).toBeLessThan(200);
      expect(access.requested).toBe(16);
    }
  });

  it("refuses a header length past the end of the file without allocating it", async () => {
    const access = new CountingAccess(new BufferRandomAccess(rawFile("{}", new Uint8Array(), 99_999_999n)));
    await expect(readSafetensors(access, "short")).rejects.toThrow(TruncatedSafetensorsError);
    await expect(readSafetensors(access, "short")).rejects.toThrow("expected 100000007 bytes for the header but the file has only 10");
    expect(access.requested).toBe(16);
  });

  it("refuses files shorter than 8 bytes", async () => {
    const path = join(folder, "tiny.safetensors");
    await writeFile(path, Uint8Array.of(1, 2, 3));
    await expect(openSafetensors(path)).rejects.toThrow(TruncatedSafetensorsError);
    await expect(openSafetensors(path)).rejects.toThrow("expected 8 bytes for the header length but the file has only 3");
  });

  it("refuses headers that are not UTF-8 or start with a byte-order mark", async () => {
    await expect(readSafetensors(new BufferRandomAccess(rawFile(Uint8Array.of(0x7b, 0xff, 0x7d))), "m")).rejects.toThrow(/not valid UTF-8/);
    await expect(readSafetensors(new BufferRandomAccess(rawFile("\uFEFF{}")), "m")).rejects.toThrow(InvalidSafetensorsHeaderError);
  });

  it("reports a tensor whose bytes vanished after opening as truncated", async () => {
    const bytes = rawFile(header, data);
    const access = new BufferRandomAccess(bytes);
    const file = await readSafetensors(access, "shrinking");
    const shrunk = new SafetensorsFile(new BufferRandomAccess(bytes.subarray(0, bytes.length - 3)), "shrunk", file.headerText, file.tensors, undefined);
    expect(await shrunk.readTensor("w")).toEqual(data.subarray(0, 24));
    await expect(shrunk.readTensor("b")).rejects.toThrow(TruncatedSafetensorsError);
  });

  it("names a missing file and a folder", async () => {
    await expect(openSafetensors(join(folder, "missing.safetensors"))).rejects.toThrow(FileNotFoundError);
    await expect(openSafetensors(folder)).rejects.toThrow(/found a folder/);
  });
});
