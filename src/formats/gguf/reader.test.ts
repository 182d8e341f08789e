// The GGUF reader: split models (written shard by shard as llama.cpp's gguf-split writes them), opening without
// reading tensor data (a 200 MB sparse file opens in milliseconds), and streaming a tensor's exact bytes.
import { mkdir, mkdtemp, open, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileNotFoundError, InvalidArgumentError } from "../../common/index.js";
import { GgufSplitError, GgufTensorNotFoundError } from "./errors.js";
import { openGguf, splitShardPaths } from "./reader.js";
import { gguf, type GgufValue } from "./values.js";
import { GgufWriter } from "./writer.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-gguf-reader-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tensorBytes = (name: string, length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (name.charCodeAt(0) * 31 + i) & 0xff);

interface SplitOptions {
  /** split.count written into each shard. */
  counts?: number[];
  /** split.no written into each shard. */
  nos?: number[];
  /** split.tensors.count written into each shard. */
  tensorsCount?: number;
  /** Tensor names per shard (each F32 [4]). */
  shards?: string[][];
}

/** Writes a 3-shard model `model-0000K-of-00003.gguf` by hand; returns the first shard's path. */
async function writeSplit(folder: string, { counts = [3, 3, 3], nos = [0, 1, 2], tensorsCount = 5, shards = [["a", "b"], ["c", "d"], ["e"]] }: SplitOptions = {}): Promise<string> {
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  for (let shard = 0; shard < 3; shard++) {
    const writer = new GgufWriter();
    if (shard === 0) {
      writer.setMetadata("general.architecture", gguf.str("llama"));
      writer.setMetadata("general.name", gguf.str("split-test"));
    }
    // gguf-split writes these three keys, with these types, into every shard.
    const splitKeys: [string, GgufValue][] = [["split.no", gguf.u16(nos[shard]!)], ["split.count", gguf.u16(counts[shard]!)], ["split.tensors.count", gguf.i32(tensorsCount)]];
    for (const [key, value] of splitKeys) writer.setMetadata(key, value);
    for (const name of shards[shard]!) writer.addTensor({ name, type: "F32", dims: [4] });
    await writer.begin(join(folder, `model-0000${shard + 1}-of-00003.gguf`));
    for (const name of shards[shard]!) await writer.writeTensorData(name, tensorBytes(name, 16));
    await writer.finish();
  }
  return join(folder, "model-00001-of-00003.gguf");
}

async function openError(path: string, options = {}): Promise<unknown> {
  try {
    const model = await openGguf(path, options);
    await model.close();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("split GGUF models", () => {
  it("names shards as gguf-split does", () => {
    expect(splitShardPaths("/m/x-00002-of-00003.gguf")).toEqual(["/m/x-00001-of-00003.gguf", "/m/x-00002-of-00003.gguf", "/m/x-00003-of-00003.gguf"]);
    expect(splitShardPaths("/m/x.gguf")).toEqual(["/m/x.gguf"]);
  });

  it("opens every shard from the first (or any) shard and reads every tensor", async () => {
    const first = await writeSplit(join(dir, "split-ok"));
    for (const path of [first, join(dir, "split-ok", "model-00002-of-00003.gguf")]) {
      const model = await openGguf(path);
      try {
        expect(model.paths).toEqual(splitShardPaths(first));
        expect(model.architecture).toBe("llama");
        expect(model.tensors.map((t) => [t.name, t.shard])).toEqual([["a", 0], ["b", 0], ["c", 1], ["d", 1], ["e", 2]]);
        for (const t of model.tensors) expect(await model.readTensor(t.name)).toEqual(tensorBytes(t.name, 16));
        let sizes = 0;
        for (const p of model.paths) sizes += (await stat(p)).size;
        expect(model.fileBytes).toBe(sizes);
      } finally {
        await model.close();
      }
    }
    // Opened alone, the first shard says it needs two more.
    const alone = await openError(first, { followSplits: false });
    expect(alone).toBeInstanceOf(GgufSplitError);
    expect((alone as Error).message).toMatch(/expected 3 shards \(split.count\) but found 1/);
  });

  it("refuses a missing shard with FileNotFoundError naming it", async () => {
    const first = await writeSplit(join(dir, "split-missing"));
    await rm(join(dir, "split-missing", "model-00003-of-00003.gguf"));
    const error = await openError(first);
    expect(error).toBeInstanceOf(FileNotFoundError);
    expect((error as FileNotFoundError).message).toMatch(/expected a file or folder at .*model-00003-of-00003\.gguf but found nothing/);
    expect((error as FileNotFoundError).hint).toMatch(/all its shards/);
  });

  it.each([
    { name: "a shard with another split.count", options: { counts: [3, 2, 3] }, message: /expected split.count = 3 as in the first shard but found 2/ },
    { name: "a first shard whose split.count disagrees with the file names", options: { counts: [4, 4, 4] }, message: /expected 4 shards \(split.count\) but found 3/ },
    { name: "shards out of order", options: { nos: [0, 2, 1] }, message: /expected split.no = 1 but found 2/ },
    { name: "a wrong split.tensors.count", options: { tensorsCount: 6 }, message: /expected 6 tensors across the shards \(split.tensors.count\) but found 5/ },
    { name: "a tensor in two shards", options: { shards: [["a", "b"], ["c", "a"], ["e"]] }, message: /"a" appears in two/ },
  ])("refuses $name with GgufSplitError", async ({ options, message }) => {
    const first = await writeSplit(join(dir, "split-bad"), options);
    const error = await openError(first);
    expect(error).toBeInstanceOf(GgufSplitError);
    expect((error as GgufSplitError).code).toBe("GGUF_BAD_SPLIT");
    expect((error as Error).message).toMatch(message);
    expect((error as GgufSplitError).hint).toMatch(/split model/);
  });
});

describe("opening without reading tensor data", () => {
  it("opens a file with a 200 MB (sparse) data section in milliseconds and streams exactly the bytes", async () => {
    const path = join(dir, "sparse.gguf");
    const big = 50_000_000; // F32 elements: 200,000,000 bytes
    const writer = new GgufWriter();
    writer.setMetadata("general.architecture", gguf.str("llama"));
    writer.setMetadata("tokenizer.ggml.tokens", gguf.strings(Array.from({ length: 1000 }, (_, i) => `token${i}`)));
    writer.addTensor({ name: "big", type: "F32", dims: [big] });
    writer.addTensor({ name: "tail", type: "F32", dims: [8] });
    const total = writer.plannedFileBytes();
    await writer.begin(path);
    await writer.abort(); // the header is written; the data section becomes a hole
    await truncate(path, total);
    const tail = tensorBytes("tail", 32);
    {
      const model = await openGguf(path);
      const handle = await open(path, "r+");
      await handle.write(tail, 0, tail.length, model.tensor("tail")!.fileOffset);
      await handle.close();
      await model.close();
    }

    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const model = await openGguf(path);
    const elapsed = performance.now() - started;
    const grown = process.memoryUsage().arrayBuffers - before;
    try {
      expect(model.fileBytes).toBe(total);
      expect(model.tensor("big")!.byteLength).toBe(200_000_000);
      expect(elapsed).toBeLessThan(1000); // a behaviour check: reading the data would take far longer
      expect(grown).toBeLessThan(32 * 1024 * 1024); // far below the 200 MB the data section holds

      const chunks: number[] = [];
      const collected: Uint8Array[] = [];
      for await (const chunk of model.streamTensor("tail", { chunkBytes: 12 })) {
        chunks.push(chunk.length);
        collected.push(chunk.slice()); // chunks reuse one buffer
      }
      expect(chunks).toEqual([12, 12, 8]);
      expect(Buffer.concat(collected)).toEqual(Buffer.from(tail));

      const zeros = Buffer.alloc(8 * 1024 * 1024);
      let streamed = 0;
      for await (const chunk of model.streamTensor("big")) {
        expect(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).equals(zeros.subarray(0, chunk.length))).toBe(true);
        streamed += chunk.length;
      }
      expect(streamed).toBe(200_000_000);
    } finally {
      await model.close();
    }
  });

  it("refuses unknown tensor names and non-positive chunk sizes with typed errors", async () => {
    const first = await writeSplit(join(dir, "names"));
    const model = await openGguf(first);
    try {
      await expect(model.readTensor("nope")).rejects.toThrow(GgufTensorNotFoundError);
      await expect(async () => {
        for await (const _ of model.streamTensor("nope")) break;
      }).rejects.toThrow(/expected a tensor named "nope" but the model has none/);
      for (const chunkBytes of [0, -1, 1.5, Number.NaN]) {
        await expect(async () => {
          for await (const _ of model.streamTensor("a", { chunkBytes })) break;
        }).rejects.toThrow(InvalidArgumentError);
      }
    } finally {
      await model.close();
    }
  });
});
