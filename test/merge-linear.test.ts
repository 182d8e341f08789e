// Linear merges end to end on tiny models (F32, two seeds) as GGUF files and as safetensors checkpoint folders:
// every output tensor equals the weighted average computed here from the donors' bytes (1e-6 relative), with and
// without normalize and with weights that do not sum to 1; the metadata and model card record the merge; float16
// output; refusals (shapes, quantized inputs) leave nothing behind; the GGUF result loads and generates in
// llama.cpp; and `dusk merge` prints the plan and clean errors.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { Keys, metadataNumber, metadataString, openCheckpoint, openGguf, type TensorSource } from "../src/formats/index.js";
import { IncompatibleTensorsError, UnsupportedConversionError, mergeFromYaml, parseMergeYaml } from "../src/merge/index.js";
import { makeTinyModel } from "../src/tiny/index.js";

let dir: string;
const paths = { a: "", b: "", aCkpt: "", bCkpt: "", wide: "", qa: "", qb: "" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-linear-"));
  await mkdir(join(dir, "src"));
  const at = (name: string): string => join(dir, "src", name);
  Object.assign(paths, { a: at("a.gguf"), b: at("b.gguf"), aCkpt: at("a-ckpt"), bCkpt: at("b-ckpt"), wide: at("wide.gguf"), qa: at("qa.gguf"), qb: at("qb.gguf") });
  await makeTinyModel({ output: paths.a, layers: 2, seed: 1, name: "donor-a" });
  await makeTinyModel({ output: paths.b, layers: 2, seed: 2, name: "donor-b" });
  await makeTinyModel({ output: paths.aCkpt, layers: 2, seed: 1, name: "donor-a" });
  await makeTinyModel({ output: paths.bCkpt, layers: 2, seed: 2, name: "donor-b" });
  await makeTinyModel({ output: paths.wide, layers: 2, seed: 3, ffn: 256, name: "wide" });
  await makeTinyModel({ output: paths.qa, layers: 2, seed: 1, type: "Q8_0", name: "qa" });
  await makeTinyModel({ output: paths.qb, layers: 2, seed: 2, type: "Q8_0", name: "qb" });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Writes a linear YAML for (path, weight) pairs, with extra top-level lines. */
async function yamlFile(name: string, models: readonly (readonly [string, number])[], extra = ""): Promise<string> {
  const path = join(dir, `${name}.yml`);
  const entries = models.map(([model, weight]) => `  - model: ${JSON.stringify(model)}\n    parameters:\n      weight: ${weight}`);
  await writeFile(path, `models:\n${entries.join("\n")}\nmerge_method: linear\n${extra}`);
  return path;
}

/** An independent decoding of F32 and F16 tensor bytes (little-endian) to numbers. */
function decode(bytes: Uint8Array, type: string): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === "F32") return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
  if (type !== "F16") throw new Error(`unexpected type ${type}`);
  return Array.from({ length: bytes.length / 2 }, (_, i) => {
    const bits = view.getUint16(i * 2, true);
    const exponent = (bits >> 10) & 0x1f;
    const magnitude = exponent === 0 ? (bits & 0x3ff) * 2 ** -24 : (1 + (bits & 0x3ff) / 1024) * 2 ** (exponent - 15);
    return bits & 0x8000 ? -magnitude : magnitude;
  });
}

async function openAny(path: string): Promise<TensorSource> {
  return path.endsWith(".gguf") ? openGguf(path) : openCheckpoint(path);
}

/**
 * Asserts that every tensor of `output` is Σ cᵢ·tensorᵢ of the donors (same names, order, shapes) within
 * `relative` × max(|expected|, `floor`) and returns the largest relative error seen.
 */
async function expectWeightedSum(output: string, donors: readonly string[], coefficients: readonly number[], { relative = 1e-6, floor = 1e-30, type }: { relative?: number; floor?: number; type?: (name: string) => string } = {}): Promise<number> {
  const merged = await openAny(output);
  const sources = await Promise.all(donors.map(openAny));
  let worst = 0;
  try {
    expect(merged.tensors.map((t) => [t.name, t.shape])).toEqual(sources[0]!.tensors.map((t) => [t.name, t.shape]));
    for (const tensor of merged.tensors) {
      expect(tensor.type, tensor.name).toBe(type ? type(tensor.name) : sources[0]!.tensor(tensor.name)!.type);
      const inputs = await Promise.all(sources.map(async (s) => decode(await s.readTensor(tensor.name), s.tensor(tensor.name)!.type)));
      const actual = decode(await merged.readTensor(tensor.name), tensor.type);
      for (let e = 0; e < actual.length; e++) {
        const expected = inputs.reduce((sum, values, i) => sum + coefficients[i]! * values[e]!, 0);
        const error = Math.abs(actual[e]! - expected) / Math.max(Math.abs(expected), floor);
        if (error > worst) worst = error;
        if (!(error <= relative)) expect.fail(`${tensor.name}[${e}] = ${actual[e]} but Σ cᵢ·xᵢ = ${expected} (relative error ${error})`);
      }
    }
  } finally {
    await Promise.all([merged, ...sources].map((s) => s.close()));
  }
  return worst;
}

async function listing(folder: string): Promise<string[]> {
  return (await readdir(folder)).sort();
}

describe("linear merge of two tiny GGUF models", () => {
  it("normalizes weights 1 and 3 to 0.25 and 0.75, tensor by tensor, and records the merge in the metadata", async () => {
    const output = join(dir, "normalized.gguf");
    const run = await mergeFromYaml({ configPath: await yamlFile("normalized", [[paths.a, 1], [paths.b, 3]]), output, progress: false });
    expect(run.result?.files).toEqual([output]);
    expect(await expectWeightedSum(output, [paths.a, paths.b], [0.25, 0.75])).toBeLessThan(1e-6);

    const [merged, base] = [await openGguf(output), await openGguf(paths.a)];
    await Promise.all([merged.close(), base.close()]);
    const meta = merged.metadata;
    expect(metadataString(meta, Keys.GENERAL_NAME)).toBe("donor-a (linear merge of 2 models)");
    expect(metadataNumber(meta, "llama.block_count")).toBe(2);
    expect(metadataNumber(meta, "general.base_model.count")).toBe(2);
    expect([metadataString(meta, "general.base_model.0.name"), metadataString(meta, "general.base_model.1.name")]).toEqual(["donor-a", "donor-b"]);
    const recorded = parseMergeYaml(metadataString(meta, "dusk.merge.config")!);
    expect(recorded).toMatchObject({ method: "linear", normalize: true, models: [{ model: paths.a, weight: 1 }, { model: paths.b, weight: 3 }] });
    for (const [key] of base.metadata) {
      if (key.startsWith("tokenizer.") || key.startsWith("llama.")) expect(meta.get(key), key).toEqual(base.metadata.get(key));
    }
  });

  it("uses weights 0.7 and 0.6 as given with normalize: false (the sum is 1.3, not 1)", async () => {
    const output = join(dir, "raw.gguf");
    await mergeFromYaml({ configPath: await yamlFile("raw", [[paths.a, 0.7], [paths.b, 0.6]], "parameters:\n  normalize: false\n"), output, progress: false });
    await expectWeightedSum(output, [paths.a, paths.b], [0.7, 0.6]);
    // The same weights normalized give a different model: the output really is the un-normalized sum.
    const normalized = join(dir, "raw-normalized.gguf");
    await mergeFromYaml({ configPath: await yamlFile("raw-normalized", [[paths.a, 0.7], [paths.b, 0.6]]), output: normalized, progress: false });
    await expectWeightedSum(normalized, [paths.a, paths.b], [0.7 / 1.3, 0.6 / 1.3]);
  });

  it("writes float16 matrices with dtype: float16 (norms stay F32) and sets general.file_type", async () => {
    const output = join(dir, "half.gguf");
    await mergeFromYaml({ configPath: await yamlFile("half", [[paths.a, 1], [paths.b, 1]], "dtype: float16\n"), output, progress: false });
    const merged = await openGguf(output);
    await merged.close();
    const norms = new Set(merged.tensors.filter((t) => t.shape.length === 1).map((t) => t.name));
    expect(norms.size).toBe(5);
    // Half precision rounds to 11 significant bits: error at most 2⁻¹¹ relative, or half the subnormal spacing (2⁻²⁵)
    // below the smallest normal half 2⁻¹⁴ (a little slack for rounding twice, float64 → float32 → float16).
    await expectWeightedSum(output, [paths.a, paths.b], [0.5, 0.5], { relative: 2 ** -11 * (1 + 2 ** -10), floor: 2 ** -14, type: (name) => (norms.has(name) ? "F32" : "F16") });
    expect(metadataNumber(merged.metadata, Keys.GENERAL_FILE_TYPE)).toBe(1);
  });

  it("loads and generates in llama.cpp (one thread)", async () => {
    const output = join(dir, "for-llama.gguf");
    await mergeFromYaml({ configPath: await yamlFile("for-llama", [[paths.a, 1], [paths.b, 1]]), output, progress: false });
    const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
    try {
      const model = await llama.loadModel({ modelPath: output });
      try {
        const context = await model.createContext({ contextSize: 64, threads: 1 });
        const sequence = context.getSequence();
        const tokens: Token[] = [];
        for await (const token of sequence.evaluate([model.tokens.bos!, ...model.tokenize("the water is hot")], { temperature: 0 })) {
          tokens.push(token);
          if (tokens.length >= 6) break;
        }
        await context.dispose();
        const metadata = model.fileInfo.metadata as { llama?: { block_count?: number }; tokenizer: { ggml: { tokens: readonly string[] } } };
        expect(metadata.llama?.block_count).toBe(2);
        expect(tokens).toHaveLength(6);
        for (const token of tokens) expect(token).toBeLessThan(metadata.tokenizer.ggml.tokens.length);
      } finally {
        await model.dispose();
      }
    } finally {
      await llama.dispose();
    }
  });
});

describe("linear merge of safetensors checkpoint folders", () => {
  it("averages two checkpoints into a checkpoint with the first model's config and a model card", async () => {
    const output = join(dir, "merged-ckpt");
    await mergeFromYaml({ configPath: await yamlFile("ckpt", [[paths.aCkpt, 2], [paths.bCkpt, 0.5]]), output, progress: false });
    await expectWeightedSum(output, [paths.aCkpt, paths.bCkpt], [0.8, 0.2]);
    const config = JSON.parse(await readFile(join(output, "config.json"), "utf8")) as Record<string, unknown>;
    const base = JSON.parse(await readFile(join(paths.aCkpt, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ num_hidden_layers: 2, hidden_size: base.hidden_size, intermediate_size: base.intermediate_size, torch_dtype: "float32" });
    const card = await readFile(join(output, "README.md"), "utf8");
    expect(card).toContain("merge_method: linear");
    expect(card).toMatch(/weight 2, coefficient 0\.8/);
    expect(await listing(output)).toEqual(expect.arrayContaining(["config.json", "model.safetensors", "README.md", "tokenizer.gguf"]));
  });

  it("gives the same checkpoint from the GGUF versions of the models (the rope permutation commutes with the sum)", async () => {
    const fromGguf = join(dir, "from-gguf-ckpt");
    const fromCkpt = join(dir, "from-ckpt-ckpt");
    await mergeFromYaml({ configPath: await yamlFile("g2c", [[paths.a, 1], [paths.b, 2]]), output: fromGguf, progress: false });
    await mergeFromYaml({ configPath: await yamlFile("c2c", [[paths.aCkpt, 1], [paths.bCkpt, 2]]), output: fromCkpt, progress: false });
    const [x, y] = [await openCheckpoint(fromGguf), await openCheckpoint(fromCkpt)];
    try {
      expect(x.tensors.map((t) => t.name).sort()).toEqual(y.tensors.map((t) => t.name).sort());
      for (const tensor of y.tensors) expect(Buffer.from(await x.readTensor(tensor.name)).equals(Buffer.from(await y.readTensor(tensor.name))), tensor.name).toBe(true);
    } finally {
      await Promise.all([x.close(), y.close()]);
    }
  });
});

describe("linear merge refusals, before anything is written", () => {
  it("refuses models whose tensor shapes differ, with the table of differences", async () => {
    const folder = join(dir, "refused-shapes");
    await mkdir(folder);
    const error = await mergeFromYaml({ configPath: await yamlFile("shapes", [[paths.a, 1], [paths.wide, 1]]), output: join(folder, "out.gguf"), progress: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleTensorsError);
    expect((error as Error).message).toMatch(/blk\.0\.ffn_up\.weight\s+F32 \[128, 64\]\s+F32 \[256, 64\]/);
    expect(await listing(folder)).toEqual([]);
  });

  it("refuses quantized GGUF inputs, pointing at dequantization", async () => {
    const folder = join(dir, "refused-quantized");
    await mkdir(folder);
    const error = await mergeFromYaml({ configPath: await yamlFile("quantized", [[paths.qa, 1], [paths.qb, 1]]), output: join(folder, "out.gguf"), progress: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedConversionError);
    expect((error as Error).message).toMatch(/Q8_0/);
    expect((error as UnsupportedConversionError).hint).toMatch(/dequantization/);
    expect(await listing(folder)).toEqual([]);
  });
});

describe("dusk merge with a linear YAML", () => {
  const cli = runCli;


  it("prints the plan of a dry run with the coefficients and writes nothing", async () => {
    const output = join(dir, "dry.gguf");
    const result = await cli("merge", await yamlFile("dry", [[paths.a, 1], [paths.b, 1]]), "-o", output, "--dry-run");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/blk\.1\.ffn_down\.weight\s+←\s+0\.5×\S+a\.gguf \+ 0\.5×\S+b\.gguf/);
    expect(result.stdout).toMatch(/dry run: linear merge of 2 models, 2 layers/);
    expect(await listing(dir)).not.toContain("dry.gguf");
  });

  it("prints a refusal as one error line and a hint", async () => {
    const result = await cli("merge", await yamlFile("cli-shapes", [[paths.a, 1], [paths.wide, 1]]), "-o", join(dir, "never.gguf"));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^dusk: error: expected models with identical tensor names, shapes and types/);
    expect(result.stderr).toMatch(/\n {2}hint: a linear merge averages models of one size/);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
