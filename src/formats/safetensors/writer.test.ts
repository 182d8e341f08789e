// Tests of the safetensors writer: the state machine, byte-count checks, cleanup on failure, and byte-identical
// round trips (write → read → write).
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SafetensorsWriterByteCountError, SafetensorsWriterOrderError, SafetensorsWriterStateError } from "./errors.js";
import { openSafetensors } from "./reader.js";
import { SafetensorsWriter, saveSafetensors, writeSafetensors } from "./writer.js";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "dusk-st-writer-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const bytes = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

/** Chunks of `data`, each after a turn of the event loop (as a real producer would). */
async function* chunksOf(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) {
    await new Promise((resolve) => setImmediate(resolve));
    yield data.subarray(i, i + size);
  }
}

describe("SafetensorsWriter", () => {
  it("writes the layout a reader expects, streaming chunks", async () => {
    const path = join(folder, "a.safetensors");
    const writer = new SafetensorsWriter(path, { metadata: { format: "pt" } });
    expect(writer.state).toBe("planning");
    writer.addTensor({ name: "w", dtype: "F16", shape: [3, 5] });
    writer.addTensor({ name: "b", dtype: "I64", shape: [2] });
    writer.setMetadata("source", "test");
    const plan = await writer.begin();
    expect(writer.state).toBe("writing-data");
    const w = bytes(30, 1);
    const b = bytes(16, 2);
    await writer.writeTensor("w", chunksOf(w, 7));
    await writer.writeTensor("b", [b.subarray(0, 3), b.subarray(3)]);
    await writer.finish();
    expect(writer.state).toBe("finished");

    const file = await readFile(path);
    expect(file.length).toBe(8 + plan.headerBytes.length + 46);
    expect(Number(file.readBigUInt64LE(0)) % 8).toBe(0);
    const reader = await openSafetensors(path);
    try {
      expect(reader.metadataEntries).toEqual([["format", "pt"], ["source", "test"]]);
      expect(reader.tensors.map((t) => [t.name, t.type, t.shape, t.dataOffsets])).toEqual([
        ["w", "F16", [3, 5], [0, 30]],
        ["b", "I64", [2], [30, 46]],
      ]);
      expect(await reader.readTensor("w")).toEqual(w);
      expect(await reader.readTensor("b")).toEqual(b);
    } finally {
      await reader.close();
    }
    expect((await readdir(folder)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses calls out of order, naming the expected and actual state", async () => {
    const writer = new SafetensorsWriter(join(folder, "order.safetensors"));
    writer.addTensor({ name: "x", dtype: "U8", shape: [2] });
    writer.addTensor({ name: "y", dtype: "U8", shape: [1] });
    await expect(writer.writeTensor("x", new Uint8Array(2))).rejects.toThrow(SafetensorsWriterStateError);
    await expect(writer.finish()).rejects.toThrow('expected the writer to be in state "writing-data" for finish() but it is in state "planning"');
    await writer.begin();
    expect(() => writer.addTensor({ name: "z", dtype: "U8", shape: [1] })).toThrow('state "planning" for addTensor() but it is in state "writing-data"');
    await expect(writer.begin()).rejects.toThrow(SafetensorsWriterStateError);
    await expect(writer.writeTensor("y", new Uint8Array(1))).rejects.toThrow('expected the data of tensor "x" next but got "y"');
    await writer.writeTensor("x", new Uint8Array(2));
    await expect(writer.finish()).rejects.toThrow(SafetensorsWriterOrderError);
    await writer.writeTensor("y", new Uint8Array(1));
    await expect(writer.writeTensor("y", new Uint8Array(1))).rejects.toThrow("(none: every tensor is written)");
    await writer.finish();
    await expect(writer.finish()).rejects.toThrow('it is in state "finished"');
  });

  for (const [label, data, found] of [
    ["too few", [new Uint8Array(3)], "but got 3"],
    ["too many", [new Uint8Array(3), new Uint8Array(3)], "but got at least 6"],
  ] as const) {
    it(`fails on ${label} bytes and leaves nothing behind`, async () => {
      const path = join(folder, `count-${label}.safetensors`);
      const writer = new SafetensorsWriter(path);
      writer.addTensor({ name: "x", dtype: "F32", shape: [1] });
      await writer.begin();
      const attempt = writer.writeTensor("x", data);
      await expect(attempt).rejects.toThrow(SafetensorsWriterByteCountError);
      await expect(attempt).rejects.toThrow(`expected 4 bytes of data for tensor "x" ${found}`);
      expect(writer.state).toBe("failed");
      expect((await readdir(folder)).filter((f) => f.includes(`count-${label}`))).toEqual([]);
    });
  }

  it("leaves an existing destination untouched when writing fails", async () => {
    const path = join(folder, "keep.safetensors");
    await writeFile(path, "old");
    await expect(saveSafetensors(path, [{ name: "x", dtype: "U8", shape: [4], data: new Uint8Array(2) }])).rejects.toThrow(SafetensorsWriterByteCountError);
    expect(await readFile(path, "utf8")).toBe("old");
    expect((await readdir(folder)).filter((f) => f.includes("keep.safetensors") && f !== "keep.safetensors")).toEqual([]);
  });
});

describe("round trip", () => {
  it("write → read → write gives identical bytes (metadata, odd names, empty and scalar tensors)", async () => {
    const first = join(folder, "rt1.safetensors");
    const second = join(folder, "rt2.safetensors");
    await saveSafetensors(
      first,
      [
        { name: "model.layers.1.mlp.up_proj.weight", dtype: "BF16", shape: [4, 3], data: bytes(24, 5) },
        { name: "10", dtype: "F32", shape: [2], data: bytes(8, 6) },
        { name: "2", dtype: "BOOL", shape: [], data: Uint8Array.of(1) },
        { name: 'quote " and ünïcode', dtype: "F8_E4M3", shape: [0, 4], data: new Uint8Array() },
        { name: "a", dtype: "F64", shape: [1, 1, 1], data: bytes(8, 7) },
      ],
      { metadata: [["format", "pt"], ["7", "integer-like key"], ["note", "line\nbreak"]] },
    );
    const source = await openSafetensors(first);
    try {
      expect(source.tensors.map((t) => t.name)).toEqual(["model.layers.1.mlp.up_proj.weight", "10", "2", 'quote " and ünïcode', "a"]);
      await writeSafetensors(second, source, { metadata: source.metadataEntries, chunkBytes: 5 });
    } finally {
      await source.close();
    }
    expect(Buffer.compare(await readFile(first), await readFile(second))).toBe(0);
  });

  it("reproduces a file laid out by the reference writer (dtype-sorted keys) byte for byte", async () => {
    // As safetensors' own writer lays files out: __metadata__ first, then tensors by descending dtype, then name.
    const headerJson = '{"__metadata__":{"format":"pt"},"z.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a.weight":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}';
    const padded = headerJson + " ".repeat((8 - (headerJson.length % 8)) % 8);
    const original = Buffer.concat([Buffer.alloc(8), Buffer.from(padded), Buffer.from(bytes(12, 9))]);
    original.writeBigUInt64LE(BigInt(padded.length), 0);
    const path = join(folder, "reference.safetensors");
    const copy = join(folder, "reference-copy.safetensors");
    await writeFile(path, original);
    const source = await openSafetensors(path);
    try {
      await writeSafetensors(copy, source, { metadata: source.metadata });
    } finally {
      await source.close();
    }
    expect(Buffer.compare(await readFile(copy), original)).toBe(0);
  });

  it("copies a subset of tensors in a chosen order", async () => {
    const path = join(folder, "subset-src.safetensors");
    await saveSafetensors(path, [
      { name: "a", dtype: "U8", shape: [1], data: Uint8Array.of(1) },
      { name: "b", dtype: "U8", shape: [2], data: Uint8Array.of(2, 3) },
    ]);
    const source = await openSafetensors(path);
    const out = join(folder, "subset.safetensors");
    try {
      await writeSafetensors(out, source, { names: ["b"] });
      await expect(writeSafetensors(out, source, { names: ["c"] })).rejects.toThrow('expected a tensor named "c" in the source');
    } finally {
      await source.close();
    }
    const copy = await openSafetensors(out);
    expect(copy.tensors.map((t) => t.name)).toEqual(["b"]);
    expect(await copy.readTensor("b")).toEqual(Uint8Array.of(2, 3));
    await copy.close();
  });
});
