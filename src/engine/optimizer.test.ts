// Training: the learning-rate schedule, clipping, AdamW's decoupled decay, determinism for a seed, exact resumption
// from exported state, agreement of the two backends over several steps, and a tiny model overfitting a sequence.
import { describe, expect, it } from "vitest";
import type { LlamaConfig } from "../arch/index.js";
import { isBackendAvailable } from "./backend.js";
import { createModel, type ModelBatch, type LlamaModel } from "./model.js";
import { AdamW, clipScale, lrSchedule, trainStep } from "./optimizer.js";
import { Rng } from "./rng.js";
import { backendsUnderTest, relativeError } from "./testing.js";

const TINY: LlamaConfig = { layers: 2, hidden: 16, heads: 4, kvHeads: 2, ffn: 24, vocab: 32, context: 32, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false };

/** A fixed sequence of B*T tokens with next-token targets. */
function sequenceBatch(seed: number, batchSize: number, seqLen: number, vocab = TINY.vocab): ModelBatch {
  const rng = new Rng(seed);
  const stream = Array.from({ length: batchSize * seqLen + 1 }, () => rng.int(vocab));
  return { tokens: stream.slice(0, -1), targets: stream.slice(1), batchSize, seqLen };
}

function train(model: LlamaModel, optimizer: AdamW, batch: ModelBatch, steps: number, from = 0): number[] {
  const losses: number[] = [];
  for (let s = from; s < from + steps; s++) {
    const lr = lrSchedule({ step: s, lr: 1e-2, warmupSteps: 5, totalSteps: 300 });
    losses.push(trainStep(model, optimizer, [batch], { lr, maxGradNorm: 1 }).loss);
  }
  return losses;
}

describe("lrSchedule and clipScale", () => {
  it("warms up linearly, then decays along a cosine to minLr", () => {
    const o = { lr: 1, warmupSteps: 10, totalSteps: 110, minLr: 0.1 };
    expect(lrSchedule({ ...o, step: 0 })).toBeCloseTo(0.1, 12);
    expect(lrSchedule({ ...o, step: 4 })).toBeCloseTo(0.5, 12);
    expect(lrSchedule({ ...o, step: 10 })).toBeCloseTo(1, 12);
    expect(lrSchedule({ ...o, step: 60 })).toBeCloseTo(0.55, 12); // halfway: (1 + 0.1) / 2
    expect(lrSchedule({ ...o, step: 110 })).toBeCloseTo(0.1, 12);
    expect(lrSchedule({ ...o, step: 500 })).toBeCloseTo(0.1, 12);
    expect(lrSchedule({ lr: 2, totalSteps: 10, step: 10 })).toBeCloseTo(0.2, 12); // minLr defaults to lr / 10
    expect(() => lrSchedule({ lr: 1, totalSteps: 0, step: 0 })).toThrow(/totalSteps/);
  });

  it("clips like PyTorch's clip_grad_norm_", () => {
    expect(clipScale(0.5, 1)).toBe(1);
    expect(clipScale(4, 1)).toBeCloseTo(0.25, 6);
  });
});

describe.each(backendsUnderTest())("training on the %s backend", (backend) => {
  it("decays matrices but not norm weights (decoupled weight decay)", () => {
    const model = createModel(TINY, { seed: 1, backend });
    const optimizer = new AdamW(model, { weightDecay: 0.5 });
    const q = Float32Array.from(model.tensor("blk.0.attn_q.weight").data);
    model.zeroGrad();
    optimizer.step({ lr: 0.1 });
    expect(relativeError(model.tensor("blk.0.attn_q.weight").data, q.map((v) => v * 0.95))).toBeLessThan(1e-6);
    expect(model.tensor("blk.0.attn_norm.weight").data.every((v) => v === 1)).toBe(true);
    optimizer.dispose();
    model.dispose();
  });

  it("is deterministic for a seed, and different for another seed", () => {
    const run = (seed: number): { losses: number[]; params: Float32Array } => {
      const model = createModel(TINY, { seed, backend });
      const optimizer = new AdamW(model);
      const losses = train(model, optimizer, sequenceBatch(1, 2, 8), 4);
      const params = Float32Array.from(model.params);
      optimizer.dispose();
      model.dispose();
      return { losses, params };
    };
    const [a, b, c] = [run(7), run(7), run(8)];
    expect(b.losses).toEqual(a.losses);
    expect(Buffer.from(b.params.buffer).equals(Buffer.from(a.params.buffer))).toBe(true);
    expect(c.losses[0]).not.toBe(a.losses[0]);
  });

  it("resumes exactly from exported parameters and optimizer state", () => {
    const batch = sequenceBatch(2, 2, 8);
    const straight = createModel(TINY, { seed: 3, backend });
    const straightOpt = new AdamW(straight);
    const expected = train(straight, straightOpt, batch, 6);
    const first = createModel(TINY, { seed: 3, backend });
    const firstOpt = new AdamW(first);
    const head = train(first, firstOpt, batch, 3);
    const resumed = createModel(TINY, { seed: 99, backend });
    resumed.params.set(first.params);
    const resumedOpt = new AdamW(resumed);
    resumedOpt.importState(firstOpt.exportState());
    const tail = train(resumed, resumedOpt, batch, 3, 3);
    expect([...head, ...tail]).toEqual(expected);
    expect(Buffer.from(Float32Array.from(resumed.params).buffer).equals(Buffer.from(Float32Array.from(straight.params).buffer))).toBe(true);
    for (const m of [straight, first, resumed]) m.dispose();
  });

  it("overfits a short sequence: the loss falls from about ln(V) to near zero", () => {
    const model = createModel(TINY, { seed: 5, backend });
    const optimizer = new AdamW(model, { weightDecay: 0 });
    const losses = train(model, optimizer, sequenceBatch(4, 1, 24), 200);
    expect(losses[0]).toBeGreaterThan(Math.log(TINY.vocab) - 0.3);
    expect(losses[losses.length - 1]).toBeLessThan(0.1);
    optimizer.dispose();
    model.dispose();
  });
});

describe("WebAssembly threads", () => {
  it("train bitwise identically on one and two threads", () => {
    const config: LlamaConfig = { ...TINY, hidden: 128, ffn: 256, vocab: 300 };
    const run = (threads: number): Float32Array => {
      const model = createModel(config, { seed: 8, backend: "wasm" });
      model.kernels.setThreads(threads);
      try {
        const optimizer = new AdamW(model);
        train(model, optimizer, sequenceBatch(3, 4, 32, config.vocab), 2);
        optimizer.dispose();
        return Float32Array.from(model.params);
      } finally {
        model.kernels.setThreads(1);
        model.dispose();
      }
    };
    expect(Buffer.from(run(2).buffer).equals(Buffer.from(run(1).buffer))).toBe(true);
  });
});

describe.skipIf(!isBackendAvailable("native"))("native and WebAssembly backends", () => {
  it("agree to float32 tolerance on logits, gradients and ten training steps", () => {
    const config: LlamaConfig = { ...TINY, hidden: 64, heads: 4, kvHeads: 2, ffn: 160, vocab: 96 };
    const batch = sequenceBatch(6, 2, 24, config.vocab);
    const [native, wasm] = (["native", "wasm"] as const).map((backend) => createModel(config, { seed: 21, backend }));
    const n = native as LlamaModel, w = wasm as LlamaModel;
    expect(Buffer.from(Float32Array.from(n.params).buffer).equals(Buffer.from(Float32Array.from(w.params).buffer))).toBe(true);
    const fn = n.forward(batch), fw = w.forward(batch);
    expect(relativeError(fw.logits, fn.logits)).toBeLessThan(1e-5);
    for (const m of [n, w]) {
      m.zeroGrad();
      m.backward();
    }
    expect(relativeError(w.grads, n.grads)).toBeLessThan(1e-4);
    const [on, ow] = [new AdamW(n), new AdamW(w)];
    const ln = train(n, on, batch, 10), lw = train(w, ow, batch, 10);
    for (let s = 0; s < 10; s++) expect(Math.abs((lw[s] as number) - (ln[s] as number))).toBeLessThan(1e-4);
    expect(relativeError(w.params, n.params)).toBeLessThan(1e-4);
    n.dispose();
    w.dispose();
  });
});
