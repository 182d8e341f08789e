// The whole model's gradient: the float64 reference model against central finite differences, then the engine on
// each backend against the reference model; native and WebAssembly agreement; errors on bad input.
import { describe, expect, it } from "vitest";
import type { LlamaConfig } from "../arch/index.js";
import { ModelConfigError, ModelInputError } from "./errors.js";
import { createModel, type LlamaModel } from "./model.js";
import { referenceLossAndGrads, type ReferenceBatch, type ReferenceParams } from "./reference-model.js";
import { Rng } from "./rng.js";
import { backendsUnderTest, relativeError } from "./testing.js";

const TINY: LlamaConfig = { layers: 2, hidden: 16, heads: 4, kvHeads: 2, ffn: 24, vocab: 32, context: 16, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false };
const TIED: LlamaConfig = { ...TINY, tiedEmbeddings: true };

/** A batch of random tokens whose targets are the next tokens, with one position ignored. */
function batchOf(rng: Rng, config: LlamaConfig, batchSize: number, seqLen: number): ReferenceBatch & { tokens: number[]; targets: number[] } {
  const stream = Array.from({ length: batchSize * (seqLen + 1) }, () => rng.int(config.vocab));
  const tokens: number[] = [], targets: number[] = [];
  for (let b = 0; b < batchSize; b++)
    for (let t = 0; t < seqLen; t++) {
      tokens.push(stream[b * (seqLen + 1) + t] as number);
      targets.push(stream[b * (seqLen + 1) + t + 1] as number);
    }
  targets[1] = -1;
  return { tokens, targets, batchSize, seqLen };
}

function referenceParams(model: LlamaModel): ReferenceParams {
  return new Map(model.tensors.map((t) => [t.name, Float64Array.from(t.data)]));
}

describe.each([["untied", TINY], ["tied", TIED]] as const)("the float64 reference model (%s embeddings)", (_, config) => {
  it("has gradients equal to central finite differences", () => {
    const rng = new Rng(3);
    const model = createModel(config, { seed: 11, backend: "wasm", initStd: 0.3 });
    const params = referenceParams(model);
    model.dispose();
    const batch = batchOf(rng, config, 2, 8);
    const { grads } = referenceLossAndGrads(config, params, batch);
    const h = 1e-5;
    let worst = 0;
    for (const [name, values] of params) {
      const grad = grads.get(name) as Float64Array;
      for (let s = 0; s < 6; s++) {
        const i = rng.int(values.length), keep = values[i] as number;
        values[i] = keep + h;
        const up = referenceLossAndGrads(config, params, batch).loss;
        values[i] = keep - h;
        const down = referenceLossAndGrads(config, params, batch).loss;
        values[i] = keep;
        worst = Math.max(worst, Math.abs((up - down) / (2 * h) - (grad[i] as number)));
      }
    }
    expect(worst).toBeLessThan(1e-8);
  });
});

describe.each(backendsUnderTest())("the engine model on the %s backend", (backend) => {
  it.each([["untied", TINY], ["tied", TIED]] as const)("matches the reference model's loss, logits and gradients (%s)", (_, config) => {
    const rng = new Rng(5);
    const model = createModel(config, { seed: 2, backend, initStd: 0.3 });
    const batch = batchOf(rng, config, 2, 8);
    const ref = referenceLossAndGrads(config, referenceParams(model), batch);
    const { loss, logits } = model.forward(batch);
    expect(Math.abs((loss as number) - ref.loss)).toBeLessThan(1e-5);
    expect(relativeError(logits, ref.logits)).toBeLessThan(1e-5);
    model.zeroGrad();
    model.backward();
    for (const tensor of model.tensors) {
      const error = relativeError(tensor.grad, ref.grads.get(tensor.name) as Float64Array);
      expect(error, tensor.name).toBeLessThan(1e-4);
    }
    model.dispose();
  });

  it("has a float32 directional derivative that matches finite differences", () => {
    const rng = new Rng(9);
    const model = createModel(TINY, { seed: 4, backend, initStd: 0.3 });
    const batch = batchOf(rng, TINY, 2, 8);
    model.zeroGrad();
    model.forward(batch);
    model.backward();
    const direction = Float32Array.from({ length: model.params.length }, () => rng.normal());
    let analytic = 0;
    for (let i = 0; i < direction.length; i++) analytic += (direction[i] as number) * (model.grads[i] as number);
    const start = Float32Array.from(model.params);
    const lossAt = (step: number): number => {
      for (let i = 0; i < start.length; i++) model.params[i] = (start[i] as number) + step * (direction[i] as number);
      return model.forward(batch).loss as number;
    };
    const h = 1e-3;
    const numeric = (lossAt(h) - lossAt(-h)) / (2 * h);
    expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(1e-2);
    model.dispose();
  });

  it("accumulates gradients: two half batches with gradScale 1/2 equal one batch", () => {
    const rng = new Rng(13);
    const whole = batchOf(rng, TINY, 2, 8);
    whole.targets = whole.targets.map((t) => (t < 0 ? 0 : t)); // equal target counts in both halves
    const half = (b: number): ReferenceBatch => ({ tokens: whole.tokens.slice(b * 8, b * 8 + 8), targets: whole.targets.slice(b * 8, b * 8 + 8), batchSize: 1, seqLen: 8 });
    const one = createModel(TINY, { seed: 1, backend });
    one.zeroGrad();
    one.forward(whole);
    one.backward();
    const two = createModel(TINY, { seed: 1, backend });
    two.zeroGrad();
    for (const b of [0, 1]) {
      two.forward(half(b));
      two.backward({ gradScale: 0.5 });
    }
    expect(relativeError(two.grads, one.grads)).toBeLessThan(1e-5);
    one.dispose();
    two.dispose();
  });

  it("refuses bad input with typed errors", () => {
    const model = createModel(TINY, { backend });
    expect(() => model.forward({ tokens: [1, 2, 3], batchSize: 1, seqLen: 4 })).toThrow(ModelInputError);
    expect(() => model.forward({ tokens: [1, 2, 32, 3], batchSize: 1, seqLen: 4 })).toThrow(/\[0, 32\)/);
    expect(() => model.forward({ tokens: [1, 2, 3, 4], targets: [1, 2, 3, -2], batchSize: 1, seqLen: 4 })).toThrow(/targets/);
    model.forward({ tokens: [1, 2, 3, 4], batchSize: 1, seqLen: 4 });
    expect(() => model.backward()).toThrow(/forward\(\) with targets/);
    expect(() => model.tensor("blk.9.attn_q.weight")).toThrow(ModelInputError);
    model.dispose();
  });

  it("reports its memory", () => {
    const model = createModel(TINY, { backend });
    const params = model.parameterCount;
    expect(params).toBe(32 * 16 + 2 * (16 + 16 * 16 + 2 * 8 * 16 + 16 * 16 + 16 + 3 * 24 * 16) + 16 + 32 * 16);
    const before = model.memoryReport();
    expect(before.parameters).toBe(params * 4);
    expect(before.activations).toBe(0);
    model.forward(batchOf(new Rng(1), TINY, 2, 8));
    const after = model.memoryReport({ stateBytes: 8 * params });
    expect(after.activations).toBeGreaterThan(2 * 8 * TINY.vocab * 4); // at least the logits
    expect(after.total).toBe(after.parameters + after.gradients + after.activations + after.optimizer);
    expect(after.peak).toBeGreaterThanOrEqual(after.total);
    expect(after.rss).toBeGreaterThan(0);
    model.dispose();
  });
});

describe("model configuration", () => {
  it("refuses configurations the engine cannot build", () => {
    expect(() => createModel({ ...TINY, heads: 3 }, { backend: "wasm" })).toThrow(ModelConfigError);
    expect(() => createModel({ ...TINY, kvHeads: 3 }, { backend: "wasm" })).toThrow(/multiple of kvHeads/);
    expect(() => createModel({ ...TINY, hidden: 12, heads: 4 }, { backend: "wasm" })).toThrow(/even head dimension/);
  });

  it("names parameters as GGUF does, with the HF name and the rope permutation alongside", () => {
    const model = createModel(TINY, { backend: "wasm" });
    const q = model.tensor("blk.1.attn_q.weight");
    expect(q.hfName).toBe("model.layers.1.self_attn.q_proj.weight");
    expect(q.shape).toEqual([16, 16]);
    expect(q.permute).toBe("q");
    expect(model.tensor("blk.0.attn_k.weight").shape).toEqual([8, 16]);
    expect(model.tensor("output_norm.weight").decay).toBe(false);
    expect(model.tensors.map((t) => t.name)).toContain("output.weight");
    const tied = createModel(TIED, { backend: "wasm" });
    expect(tied.tensors.map((t) => t.name)).not.toContain("output.weight");
    tied.dispose();
    model.dispose();
  });
});

describe("tensors in Hugging Face layout", () => {
  it("applies the q/k rope permutation on the way in and undoes it on the way out", () => {
    const model = createModel(TINY, { backend: "wasm" });
    const hf = Float32Array.from({ length: 8 * 16 }, (_, i) => i); // k_proj: 2 KV heads of head dim 4, 16 columns
    model.setTensor("model.layers.0.self_attn.k_proj.weight", hf, { layout: "hf" });
    const gguf = model.tensor("blk.0.attn_k.weight").data;
    // HF rows of one head are [x0, x1 | y0, y1] (halves); GGUF interleaves them as [x0, y0, x1, y1]
    const row = (a: Float32Array, r: number): number => a[r * 16] as number;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((r) => row(gguf, r) / 16)).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    expect([...model.getTensor("blk.0.attn_k.weight", { layout: "hf" })]).toEqual([...hf]);
    expect([...model.getTensor("model.layers.0.self_attn.k_proj.weight")]).toEqual([...gguf]);
    const v = Float32Array.from({ length: 8 * 16 }, (_, i) => -i);
    model.setTensor("blk.0.attn_v.weight", v, { layout: "hf" }); // no permutation for v
    expect([...model.tensor("blk.0.attn_v.weight").data]).toEqual([...v]);
    expect(() => model.setTensor("blk.0.attn_v.weight", new Float32Array(3))).toThrow(ModelInputError);
    model.dispose();
  });

  it("gives next-token log-probabilities that are normalised and match the loss", () => {
    const model = createModel(TINY, { seed: 3, backend: "wasm", initStd: 0.3 });
    const batch = batchOf(new Rng(2), TINY, 1, 8);
    const loss = model.forward(batch).loss as number;
    const logp = model.logProbs(batch);
    let total = 0, count = 0;
    for (let n = 0; n < 8; n++) {
      const row = logp.subarray(n * TINY.vocab, (n + 1) * TINY.vocab);
      expect(row.reduce((a, b) => a + Math.exp(b), 0)).toBeCloseTo(1, 5);
      const t = batch.targets[n] as number;
      if (t >= 0) {
        total -= row[t] as number;
        count++;
      }
    }
    expect(total / count).toBeCloseTo(loss, 5);
    model.dispose();
  });
});
