// Planning without files: donors built by hand from the Llama architecture data, then the layer map, the tensor
// order, range checks, donor compatibility (with the table of differences), duplicate outputs and format refusals.
import { describe, expect, it } from "vitest";
import { llamaTensors, type LlamaConfig } from "../arch/index.js";
import { ggmlTensorBytes, requireGgmlType } from "../formats/index.js";
import { parseMergeYaml, upscaleConfig, type MergeConfig } from "./config.js";
import { IncompatibleDonorsError, MergeConfigError, UnsupportedConversionError } from "./errors.js";
import { checkDonors, planMerge, planRows, type Donor } from "./plan.js";

/** What a hand-built donor differs in; everything else is a small 32-layer Llama. */
interface DonorSpec {
  ref: string;
  format?: Donor["format"];
  architecture?: string;
  layers?: number;
  hidden?: number;
  heads?: number;
  kvHeads?: number;
  vocab?: number;
  /** Type of the weight matrices (norms stay F32). */
  type?: string;
  tokenizerDigest?: string;
}

function configOf({ layers = 32, hidden = 64, heads = 4, kvHeads = 2, vocab = 100 }: DonorSpec): LlamaConfig {
  return { layers, hidden, heads, kvHeads, ffn: 2 * hidden, vocab, context: 512, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false };
}

/** A donor as donors.ts would describe a file with these facts; tensor names and sizes from arch/ and the ggml table. */
function makeDonor(spec: DonorSpec): Donor {
  const { ref, format = "gguf", architecture = "llama", type = "F32", tokenizerDigest = "a".repeat(64) } = spec;
  const config = configOf(spec);
  const tensors = llamaTensors(config).map((tensor) => {
    const tensorType = tensor.shape.length === 1 ? "F32" : type;
    const bytes = ggmlTensorBytes(requireGgmlType(tensorType, "test"), [...tensor.shape].reverse());
    if (typeof bytes === "string") throw new Error(bytes);
    return { name: format === "gguf" ? tensor.gguf : tensor.hf, type: tensorType, shape: tensor.shape, byteLength: bytes };
  });
  return { ref, format, architecture, layers: config.layers, hidden: config.hidden, heads: config.heads, kvHeads: config.kvHeads, vocab: config.vocab, tokenizerDigest, tensors };
}

/** Layer tensor names of a Llama layer, as templates with `{n}` (independent of the planner). */
const LAYER_TENSORS = llamaTensors({ ...configOf({ ref: "" }), layers: 1 })
  .filter((t) => t.layer === 0)
  .map((t) => t.gguf.replace("blk.0.", "blk.{n}."));

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error but nothing was thrown");
}

const interleave = (a: string, b: string): MergeConfig =>
  parseMergeYaml(`slices:
  - sources: [{model: ${a}, layer_range: [0, 16]}]
  - sources: [{model: ${b}, layer_range: [8, 24]}]
  - sources: [{model: ${a}, layer_range: [16, 32]}]
merge_method: passthrough
`);

describe("planMerge: the SOLAR recipe (m = 8 on 32 layers)", () => {
  const donor = makeDonor({ ref: "base.gguf" });
  const plan = planMerge(upscaleConfig({ model: "base.gguf", layers: 32, m: 8 }), [donor], "gguf");

  it("maps output layer i to source layer i below 24 and i - 16 from 24 on (48 layers)", () => {
    expect(plan.layerMap).toHaveLength(48);
    plan.layerMap.forEach((entry, i) => expect(entry).toEqual({ donor: 0, layer: i < 24 ? i : i - 16 }));
    expect(plan.layerMap[24]).toEqual({ donor: 0, layer: 8 });
    expect(plan.layerMap[47]).toEqual({ donor: 0, layer: 31 });
  });

  it("orders tensors as llama.cpp does: token embedding, 48 layers in order, final norm and output head", () => {
    const expected = llamaTensors({ ...configOf({ ref: "" }), layers: 48 }).map((t) => t.gguf);
    expect(plan.tensors.map((t) => t.output)).toEqual(expected);
    expect(plan.tensors).toHaveLength(3 + 48 * LAYER_TENSORS.length);
  });

  it("takes each output layer tensor from the same tensor of its source layer, unchanged", () => {
    for (let layer = 0; layer < 48; layer++) {
      const source = layer < 24 ? layer : layer - 16;
      for (const template of LAYER_TENSORS) {
        const step = plan.tensors.find((t) => t.output === template.replace("{n}", String(layer)));
        expect(step?.source).toBe(template.replace("{n}", String(source)));
        expect(step?.layer).toBe(layer);
      }
    }
    expect(plan.tensors.find((t) => t.output === "blk.24.attn_q.weight")?.source).toBe("blk.8.attn_q.weight");
    expect(plan.tensors.find((t) => t.output === "blk.47.ffn_down.weight")?.source).toBe("blk.31.ffn_down.weight");
    for (const name of ["token_embd.weight", "output_norm.weight", "output.weight"]) {
      expect(plan.tensors.find((t) => t.output === name)).toMatchObject({ source: name, layer: undefined });
    }
  });

  it("copies every tensor as is (same type and bytes, no rope permutation) and sums the bytes", () => {
    const sourceBytes = new Map(donor.tensors.map((t) => [t.name, t.byteLength]));
    for (const step of plan.tensors) {
      expect(step.donor).toBe(0);
      expect(step.type).toBe(step.sourceType);
      expect(step.bytes).toBe(sourceBytes.get(step.source));
      expect(step.sourceBytes).toBe(step.bytes);
      expect(step.permute).toBeUndefined();
    }
    const layerBytes = donor.tensors.filter((t) => t.name.startsWith("blk.0.")).reduce((sum, t) => sum + t.byteLength, 0);
    const globalBytes = donor.tensors.filter((t) => !t.name.startsWith("blk.")).reduce((sum, t) => sum + t.byteLength, 0);
    expect(plan.totalBytes).toBe(globalBytes + 48 * layerBytes);
  });

  it("prints rows for --dry-run: output ← model, source, type, bytes", () => {
    const rows = planRows(plan);
    expect(rows).toHaveLength(plan.tensors.length);
    const row = rows.find((r) => r[0] === "blk.24.attn_q.weight");
    expect(row?.slice(0, 6)).toEqual(["blk.24.attn_q.weight", "←", "base.gguf", "blk.8.attn_q.weight", "F32", String(64 * 64 * 4)]);
  });
});

describe("planMerge: other slicings", () => {
  it("reproduces the names and order of the source with the identity slicing 0-n", () => {
    const donor = makeDonor({ ref: "m.gguf", type: "Q8_0" });
    const plan = planMerge(upscaleConfig({ model: "m.gguf", layers: 32, layerList: "0-32" }), [donor], "gguf");
    expect(plan.tensors.map((t) => t.output)).toEqual(donor.tensors.map((t) => t.name));
    expect(plan.tensors.map((t) => t.source)).toEqual(donor.tensors.map((t) => t.name));
    expect(plan.tensors.map((t) => t.type)).toEqual(donor.tensors.map((t) => t.type));
    expect(plan.totalBytes).toBe(donor.tensors.reduce((sum, t) => sum + t.byteLength, 0));
  });

  it("keeps globals where the source has them (before or after the layers) under the identity slicing", () => {
    const donor = makeDonor({ ref: "m.gguf", layers: 4 });
    const output = donor.tensors.find((t) => t.name === "output.weight")!;
    const reordered: Donor = { ...donor, tensors: [output, ...donor.tensors.filter((t) => t !== output)] };
    const plan = planMerge(upscaleConfig({ model: "m.gguf", layers: 4, layerList: "0-4" }), [reordered], "gguf");
    expect(plan.tensors.map((t) => t.output)).toEqual(reordered.tensors.map((t) => t.name));
  });

  it("stacks three overlapping slices 0-16, 8-24, 16-32", () => {
    const plan = planMerge(upscaleConfig({ model: "m.gguf", layers: 32, layerList: "0-16,8-24,16-32" }), [makeDonor({ ref: "m.gguf" })], "gguf");
    expect(plan.layerMap.map((e) => e.layer)).toEqual([...Array.from({ length: 16 }, (_, i) => i), ...Array.from({ length: 16 }, (_, i) => 8 + i), ...Array.from({ length: 16 }, (_, i) => 16 + i)]);
  });

  it("interleaves two compatible donors, with globals from the first slice's model", () => {
    const a = makeDonor({ ref: "a.gguf" });
    const b = makeDonor({ ref: "b.gguf" });
    const plan = planMerge(interleave("a.gguf", "b.gguf"), [a, b], "gguf");
    expect(plan.layerMap).toHaveLength(48);
    expect(plan.layerMap[15]).toEqual({ donor: 0, layer: 15 });
    expect(plan.layerMap[16]).toEqual({ donor: 1, layer: 8 });
    expect(plan.layerMap[31]).toEqual({ donor: 1, layer: 23 });
    expect(plan.layerMap[32]).toEqual({ donor: 0, layer: 16 });
    expect(plan.tensors.find((t) => t.output === "blk.20.ffn_up.weight")).toMatchObject({ donor: 1, source: "blk.12.ffn_up.weight" });
    for (const name of ["token_embd.weight", "output_norm.weight", "output.weight"]) expect(plan.tensors.find((t) => t.output === name)?.donor).toBe(0);
  });

  it("takes the globals from the second donor when the first slice is from it", () => {
    const plan = planMerge(interleave("b.gguf", "a.gguf"), [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "b.gguf" })], "gguf");
    expect(plan.tensors[0]).toMatchObject({ output: "token_embd.weight", donor: 1 });
  });
});

describe("planMerge: refusals before anything is written", () => {
  it("refuses a slice that ends past the model's layers, naming the count", () => {
    const donor = makeDonor({ ref: "m.gguf" });
    for (const layerList of ["0-33", "0-24,8-40", "32-48"]) {
      const error = thrown(() => planMerge(upscaleConfig({ model: "m.gguf", layers: 32, layerList }), [donor], "gguf"));
      expect(error).toBeInstanceOf(MergeConfigError);
      expect((error as MergeConfigError).message).toContain("32 layers of m.gguf");
    }
  });

  it("refuses a slice of a model that is not among the donors", () => {
    const error = thrown(() => planMerge(interleave("a.gguf", "c.gguf"), [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "b.gguf" })], "gguf"));
    expect(error).toBeInstanceOf(MergeConfigError);
    expect((error as Error).message).toContain('"c.gguf"');
  });

  it("refuses a donor that lacks a layer's tensors", () => {
    const donor = makeDonor({ ref: "m.gguf" });
    const broken: Donor = { ...donor, tensors: donor.tensors.filter((t) => !t.name.startsWith("blk.30.")) };
    const error = thrown(() => planMerge(upscaleConfig({ model: "m.gguf", layers: 32, m: 8 }), [broken], "gguf"));
    expect(error).toBeInstanceOf(MergeConfigError);
    expect((error as Error).message).toContain("layer 30");
  });

  it("refuses a plan that would write one tensor twice", () => {
    const donor = makeDonor({ ref: "m.gguf", layers: 4 });
    const doubled: Donor = { ...donor, tensors: [...donor.tensors, donor.tensors.find((t) => t.name === "output_norm.weight")!] };
    const error = thrown(() => planMerge(upscaleConfig({ model: "m.gguf", layers: 4, m: 1 }), [doubled], "gguf"));
    expect(error).toBeInstanceOf(MergeConfigError);
    expect((error as Error).message).toContain('"output_norm.weight" twice');
  });

  const differences: [string, DonorSpec][] = [
    ["architecture", { ref: "b.gguf", architecture: "qwen2" }],
    ["hidden size", { ref: "b.gguf", hidden: 128 }],
    ["attention heads", { ref: "b.gguf", heads: 8 }],
    ["KV heads", { ref: "b.gguf", kvHeads: 4 }],
    ["vocabulary", { ref: "b.gguf", vocab: 120 }],
    ["tokenizer", { ref: "b.gguf", tokenizerDigest: "b".repeat(64) }],
  ];

  for (const [field, spec] of differences) {
    it(`refuses donors whose ${field} differs, with a table naming the field and both models`, () => {
      const a = makeDonor({ ref: "a.gguf" });
      const b = makeDonor(spec);
      const error = thrown(() => planMerge(interleave("a.gguf", "b.gguf"), [a, b], "gguf"));
      expect(error).toBeInstanceOf(IncompatibleDonorsError);
      const { message, hint } = error as IncompatibleDonorsError;
      const lines = message.split("\n");
      const header = lines.find((line) => line.trim().startsWith("model"));
      expect(header).toContain(field);
      for (const [other] of differences) if (other !== field && !field.includes(other) && !other.includes(field)) expect(header).not.toContain(other);
      const rowA = lines.find((line) => line.trim().startsWith("a.gguf"));
      const rowB = lines.find((line) => line.trim().startsWith("b.gguf"));
      expect(rowA).toBeDefined();
      expect(rowB).toBeDefined();
      expect(rowA).not.toBe(rowB?.replace("b.gguf", "a.gguf"));
      expect(hint).toBeTruthy();
    });
  }

  it("lists every differing field at once, with each donor's values", () => {
    const a = makeDonor({ ref: "org/model-a" });
    const b = makeDonor({ ref: "org/model-b", hidden: 96, heads: 6, kvHeads: 3, vocab: 150, tokenizerDigest: "c".repeat(64) });
    const error = thrown(() => checkDonors([a, b]));
    expect(error).toBeInstanceOf(IncompatibleDonorsError);
    const message = (error as Error).message;
    for (const field of ["hidden size", "attention heads", "KV heads", "vocabulary", "tokenizer"]) expect(message).toContain(field);
    const header = message.split("\n").find((line) => line.trim().startsWith("model"))!;
    expect(header.split(/\s{2,}/).filter(Boolean)).toEqual(["model", "hidden size", "attention heads", "KV heads", "vocabulary", "tokenizer"]);
    const rowB = message.split("\n").find((line) => line.includes("org/model-b"))!;
    expect(rowB.split(/\s+/).filter(Boolean)).toEqual(["org/model-b", "96", "6", "3", "150", "c".repeat(12)]);
  });

  it("accepts donors with equal facts, and a single donor whatever it is", () => {
    expect(() => checkDonors([makeDonor({ ref: "a" }), makeDonor({ ref: "b" }), makeDonor({ ref: "c" })])).not.toThrow();
    expect(() => checkDonors([makeDonor({ ref: "a", architecture: "anything" })])).not.toThrow();
  });

  it("ignores a differing donor that no slice uses", () => {
    const config = upscaleConfig({ model: "a.gguf", layers: 32, m: 8 });
    expect(() => planMerge(config, [makeDonor({ ref: "a.gguf" }), makeDonor({ ref: "b.gguf", hidden: 128 })], "gguf")).not.toThrow();
  });
});

describe("planMerge: output formats", () => {
  for (const type of ["Q8_0", "Q4_K", "Q2_K"]) {
    it(`refuses ${type} GGUF → safetensors (dusk never re-quantizes)`, () => {
      const donor = makeDonor({ ref: "q.gguf", type, hidden: 256 });
      const error = thrown(() => planMerge(upscaleConfig({ model: "q.gguf", layers: 32, m: 8 }), [donor], "safetensors"));
      expect(error).toBeInstanceOf(UnsupportedConversionError);
      expect((error as Error).message).toContain(type);
      expect((error as UnsupportedConversionError).hint).toMatch(/\.gguf/);
    });
  }

  it("plans float GGUF → safetensors with HF names, the rope permutation on q and k, and the dtype", () => {
    const donor = makeDonor({ ref: "f.gguf", type: "F16" });
    const config = upscaleConfig({ model: "f.gguf", layers: 32, m: 8, dtype: "float32" });
    const plan = planMerge(config, [donor], "safetensors");
    const q = plan.tensors.find((t) => t.output === "model.layers.24.self_attn.q_proj.weight");
    expect(q).toMatchObject({ source: "blk.8.attn_q.weight", sourceType: "F16", type: "F32", permute: { kind: "to-hf", heads: 4 } });
    expect(q?.bytes).toBe(2 * q!.sourceBytes);
    expect(plan.tensors.find((t) => t.output === "model.layers.24.self_attn.k_proj.weight")?.permute).toEqual({ kind: "to-hf", heads: 2 });
    expect(plan.tensors.find((t) => t.output === "model.layers.24.self_attn.v_proj.weight")?.permute).toBeUndefined();
    expect(plan.tensors.map((t) => t.output)).toContain("lm_head.weight");
  });

  it("plans safetensors → GGUF with GGUF names and the inverse permutation", () => {
    const donor = makeDonor({ ref: "ckpt", format: "safetensors", type: "BF16" });
    const plan = planMerge(upscaleConfig({ model: "ckpt", layers: 32, m: 8 }), [donor], "gguf");
    expect(plan.tensors.find((t) => t.output === "blk.47.attn_k.weight")).toMatchObject({
      source: "model.layers.31.self_attn.k_proj.weight",
      type: "BF16",
      permute: { kind: "to-gguf", heads: 2 },
    });
    expect(plan.tensors[0]?.output).toBe("token_embd.weight");
  });
});
