// GgufModel.streamTensor's read-ahead and pooled buffers: streams that stop early, streams of one model used at the
// same time, and chunked streams all give the bytes readTensor gives.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openGguf, type GgufModel } from "./reader.js";
import { gguf } from "./values.js";
import { writeGguf } from "./writer.js";

let dir: string;
let model: GgufModel;
const data = new Map<string, Uint8Array>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-gguf-stream-"));
  const tensors = [["a", 1000], ["b", 4096], ["c", 7], ["d", 2500]].map(([name, count]) => {
    const bytes = new Uint8Array(randomBytes((count as number) * 4));
    data.set(name as string, bytes);
    return { name: name as string, type: "F32", dims: [count as number], data: bytes };
  });
  await writeGguf(join(dir, "m.gguf"), { metadata: new Map([["general.architecture", gguf.str("test")]]), tensors });
  model = await openGguf(join(dir, "m.gguf"));
});

afterAll(async () => {
  await model?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function collect(name: string, chunkBytes: number): Promise<Uint8Array> {
  const parts: number[] = [];
  for await (const chunk of model.streamTensor(name, { chunkBytes })) parts.push(...chunk);
  return Uint8Array.from(parts);
}

describe("GgufModel.streamTensor", () => {
  it("gives each tensor's bytes for any chunk size", async () => {
    expect(await collect("c", 1)).toEqual(data.get("c"));
    for (const chunkBytes of [97, 4000, 1 << 20]) {
      for (const [name, bytes] of data) expect(await collect(name, chunkBytes), `${name} in chunks of ${chunkBytes}`).toEqual(bytes);
    }
  });

  it("gives the right bytes after a stream that stopped early", async () => {
    for (let i = 0; i < 3; i++) {
      for await (const chunk of model.streamTensor("b", { chunkBytes: 100 })) {
        expect(chunk).toEqual(data.get("b")!.subarray(0, 100));
        break;
      }
      expect(await collect("d", 100)).toEqual(data.get("d"));
    }
  });

  it("keeps streams of one model apart when they run at the same time", async () => {
    const a = model.streamTensor("a", { chunkBytes: 256 })[Symbol.asyncIterator]();
    const b = model.streamTensor("b", { chunkBytes: 256 })[Symbol.asyncIterator]();
    const got = { a: [] as number[], b: [] as number[] };
    for (let done = { a: false, b: false }; !done.a || !done.b; ) {
      for (const [key, iterator] of [["a", a], ["b", b]] as const) {
        if (done[key]) continue;
        const next = await iterator.next();
        if (next.done) done[key] = true;
        else got[key].push(...next.value);
      }
    }
    expect(Uint8Array.from(got.a)).toEqual(data.get("a"));
    expect(Uint8Array.from(got.b)).toEqual(data.get("b"));
  });
});
