// The GGUF writer as a state machine: out-of-order calls name the expected and actual state, wrong byte counts are
// refused, and writeGguf leaves nothing at the destination (not even a temporary file) when it fails.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnknownGgmlTypeError } from "../ggml.js";
import { GgufWriterDataError, GgufWriterStateError } from "./errors.js";
import { openGguf } from "./reader.js";
import { gguf } from "./values.js";
import { GgufWriter, writeGguf } from "./writer.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-gguf-writer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function freshFolder(name: string): Promise<string> {
  const folder = join(dir, name);
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder);
  return folder;
}

/** Asserts that `action` throws a GgufWriterStateError naming `method`, the expected and the actual state. */
async function expectStateError(action: () => unknown, method: string, expected: string, actual: string): Promise<void> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(GgufWriterStateError);
  const error = caught as GgufWriterStateError;
  expect(error.code).toBe("GGUF_WRITER_STATE");
  expect(error.message).toBe(`GgufWriter.${method}() expected the writer to be in state "${expected}" but it is in state "${actual}"`);
  expect(error.hint).toMatch(/begin\(\)/);
}

describe("GgufWriter state machine", () => {
  it("refuses every out-of-order call and names the expected and actual state", async () => {
    const folder = await freshFolder("states");
    const writer = new GgufWriter();
    writer.setMetadata("general.name", gguf.str("x"));
    writer.addTensor({ name: "w", type: "F32", dims: [2] });
    await expectStateError(() => writer.writeTensorData("w", new Uint8Array(8)), "writeTensorData", "writing", "collecting");
    await expectStateError(() => writer.finish(), "finish", "writing", "collecting");

    await writer.begin(join(folder, "out.gguf"));
    await expectStateError(() => writer.setMetadata("k", gguf.u8(1)), "setMetadata", "collecting", "writing");
    await expectStateError(() => writer.deleteMetadata("general.name"), "deleteMetadata", "collecting", "writing");
    await expectStateError(() => writer.addTensor({ name: "v", type: "F32", dims: [1] }), "addTensor", "collecting", "writing");
    await expectStateError(() => writer.begin(join(folder, "other.gguf")), "begin", "collecting", "writing");

    await writer.writeTensorData("w", new Uint8Array(Float32Array.from([1, 2]).buffer));
    await writer.finish();
    await expectStateError(() => writer.writeTensorData("w", new Uint8Array(8)), "writeTensorData", "writing", "finished");
    await expectStateError(() => writer.finish(), "finish", "writing", "finished");
    await expectStateError(() => writer.setMetadata("k", gguf.u8(1)), "setMetadata", "collecting", "finished");

    const model = await openGguf(join(folder, "out.gguf"));
    try {
      expect(new Float32Array((await model.readTensor("w")).buffer)).toEqual(Float32Array.from([1, 2]));
    } finally {
      await model.close();
    }

    const aborted = new GgufWriter();
    await aborted.begin(join(folder, "aborted.gguf"));
    await aborted.abort();
    await expectStateError(() => aborted.finish(), "finish", "writing", "aborted");
  });

  it("refuses tensors out of declaration order, undeclared, with too few or too many bytes, or missing at finish", async () => {
    const folder = await freshFolder("counts");
    const make = async (): Promise<GgufWriter> => {
      const writer = new GgufWriter();
      writer.addTensor({ name: "a", type: "F16", dims: [4] });
      writer.addTensor({ name: "b", type: "Q8_0", dims: [32] });
      await writer.begin(join(folder, "out.gguf"));
      return writer;
    };
    let writer = await make();
    await expect(writer.writeTensorData("b", new Uint8Array(34))).rejects.toThrow(/expected the data of tensor "a" next but got "b"/);
    await expect(writer.writeTensorData("a", new Uint8Array(7))).rejects.toThrow(/tensor "a" expected 8 bytes but got 7/);
    await writer.abort();

    writer = await make();
    await expect(writer.writeTensorData("a", [new Uint8Array(5), new Uint8Array(5)])).rejects.toThrow(/tensor "a" expected 8 bytes but got more/);
    await writer.abort();

    writer = await make();
    await writer.writeTensorData("a", new Uint8Array(8));
    await expect(writer.finish()).rejects.toThrow(GgufWriterDataError);
    await expect(writer.finish()).rejects.toThrow(/expected data for 2 tensors but got 1 \(next: "b"\)/);
    await writer.writeTensorData("b", (async function* () {
      yield new Uint8Array(30);
      await Promise.resolve(); // a source that really is asynchronous
      yield new Uint8Array(4);
    })());
    await expect(writer.writeTensorData("c", new Uint8Array(1))).rejects.toThrow(/tensor "c" was not declared/);
    await writer.finish();
  });

  it("refuses impossible declarations", () => {
    const writer = new GgufWriter();
    expect(() => writer.addTensor({ name: "q", type: "Q4_K", dims: [100] })).toThrow(GgufWriterDataError);
    expect(() => writer.addTensor({ name: "q", type: "Q4_K", dims: [100] })).toThrow(/block size 256/);
    expect(() => writer.addTensor({ name: "u", type: "Q4_2", dims: [32] })).toThrow(UnknownGgmlTypeError);
    expect(() => writer.addTensor({ name: "u", type: 4, dims: [32] })).toThrow(UnknownGgmlTypeError);
    expect(() => writer.addTensor({ name: "o", type: "F32", dims: [2 ** 52, 4] })).toThrow(/overflows/);
    writer.addTensor({ name: "d", type: "F32", dims: [1] });
    expect(() => writer.addTensor({ name: "d", type: "F32", dims: [1] })).toThrow(/declared twice/);
    expect(writer.plannedFileBytes()).toBeGreaterThan(0);
  });

  it("refuses a general.alignment that no reader accepts", async () => {
    const folder = await freshFolder("alignment");
    for (const value of [gguf.u32(0), gguf.u32(3), gguf.u64(64), gguf.str("32")]) {
      const writer = new GgufWriter();
      writer.setMetadata("general.alignment", value);
      writer.addTensor({ name: "w", type: "F32", dims: [1] });
      await expect(writer.begin(join(folder, "out.gguf"))).rejects.toThrow(/expected general.alignment to be a u32 power of two/);
    }
    expect(await readdir(folder)).toEqual([]);
  });
});

describe("writeGguf", () => {
  it("writes through a temporary file and leaves nothing behind when a tensor's data is wrong", async () => {
    const folder = await freshFolder("atomic");
    const destination = join(folder, "model.gguf");
    const tensors = [
      { name: "ok", type: "F32", dims: [2], data: new Uint8Array(8) },
      { name: "short", type: "F32", dims: [4], data: () => [new Uint8Array(4), new Uint8Array(4)] },
    ];
    await expect(writeGguf(destination, { metadata: new Map(), tensors })).rejects.toThrow(/tensor "short" expected 16 bytes but got 8/);
    expect(await readdir(folder)).toEqual([]);

    // A failure never damages what was already at the destination.
    await writeFile(destination, "previous contents");
    const failing = async function* (): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(4);
      await Promise.resolve();
      throw new Error("source failed mid-tensor");
    };
    await expect(writeGguf(destination, { metadata: new Map(), tensors: [{ name: "t", type: "F32", dims: [2], data: failing }] })).rejects.toThrow("source failed mid-tensor");
    expect(await readdir(folder)).toEqual(["model.gguf"]);
    expect(await readFile(destination, "utf8")).toBe("previous contents");

    // A successful write replaces it.
    await writeGguf(destination, { metadata: new Map([["general.name", gguf.str("new")]]), tensors: [] });
    expect(await readdir(folder)).toEqual(["model.gguf"]);
    expect((await readFile(destination)).subarray(0, 4).toString("latin1")).toBe("GGUF");
  });
});

describe("GgufWriter.copyTensorsData", () => {
  it("copies file ranges (back-to-back tensors as one range) to the same bytes as streaming, and refuses wrong order or size", async () => {
    const folder = await freshFolder("copy");
    const source = join(folder, "source.gguf");
    const tensors = [
      { name: "a", type: "F32", dims: [8, 3], data: new Uint8Array(96).map((_, i) => i + 1) },
      { name: "b", type: "F16", dims: [5], data: new Uint8Array(10).map((_, i) => 200 - i) },
      { name: "c", type: "F32", dims: [16], data: new Uint8Array(64).map((_, i) => (i * 7) % 251) },
    ];
    await writeGguf(source, { metadata: new Map([["general.architecture", gguf.str("llama")]]), tensors });
    const model = await openGguf(source);
    try {
      const declare = (writer: GgufWriter): void => {
        writer.setMetadata("general.architecture", gguf.str("llama"));
        for (const t of model.tensors) writer.addTensor({ name: t.name, type: t.ggmlType, dims: t.dims });
      };
      const copied = join(folder, "copied.gguf");
      const writer = new GgufWriter();
      declare(writer);
      await writer.begin(copied);
      await writer.copyTensorsData(model.tensors.map((t) => ({ name: t.name, range: model.fileRange(t.name)! })));
      await writer.finish();
      expect(Buffer.compare(await readFile(copied), await readFile(source))).toBe(0);

      const wrong = new GgufWriter();
      declare(wrong);
      await wrong.begin(join(folder, "wrong.gguf"));
      await expect(wrong.copyTensorsData([{ name: "b", range: model.fileRange("b")! }])).rejects.toBeInstanceOf(GgufWriterDataError);
      await expect(wrong.copyTensorsData([{ name: "a", range: model.fileRange("b")! }])).rejects.toBeInstanceOf(GgufWriterDataError);
      await wrong.abort();
    } finally {
      await model.close();
    }
  });
});
