// Depth up-scaling and slice merges end to end on GGUF files: tiny generated models (F32, F16, Q8_0, Q4_K by
// dusk's quantizer; Q2_K and Q6_K as random bytes of the right block sizes) up-scaled with m = 8, identity and
// overlapping slicings, split output, a two-donor frankenmerge from YAML, and the refusals and failures that
// must leave nothing behind. Every output tensor is compared byte for byte with the donor tensor it must copy.
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuskError, FileNotFoundError } from "../src/common/index.js";
import { FileRandomAccess, GgufValueType, gguf, parseGgufHeader, metadataArray, metadataNumber, metadataString, openGguf, type GgufMetadata } from "../src/formats/index.js";
import { IncompatibleDonorsError, MergeConfigError, mergeFromYaml, parseMergeYaml, upscale, type Slice } from "../src/merge/index.js";
import { makeTinyModel } from "../src/tiny/index.js";
import { expectSameValue, expectStack, listing, slicesMap, solarMap, tokenizerKeys, type LayerMap } from "./support/merge-check.js";
import { rewriteGguf, writeRandomModel } from "./support/random-model.js";

const TYPES = ["F32", "F16", "Q8_0", "Q4_K", "Q2_K", "Q6_K"] as const;
type ModelType = (typeof TYPES)[number];

let dir: string;
const source = {} as Record<ModelType, string>;
let donorA: string;
let donorB: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-upscale-"));
  await mkdir(join(dir, "src"));
  for (const type of ["F32", "F16", "Q8_0", "Q4_K"] as const) {
    source[type] = join(dir, "src", `tiny-${type}.gguf`);
    await makeTinyModel({ output: source[type], layers: 32, type, ffn: type === "Q4_K" ? 256 : 128, name: `tiny-${type}` });
  }
  for (const type of ["Q2_K", "Q6_K"] as const) {
    source[type] = join(dir, "src", `random-${type}.gguf`);
    await writeRandomModel({ output: source[type], type, layers: 32, hidden: 256, ffn: 256, name: `random-${type}` });
  }
  donorA = join(dir, "src", "a.gguf");
  donorB = join(dir, "src", "b.gguf");
  await makeTinyModel({ output: donorA, layers: 32, seed: 1, name: "donor-a" });
  await makeTinyModel({ output: donorB, layers: 32, seed: 2, name: "donor-b" });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A new empty folder for one test's output. */
async function fresh(name: string): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder);
  return folder;
}

async function metadataOf(path: string): Promise<GgufMetadata> {
  const model = await openGguf(path);
  await model.close();
  return model.metadata;
}

/** Parameters of a model, counted from its tensors' dimensions. */
async function parameterCount(path: string): Promise<number> {
  const model = await openGguf(path);
  await model.close();
  return model.tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
}

/** Reads "1.9M" / "12.3K" / "7.2B" back as a number. */
function labelValue(label: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMB]?)$/.exec(label);
  expect(match, `size label "${label}"`).not.toBeNull();
  return Number(match![1]) * ({ "": 1, K: 1e3, M: 1e6, B: 1e9 } as Record<string, number>)[match![2]!]!;
}

/** Asserts the metadata a merge must write, against the donors' metadata. */
async function expectMergeMetadata(output: string, meta: GgufMetadata, donors: readonly string[], layers: number, slices: readonly Slice[]): Promise<void> {
  const base = await metadataOf(donors[0]!);
  expect(metadataNumber(meta, "llama.block_count")).toBe(layers);
  const name = metadataString(meta, "general.name");
  expect(name).not.toBe(metadataString(base, "general.name"));
  expect(name).toContain(String(layers));
  const parameters = await parameterCount(output);
  const label = metadataString(meta, "general.size_label")!;
  expect(Math.abs(labelValue(label) - parameters) / parameters, `size label ${label} for ${parameters} parameters`).toBeLessThan(0.06);
  expect(metadataNumber(meta, "general.base_model.count")).toBe(donors.length);
  for (const [i, donor] of donors.entries()) {
    expect(metadataString(meta, `general.base_model.${i}.name`)).toBe(metadataString(await metadataOf(donor), "general.name"));
  }
  const recorded = parseMergeYaml(metadataString(meta, "dusk.merge.config")!);
  expect(recorded.method).toBe("passthrough");
  expect(recorded.method === "passthrough" ? recorded.slices : []).toEqual(slices);
  expect(tokenizerKeys(meta)).toEqual(tokenizerKeys(base));
  for (const key of tokenizerKeys(base)) expectSameValue(meta.get(key), base.get(key), key);
  for (const [key, value] of base) {
    if (key !== "llama.block_count" && key !== "general.name" && !key.startsWith("split.")) expectSameValue(meta.get(key), value, key);
  }
}

describe.each(TYPES)("upscale --m 8 of a 32-layer %s model", (type) => {
  it("stacks layers [0, 24) and [8, 32) byte for byte and records the merge in the metadata", async () => {
    const folder = await fresh(`m8-${type}`);
    const output = join(folder, "up.gguf");
    const run = await upscale({ model: source[type], m: 8, output, progress: false });
    expect(run.result).toMatchObject({ layers: 48, files: [output], tensors: 3 + 48 * 9 });
    const meta = await expectStack({ output, donors: [source[type]], layerMap: solarMap(32, 8) });
    await expectMergeMetadata(output, meta, [source[type]], 48, [
      { model: source[type], start: 0, end: 24 },
      { model: source[type], start: 8, end: 32 },
    ]);
    expect(run.result!.bytes).toBe((await openGguf(output).then(async (m) => (await m.close(), m))).tensors.reduce((s, t) => s + t.byteLength, 0));
    expect(await listing(folder)).toEqual(["up.gguf"]);
  });
});

describe("slicings", () => {
  for (const type of ["F16", "Q4_K", "Q2_K"] as const) {
    it(`reproduces every tensor of a ${type} model, in order, with the identity slicing --layers 0-32`, async () => {
      const output = join(await fresh(`identity-${type}`), "same.gguf");
      await upscale({ model: source[type], layers: "0-32", output, progress: false });
      await expectStack({ output, donors: [source[type]], layerMap: slicesMap([[0, 0, 32]]) });
      const [a, b] = await Promise.all([openGguf(output), openGguf(source[type])]);
      await Promise.all([a.close(), b.close()]);
      expect(a.tensors.map((t) => [t.name, t.type, t.offset])).toEqual(b.tensors.map((t) => [t.name, t.type, t.offset]));
    });
  }

  it("stacks three overlapping slices 0-16,8-24,16-32 (48 layers)", async () => {
    const output = join(await fresh("three-slices"), "deep.gguf");
    const run = await upscale({ model: source.Q8_0, layers: "0-16,8-24,16-32", output, progress: false });
    expect(run.plan.layerMap).toHaveLength(48);
    const meta = await expectStack({ output, donors: [source.Q8_0], layerMap: slicesMap([[0, 0, 16], [0, 8, 24], [0, 16, 32]]) });
    expect(metadataNumber(meta, "llama.block_count")).toBe(48);
  });

  it("remaps per-layer metadata arrays with the layers and keeps other arrays as they are", async () => {
    const folder = await fresh("per-layer");
    const model = join(folder, "per-layer.gguf");
    await rewriteGguf(source.F32, model, (meta) => {
      meta.set("llama.attention.head_count_kv", gguf.u32s(Array.from({ length: 32 }, (_, i) => 100 + i)));
      meta.set("llama.feed_forward_length", gguf.i32s(Array.from({ length: 32 }, (_, i) => -1000 - i)));
      meta.set("llama.rope.dimension_sections", gguf.u32s([4, 5, 6, 7]));
      return meta;
    });
    const output = join(folder, "up.gguf");
    await upscale({ model, m: 8, output, progress: false });
    const meta = await expectStack({ output, donors: [model], layerMap: solarMap(32, 8) });
    const expected = solarMap(32, 8).map(([, layer]) => layer);
    expect(metadataArray(meta, "llama.attention.head_count_kv")).toEqual({ itemType: GgufValueType.UINT32, items: Uint32Array.from(expected, (l) => 100 + l) });
    expect(metadataArray(meta, "llama.feed_forward_length")).toEqual({ itemType: GgufValueType.INT32, items: Int32Array.from(expected, (l) => -1000 - l) });
    expect([...metadataArray(meta, "llama.rope.dimension_sections")!.items]).toEqual([4, 5, 6, 7]);
  });

  it("writes split files with --split-max-size that read back as one model", async () => {
    const folder = await fresh("split");
    const output = join(folder, "up.gguf");
    const run = await upscale({ model: source.F32, m: 8, output, splitMaxBytes: 2_000_000, progress: false });
    const files = run.result!.files;
    expect(files.length).toBeGreaterThanOrEqual(3);
    files.forEach((file, i) => expect(file).toBe(join(folder, `up-${String(i + 1).padStart(5, "0")}-of-${String(files.length).padStart(5, "0")}.gguf`)));
    expect(await listing(folder)).toEqual(files.map((file) => file.slice(folder.length + 1)));
    for (const file of files) expect((await stat(file)).size).toBeLessThan(2_000_000 + 200_000);
    const meta = await expectStack({ output: files[0]!, donors: [source.F32], layerMap: solarMap(32, 8) });
    expect(metadataNumber(meta, "split.count")).toBe(files.length);
    await expectMergeMetadata(files[0]!, meta, [source.F32], 48, [
      { model: source.F32, start: 0, end: 24 },
      { model: source.F32, start: 8, end: 32 },
    ]);
    for (const [i, file] of files.entries()) {
      const shard = await FileRandomAccess.open(file);
      const header = await parseGgufHeader(shard, file).finally(() => shard.close());
      expect(metadataNumber(header.metadata, "split.no")).toBe(i);
      expect(metadataNumber(header.metadata, "split.count")).toBe(files.length);
    }
    await expectStack({ output: files.at(-1)!, donors: [source.F32], layerMap: solarMap(32, 8) });
  });

  it("refuses out-of-range --m and --layers before writing anything", async () => {
    const folder = await fresh("bad-ranges");
    const output = join(folder, "up.gguf");
    await expect(upscale({ model: source.F32, m: 32, output, progress: false })).rejects.toThrow(MergeConfigError);
    await expect(upscale({ model: source.F32, layers: "0-24,8-40", output, progress: false })).rejects.toThrow(/within the 32 layers/);
    await expect(upscale({ model: source.F32, layers: "8-8", output, progress: false })).rejects.toThrow(MergeConfigError);
    expect(await listing(folder)).toEqual([]);
  });

  it("writes nothing on --dry-run and returns the plan", async () => {
    const folder = await fresh("dry-run");
    const run = await upscale({ model: source.Q4_K, m: 8, output: join(folder, "up.gguf"), dryRun: true, progress: false });
    expect(run.result).toBeUndefined();
    expect(run.plan.layerMap).toHaveLength(48);
    expect(run.plan.tensors.find((t) => t.output === "blk.40.attn_v.weight")).toMatchObject({ source: "blk.24.attn_v.weight", type: "Q4_K" });
    expect(await listing(folder)).toEqual([]);
  });
});

/** A passthrough YAML over models named as given. */
function yaml(slices: readonly (readonly [model: string, start: number, end: number])[]): string {
  return `slices:\n${slices.map(([model, start, end]) => `  - sources:\n      - model: ${model}\n        layer_range: [${start}, ${end}]\n`).join("")}merge_method: passthrough\n`;
}

describe("merge from mergekit YAML", () => {
  it("interleaves two donors (Goliath-style), with paths relative to the YAML", async () => {
    const folder = await fresh("franken");
    const config = join(dir, "src", "franken.yml");
    await writeFile(config, yaml([["a.gguf", 0, 16], ["b.gguf", 8, 24], ["a.gguf", 16, 32], ["b.gguf", 24, 32]]));
    const output = join(folder, "franken.gguf");
    const run = await mergeFromYaml({ configPath: config, output, progress: false });
    expect(run.result?.layers).toBe(56);
    const layerMap: LayerMap = slicesMap([[0, 0, 16], [1, 8, 24], [0, 16, 32], [1, 24, 32]]);
    const meta = await expectStack({ output, donors: [donorA, donorB], layerMap });
    await expectMergeMetadata(output, meta, [donorA, donorB], 56, [
      { model: "a.gguf", start: 0, end: 16 },
      { model: "b.gguf", start: 8, end: 24 },
      { model: "a.gguf", start: 16, end: 32 },
      { model: "b.gguf", start: 24, end: 32 },
    ]);
    expect(await listing(folder)).toEqual(["franken.gguf"]);
  });

  it("refuses donors with another hidden size or another tokenizer before writing anything", async () => {
    const folder = await fresh("mismatch");
    const wide = join(folder, "wide.gguf");
    await makeTinyModel({ output: wide, layers: 32, hidden: 128, seed: 3, name: "wide" });
    const otherTokens = join(folder, "other-tokens.gguf");
    await rewriteGguf(donorB, otherTokens, (meta) => {
      const tokens = metadataArray(meta, "tokenizer.ggml.tokens")!;
      const items = [...(tokens.items as string[])];
      items[300] = `${items[300]!}x`;
      meta.set("tokenizer.ggml.tokens", gguf.strings(items));
      return meta;
    });
    for (const [other, field, notField] of [[wide, "hidden size", "tokenizer"], [otherTokens, "tokenizer", "hidden size"]] as const) {
      const config = join(folder, "bad.yml");
      await writeFile(config, yaml([[donorA, 0, 16], [other, 8, 32]]));
      const before = await listing(folder);
      const error = await mergeFromYaml({ configPath: config, output: join(folder, "out.gguf"), progress: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IncompatibleDonorsError);
      const message = (error as Error).message;
      const header = message.split("\n").find((line) => line.trim().startsWith("model"));
      expect(header).toContain(field);
      expect(header).not.toContain(notField);
      expect(message).toContain(donorA);
      expect(message).toContain(other);
      expect(await listing(folder)).toEqual(before);
    }
  });

  it("refuses a YAML naming a model that does not exist", async () => {
    const folder = await fresh("missing-donor");
    const config = join(folder, "m.yml");
    await writeFile(config, yaml([[donorA, 0, 16], ["no-such-model.gguf", 0, 8]]));
    await expect(mergeFromYaml({ configPath: config, output: join(folder, "out.gguf"), progress: false })).rejects.toThrow(FileNotFoundError);
    expect(await listing(folder)).toEqual(["m.yml"]);
  });
});

describe("output paths", () => {
  it("creates a missing output folder, as -o new/folder/model.gguf users expect", async () => {
    const out = join(dir, "not", "yet", "there", "up.gguf");
    const run = await upscale({ model: source.F32, m: 8, output: out, progress: false });
    expect(run.result?.layers).toBe(48);
    expect(metadataNumber(await metadataOf(out), "llama.block_count")).toBe(48);
  });
});

describe("failures leave nothing behind", () => {
  it("a donor that breaks mid-way leaves no output and no temporary file, and keeps an older file in place", async () => {
    const folder = await fresh("mid-way");
    const breaking = join(folder, "a-copy.gguf");
    await copyFile(donorA, breaking);
    const config = join(folder, "m.yml");
    await writeFile(config, yaml([[breaking, 0, 24], [donorB, 8, 32]]));
    const output = join(folder, "out.gguf");
    await writeFile(output, "an older file");
    const before = await listing(folder);
    // The donors are opened one after the other: cut the first one's data while the second is being resolved.
    const resolve = async (ref: string): Promise<string> => {
      if (ref === donorB) await truncate(breaking, Math.floor((await stat(breaking)).size / 2));
      return ref;
    };
    const error = await mergeFromYaml({ configPath: config, output, resolve, progress: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuskError);
    expect(await listing(folder)).toEqual(before);
    expect(await readFile(output, "utf8")).toBe("an older file");
  });

  it("a truncated model is refused with no output", async () => {
    const folder = await fresh("truncated");
    const model = join(folder, "cut.gguf");
    await copyFile(source.Q8_0, model);
    await truncate(model, Math.floor((await stat(model)).size * 0.7));
    const error = await upscale({ model, m: 8, output: join(folder, "up.gguf"), progress: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuskError);
    expect((error as DuskError).code).toBe("GGUF_TRUNCATED");
    expect(await listing(folder)).toEqual(["cut.gguf"]);
  });

  it("a missing model is refused as such", async () => {
    const folder = await fresh("missing");
    await expect(upscale({ model: join(folder, "nope.gguf"), m: 8, output: join(folder, "up.gguf"), progress: false })).rejects.toThrow(FileNotFoundError);
    expect(await listing(folder)).toEqual([]);
  });
});
