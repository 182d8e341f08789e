// Linear merges without files: the mergekit YAML (weights, normalize, dtype) and its refusals, the planner on
// hand-built donors (coefficients, tensor order, output types, the table of differing tensors, quantized and
// mixed-format refusals), and the streamed weighted sum against an independent decoding of F32/F16/BF16 bytes.
import { describe, expect, it } from "vitest";
import { llamaTensors } from "../arch/index.js";
import { ggmlTensorBytes, requireGgmlType } from "../formats/index.js";
import { linearCoefficients, linearConfig, parseMergeYaml, type LinearConfig, type MergeConfig } from "./config.js";
import { IncompatibleDonorsError, IncompatibleTensorsError, MergeConfigError, UnsupportedConversionError } from "./errors.js";
import { mixTensor } from "./mix.js";
import { planMerge, planRows, type Donor } from "./plan.js";

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error but nothing was thrown");
}

function configError(action: () => unknown): MergeConfigError {
  const error = thrown(action);
  expect(error).toBeInstanceOf(MergeConfigError);
  return error as MergeConfigError;
}

function linear(config: MergeConfig): LinearConfig {
  if (config.method !== "linear") throw new Error(`expected a linear configuration but got ${config.method}`);
  return config;
}

const TWO_MODELS = `models:
  - model: a.gguf
    parameters:
      weight: 0.3
  - model: b.gguf
    parameters:
      weight: 0.9
merge_method: linear
`;

describe("parseMergeYaml: merge_method linear", () => {
  it("reads models and weights, normalizing by default as mergekit does", () => {
    const config = linear(parseMergeYaml(TWO_MODELS));
    expect(config.models).toEqual([
      { model: "a.gguf", weight: 0.3 },
      { model: "b.gguf", weight: 0.9 },
    ]);
    expect(config.normalize).toBe(true);
    expect(config.dtype).toBeUndefined();
    const [ca, cb] = linearCoefficients(config);
    expect(ca).toBeCloseTo(0.25, 15);
    expect(cb).toBeCloseTo(0.75, 15);
  });

  it("uses the weights as they are with normalize: false, and reads dtype", () => {
    const config = linear(parseMergeYaml(`${TWO_MODELS}parameters:\n  normalize: false\ndtype: bfloat16\n`));
    expect(config.normalize).toBe(false);
    expect(config.dtype).toBe("bfloat16");
    expect(linearCoefficients(config)).toEqual([0.3, 0.9]);
  });

  it("takes a top-level weight as the default of models without one", () => {
    const config = linear(parseMergeYaml("models:\n  - model: a.gguf\n  - model: b.gguf\n    parameters: {weight: 3}\nmerge_method: linear\nparameters: {weight: 1}\n"));
    expect(config.models.map((m) => m.weight)).toEqual([1, 3]);
    expect(linearCoefficients(config)).toEqual([0.25, 0.75]);
  });

  it("records the configuration as YAML that reads back to the same models, weights, normalize and dtype", () => {
    for (const text of [TWO_MODELS, `${TWO_MODELS}parameters:\n  normalize: false\ndtype: float16\n`, 'models: [{model: "dir: x/m.gguf", parameters: {weight: 1e-7}}, {model: b, parameters: {weight: -2}}]\nmerge_method: linear\nparameters: {normalize: false}\n']) {
      const config = linear(parseMergeYaml(text));
      const again = linear(parseMergeYaml(config.yaml));
      expect(again.models).toEqual(config.models);
      expect(again.normalize).toBe(config.normalize);
      expect(again.dtype).toBe(config.dtype);
      expect(config.yaml).toMatch(/merge_method: linear/);
    }
  });

  it("refuses a model without a weight, naming the model", () => {
    const error = configError(() => parseMergeYaml("models:\n  - model: a.gguf\n    parameters: {weight: 1}\n  - model: b.gguf\nmerge_method: linear\n"));
    expect(error.message).toMatch(/weight for model 1 \(b\.gguf\)/);
    expect(error.hint).toMatch(/parameters: \{weight/);
  });

  it("refuses mergekit's per-filter and gradient weights, naming the field", () => {
    for (const weight of ["[0.1, 0.9]", "[{filter: self_attn, value: 0.5}, {value: 1}]", '"half"']) {
      const error = configError(() => parseMergeYaml(`models:\n  - model: a.gguf\n    parameters: {weight: ${weight}}\nmerge_method: linear\n`));
      expect(error.message, weight).toContain("models.0.parameters.weight");
      expect(error.message).toMatch(/one finite number/);
    }
  });

  it("refuses unknown keys at each level and lists what is supported there", () => {
    const top = configError(() => parseMergeYaml(`${TWO_MODELS}tokenizer_source: union\n`));
    expect(top.message).toMatch(/"tokenizer_source"/);
    for (const key of ["models", "parameters", "dtype"]) expect(top.message).toContain(key);
    expect(configError(() => parseMergeYaml(`${TWO_MODELS}parameters: {density: 0.5}\n`)).message).toMatch(/"density".*normalize, weight/);
    expect(configError(() => parseMergeYaml("models:\n  - model: a.gguf\n    layer_range: [0, 4]\n    parameters: {weight: 1}\nmerge_method: linear\n")).message).toMatch(/"layer_range".*model, parameters/);
  });

  it("refuses slices with linear, and models with passthrough, pointing at the other layout", () => {
    const slices = configError(() => parseMergeYaml("slices:\n  - sources: [{model: a.gguf, layer_range: [0, 4]}]\nmerge_method: linear\n"));
    expect(slices.message).toMatch(/"models" for a linear merge but got "slices"/);
    const models = configError(() => parseMergeYaml("models:\n  - model: a.gguf\nmerge_method: passthrough\n"));
    expect(models.hint).toMatch(/merge_method: linear/);
  });

  it("refuses no models, a model listed twice, and weights summing to 0 when normalizing", () => {
    expect(configError(() => parseMergeYaml("models: []\nmerge_method: linear\n")).message).toMatch(/models/);
    expect(configError(() => parseMergeYaml("models: [{model: a, parameters: {weight: 1}}, {model: a, parameters: {weight: 2}}]\nmerge_method: linear\n")).message).toMatch(/"a" is listed twice/);
    const zero = configError(() => parseMergeYaml("models: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: -1}}]\nmerge_method: linear\n"));
    expect(zero.message).toMatch(/sum to 0/);
    expect(zero.hint).toMatch(/normalize: false/);
    expect(linear(parseMergeYaml("models: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: -1}}]\nmerge_method: linear\nparameters: {normalize: false}\n")).models).toHaveLength(2);
  });

  it("lists linear among the supported methods when refusing another one", () => {
    const error = configError(() => parseMergeYaml("models: [{model: a}]\nmerge_method: slerp\n"));
    expect(error.message).toMatch(/passthrough, linear/);
    expect(error.message).toContain('"slerp"');
  });
});

/** A hand-built donor: a small Llama's tensors (names, shapes, byte sizes) as donors.ts would describe them. */
function makeDonor({ ref, format = "gguf", ffn = 128, layers = 2, type = "F32", architecture = "llama", tied = false }: { ref: string; format?: Donor["format"]; ffn?: number; layers?: number; type?: string; architecture?: string; tied?: boolean }): Donor {
  const config = { layers, hidden: 64, heads: 4, kvHeads: 2, ffn, vocab: 100, context: 512, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: tied };
  const tensors = llamaTensors(config).map((tensor) => {
    const tensorType = tensor.shape.length === 1 ? "F32" : type;
    const bytes = ggmlTensorBytes(requireGgmlType(tensorType, "test"), [...tensor.shape].reverse());
    if (typeof bytes === "string") throw new Error(bytes);
    return { name: format === "gguf" ? tensor.gguf : tensor.hf, type: tensorType, shape: tensor.shape, byteLength: bytes };
  });
  return { ref, format, architecture, layers, hidden: 64, heads: 4, kvHeads: 2, vocab: 100, tokenizerDigest: "t".repeat(64), tensors };
}

const config = (refs: readonly string[], weights: readonly number[], options: { normalize?: boolean; dtype?: LinearConfig["dtype"] } = {}): LinearConfig =>
  linearConfig({ models: refs.map((model, i) => ({ model, weight: weights[i]! })), ...options });

describe("planMerge: linear", () => {
  it("plans every tensor of the first model, in its order, as the weighted sum of the same tensor of each model", () => {
    const [a, b] = [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "b.gguf" })];
    // Donors in another order than the configuration: coefficients follow the configuration.
    const plan = planMerge(config(["a.gguf", "b.gguf"], [2, 6]), [b, a], "gguf");
    expect(plan.tensors.map((t) => t.output)).toEqual(a.tensors.map((t) => t.name));
    for (const step of plan.tensors) {
      expect(step.source).toBe(step.output);
      expect(step.donor).toBe(1);
      expect(step.mix).toEqual([
        { donor: 1, weight: 0.25 },
        { donor: 0, weight: 0.75 },
      ]);
      expect(step.type).toBe(step.sourceType);
      expect(step.bytes).toBe(step.sourceBytes);
      expect(step.permute).toBeUndefined();
    }
    expect(plan.tensors.find((t) => t.output === "blk.1.ffn_up.weight")?.layer).toBe(1);
    expect(plan.layerMap).toEqual([
      { donor: 1, layer: 0 },
      { donor: 1, layer: 1 },
    ]);
    expect(plan.totalBytes).toBe(a.tensors.reduce((sum, t) => sum + t.byteLength, 0));
    expect(planRows(plan)[0]?.slice(0, 4)).toEqual(["token_embd.weight", "←", "0.25×a.gguf + 0.75×b.gguf", "token_embd.weight"]);
  });

  it("uses the weights unchanged without normalize", () => {
    const plan = planMerge(config(["a.gguf", "b.gguf"], [0.7, 0.6], { normalize: false }), [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "b.gguf" })], "gguf");
    expect(plan.tensors[0]?.mix?.map((t) => t.weight)).toEqual([0.7, 0.6]);
  });

  it("writes the dtype: every tensor in safetensors, matrices only in GGUF (norms stay F32)", () => {
    const donors = [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "b.gguf" })];
    const gguf = planMerge(config(["a.gguf", "b.gguf"], [1, 1], { dtype: "float16" }), donors, "gguf");
    expect(gguf.tensors.find((t) => t.output === "blk.0.attn_q.weight")).toMatchObject({ sourceType: "F32", type: "F16", bytes: 64 * 64 * 2 });
    expect(gguf.tensors.find((t) => t.output === "blk.0.attn_norm.weight")).toMatchObject({ type: "F32", bytes: 64 * 4 });
    const st = planMerge(config(["a.gguf", "b.gguf"], [1, 1], { dtype: "bfloat16" }), donors, "safetensors");
    expect(st.tensors.find((t) => t.output === "model.layers.0.input_layernorm.weight")).toMatchObject({ type: "BF16", bytes: 64 * 2 });
    expect(st.tensors.find((t) => t.output === "model.layers.0.self_attn.k_proj.weight")).toMatchObject({ source: "blk.0.attn_k.weight", type: "BF16", permute: { kind: "to-hf", heads: 2 } });
  });

  it("refuses models whose tensor shapes differ, with a table of the differing tensors", () => {
    const error = thrown(() => planMerge(config(["a.gguf", "wide.gguf"], [1, 1]), [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "wide.gguf", ffn: 256 })], "gguf"));
    expect(error).toBeInstanceOf(IncompatibleTensorsError);
    const lines = (error as Error).message.split("\n");
    expect(lines[1]).toMatch(/^ {2}tensor\s+a\.gguf\s+wide\.gguf$/);
    const gate = lines.find((line) => line.includes("blk.0.ffn_gate.weight"));
    expect(gate).toMatch(/F32 \[128, 64\]\s+F32 \[256, 64\]/);
    expect(lines.filter((line) => /blk\.\d\.ffn_(gate|up|down)/.test(line))).toHaveLength(6);
    expect((error as Error).message).not.toMatch(/attn_q/);
  });

  it("refuses a missing tensor (different depths, tied embeddings) and cuts a long table short", () => {
    const deeper = thrown(() => planMerge(config(["a.gguf", "deep.gguf"], [1, 1]), [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "deep.gguf", layers: 6 })], "gguf"));
    expect(deeper).toBeInstanceOf(IncompatibleTensorsError);
    expect((deeper as Error).message).toMatch(/blk\.2\.attn_q\.weight\s+missing\s+F32 \[64, 64\]/);
    expect((deeper as Error).message).toMatch(/… and \d+ more tensors differ/);
    const tied = thrown(() => planMerge(config(["a.gguf", "tied.gguf"], [1, 1]), [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "tied.gguf", tied: true })], "gguf"));
    expect((tied as Error).message).toMatch(/output\.weight\s+F32 \[100, 64\]\s+missing/);
  });

  it("refuses a differing architecture with checkDonors' table, and models in two formats", () => {
    expect(thrown(() => planMerge(config(["a.gguf", "b.gguf"], [1, 1]), [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "b.gguf", architecture: "mistral" })], "gguf"))).toBeInstanceOf(IncompatibleDonorsError);
    const formats = thrown(() => planMerge(config(["a.gguf", "ckpt"], [1, 1]), [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "ckpt", format: "safetensors" })], "gguf"));
    expect(formats).toBeInstanceOf(MergeConfigError);
    expect((formats as Error).message).toMatch(/one format.*a\.gguf \(GGUF\), ckpt \(safetensors checkpoint\)/);
  });

  it("refuses quantized tensors: averaging blocks would need dequantization", () => {
    const donors = [makeDonor({ ref: "a.gguf", type: "Q8_0" }), makeDonor({ ref: "b.gguf", type: "Q8_0" })];
    const error = thrown(() => planMerge(config(["a.gguf", "b.gguf"], [1, 1]), donors, "gguf"));
    expect(error).toBeInstanceOf(UnsupportedConversionError);
    expect((error as Error).message).toMatch(/"token_embd\.weight" is Q8_0/);
    expect((error as UnsupportedConversionError).hint).toMatch(/dequantization/);
  });

  it("refuses a model that was not opened", () => {
    expect(configError(() => planMerge(config(["a.gguf", "c.gguf"], [1, 1]), [makeDonor({ ref: "a.gguf" })], "gguf")).message).toMatch(/"c\.gguf", which was not opened/);
  });
});

// Independent decoders (not the formats layer's): IEEE half and bfloat16 bit patterns to numbers.
function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? Number.NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function bfloatValue(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16);
  return view.getFloat32(0);
}

/** Random elements of one type as little-endian bytes, and their values. */
function randomTensor(type: "F32" | "F16" | "BF16", count: number, seed: number): { bytes: Uint8Array; values: number[] } {
  let state = seed;
  const next = (): number => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2;
  const size = type === "F32" ? 4 : 2;
  const bytes = new Uint8Array(count * size);
  const view = new DataView(bytes.buffer);
  const scratch = new DataView(new ArrayBuffer(4));
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    if (type === "F32") {
      view.setFloat32(i * 4, next(), true);
      values.push(view.getFloat32(i * 4, true));
    } else {
      // F16: random finite bit patterns (exponent below all-ones, so up to ±65504, subnormals included);
      // BF16: the upper half of a random float32 in [-2, 2).
      const raw = Math.floor(((next() + 2) / 4) * 0x10000) & 0xffff;
      scratch.setFloat32(0, next());
      const bits = type === "F16" ? (raw & 0x7bff) | (raw & 0x8000) : scratch.getUint32(0) >>> 16;
      view.setUint16(i * 2, bits, true);
      values.push(type === "F16" ? halfValue(bits) : bfloatValue(bits));
    }
  }
  return { bytes, values };
}

/** Yields `bytes` in chunks of the given sizes, reusing one buffer as readers may. */
async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  const buffer = new Uint8Array(size);
  for (let at = 0; at < bytes.length; at += size) {
    const piece = bytes.subarray(at, at + size);
    buffer.set(piece);
    await Promise.resolve();
    yield buffer.subarray(0, piece.length);
  }
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Float32Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk.slice());
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return new Float32Array(all.buffer);
}

describe("mixTensor", () => {
  it("streams Σ cᵢ·xᵢ of F32, F16 and BF16 inputs with unaligned chunk sizes, over several blocks (1e-6 relative)", async () => {
    const count = 10_007;
    const inputs = [
      { ...randomTensor("F32", count, 1), type: "F32" as const, weight: 0.5, chunk: 4099 },
      { ...randomTensor("F16", count, 2), type: "F16" as const, weight: -0.25, chunk: 333 },
      { ...randomTensor("BF16", count, 3), type: "BF16" as const, weight: 1.75, chunk: 8192 },
    ];
    const out = await collect(mixTensor({ inputs: inputs.map((i) => ({ chunks: chunked(i.bytes, i.chunk), type: i.type, weight: i.weight })), elements: count, blockElements: 1000 }));
    expect(out).toHaveLength(count);
    let worst = { error: 0, element: -1 };
    for (let e = 0; e < count; e++) {
      const expected = inputs.reduce((sum, i) => sum + i.weight * i.values[e]!, 0);
      const error = Math.abs(out[e]! - expected) / Math.max(Math.abs(expected), 1e-30);
      if (!(error <= worst.error)) worst = { error, element: e };
    }
    expect(worst.error, `element ${worst.element}`).toBeLessThanOrEqual(1e-6);
  });

  it("fails when an input ends early, naming the bytes it got", async () => {
    const short = randomTensor("F32", 10, 4).bytes;
    await expect(collect(mixTensor({ inputs: [{ chunks: chunked(short, 16), type: "F32", weight: 1 }], elements: 12 }))).rejects.toThrow(/expected 48 more bytes .* ended after 40/);
  });
});
