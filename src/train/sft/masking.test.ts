// SFT's loss covers only the assistant's tokens: the targets are set exactly where the next token is the
// assistant's, the backward pass leaves every prompt position's logit gradient at zero, and the parameter gradient
// is exactly the answer-only part of the all-token loss's gradient (checked against the float64 reference model).
import { describe, expect, it } from "vitest";
import type { LlamaConfig } from "../../arch/index.js";
import { createModel, referenceLossAndGrads, type ReferenceParams } from "../../engine/index.js";
import { SftDataset, fitExamples, type EncodedExample } from "./dataset.js";

const CONFIG: LlamaConfig = { layers: 2, hidden: 16, heads: 4, kvHeads: 2, ffn: 24, vocab: 24, context: 32, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false };

// <s> p p p p p | a a a </s> (the assistant's tokens: 9, 10, 11 and EOS 2); then a two-turn example.
const F = false, T = true;
const examples: EncodedExample[] = [
  { tokens: [1, 4, 5, 6, 7, 8, 9, 10, 11, 2], trained: [F, F, F, F, F, F, T, T, T, T], index: 1, where: "d.jsonl:1" },
  { tokens: [1, 12, 13, 14, 2, 15, 16, 17, 18, 2], trained: [F, F, F, T, T, F, F, F, T, T], index: 2, where: "d.jsonl:2" },
];

describe("SFT masking", () => {
  it("sets a target only where the next token is the assistant's", () => {
    const [batch] = new SftDataset(examples, { batchSize: 2, seqLen: 16, seed: 0, packing: false }).allBatches();
    const targets = Array.from(batch?.targets ?? []);
    expect(batch?.seqLen).toBe(16);
    expect(targets.slice(0, 10)).toEqual([-1, -1, -1, -1, -1, 9, 10, 11, 2, -1]);
    expect(targets.slice(16, 26)).toEqual([-1, -1, 14, 2, -1, -1, -1, 18, 2, -1]);
    expect(targets.slice(10, 16).every((t) => t === -1) && targets.slice(26).every((t) => t === -1)).toBe(true);
  });

  it("gives prompt tokens no gradient: zero logit gradients there, and exactly the answer-only part of the full loss's gradient", () => {
    const model = createModel(CONFIG, { seed: 4, initStd: 0.3 });
    try {
      const [batch] = new SftDataset(examples, { batchSize: 2, seqLen: 16, seed: 0, packing: false }).allBatches();
      if (batch?.targets === undefined) throw new Error("expected a batch with targets");
      const sftTargets = Array.from(batch.targets);
      const V = CONFIG.vocab;
      // After backward the logits view holds their gradient: zero on every row without a target.
      model.zeroGrad();
      const { logits } = model.forward(batch);
      model.backward();
      const sftGrads = Float64Array.from(model.grads);
      for (let n = 0; n < sftTargets.length; n++) {
        const row = logits.subarray(n * V, (n + 1) * V);
        if ((sftTargets[n] as number) < 0) expect(row.every((g) => g === 0), `position ${n}`).toBe(true);
        else expect(row.some((g) => g !== 0), `position ${n}`).toBe(true);
      }

      // The mean loss over answer tokens = (all-token sum − prompt-token sum) / answer count, so its gradient is too.
      const tokens = Array.from(batch.tokens);
      const nextTokens = tokens.map((_, i) => (i % 16 < 15 && i + 1 < tokens.length && (tokens[i + 1] as number) !== 0 ? (tokens[i + 1] as number) : -1));
      const promptTargets = nextTokens.map((t, i) => (sftTargets[i] === -1 ? t : -1));
      const params: ReferenceParams = new Map(model.tensors.map((t) => [t.name, Float64Array.from(t.data)]));
      const grads = (targets: number[]): { count: number; grads: ReferenceParams } => ({
        count: targets.filter((t) => t >= 0).length,
        grads: referenceLossAndGrads(CONFIG, params, { tokens, targets, batchSize: 2, seqLen: 16 }).grads,
      });
      const all = grads(nextTokens), prompt = grads(promptTargets), answer = grads(sftTargets);
      expect(answer.count).toBe(8);
      expect(all.count).toBe(answer.count + prompt.count);
      let worst = 0, offset = 0;
      for (const tensor of model.tensors) {
        const a = all.grads.get(tensor.name) as Float64Array, p = prompt.grads.get(tensor.name) as Float64Array, s = answer.grads.get(tensor.name) as Float64Array;
        for (let i = 0; i < a.length; i++) {
          const answerOnly = ((a[i] as number) * all.count - (p[i] as number) * prompt.count) / answer.count;
          expect(Math.abs((s[i] as number) - answerOnly)).toBeLessThan(1e-9);
          // The engine's gradient of the SFT batch is that answer-only gradient.
          worst = Math.max(worst, Math.abs((sftGrads[offset + i] as number) - answerOnly) / (1e-4 + Math.abs(answerOnly)));
        }
        offset += a.length;
      }
      expect(worst).toBeLessThan(1e-2);
    } finally {
      model.dispose();
    }
  });
});

describe("fitExamples", () => {
  it("keeps short examples, truncates or skips long ones as asked, and never drops one silently", () => {
    const long: EncodedExample = { tokens: [1, 4, 5, 6, 7, 8, 9, 10], trained: [F, F, F, F, T, T, T, T], index: 3, where: "d.jsonl:3" };
    const promptOnly: EncodedExample = { tokens: [1, 4, 5, 6, 7, 8, 9, 10], trained: [F, F, F, F, F, F, T, T], index: 4, where: "d.jsonl:4" };
    const truncated = fitExamples([...examples, long, promptOnly], 6, "truncate");
    expect(truncated.kept.map((e) => e.index)).toEqual([2, 3]);
    expect(truncated.kept.map((e) => e.tokens)).toEqual([[1, 12, 13, 14, 2, 15], [1, 4, 5, 6, 7, 8]]);
    // Nothing of example 1's answer (or example 4's) would survive the cut: skipped, and said so.
    expect(truncated.problems.map((p) => [p.index, p.tokens, p.action])).toEqual([[1, 10, "skipped"], [2, 10, "truncated"], [3, 8, "truncated"], [4, 8, "skipped"]]);
    const skipped = fitExamples([...examples, long], 9, "skip");
    expect(skipped.kept.map((e) => e.index)).toEqual([3]);
    expect(skipped.problems.map((p) => [p.index, p.action])).toEqual([[1, "skipped"], [2, "skipped"]]);
  });
});
