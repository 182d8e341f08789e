// The DPO gradient check: the loss's derivative in closed form against finite differences, then the whole
// trainer step (forward, DPO weights, weighted backward on the engine, float32) against central finite differences
// of the DPO loss computed by the float64 reference model from the same parameters.
import { describe, expect, it } from "vitest";
import type { LlamaConfig } from "../../arch/index.js";
import { Rng, createModel, referenceLossAndGrads, type ReferenceParams } from "../../engine/index.js";
import { dpoMetrics, dpoPairLoss, softplus, sigmoid } from "./loss.js";
import { pairBatch, type EncodedPair } from "./pairs.js";
import { dpoMicroStep } from "./step.js";

const CONFIG: LlamaConfig = { layers: 2, hidden: 16, heads: 4, kvHeads: 2, ffn: 24, vocab: 24, context: 32, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false };

describe("dpoPairLoss", () => {
  it("is −log σ(β·margin) with rewards β(π − ρ), and its derivatives match central differences", () => {
    const [pc, pr, rc, rr, beta] = [-12.5, -11.25, -13, -10.5, 0.3];
    const r = dpoPairLoss(pc, pr, rc, rr, beta);
    expect(r.chosenReward).toBeCloseTo(beta * (pc - rc), 12);
    expect(r.rejectedReward).toBeCloseTo(beta * (pr - rr), 12);
    expect(r.loss).toBeCloseTo(-Math.log(1 / (1 + Math.exp(-(r.chosenReward - r.rejectedReward)))), 12);
    const h = 1e-6;
    expect(r.gradChosen).toBeCloseTo((dpoPairLoss(pc + h, pr, rc, rr, beta).loss - dpoPairLoss(pc - h, pr, rc, rr, beta).loss) / (2 * h), 8);
    expect(r.gradRejected).toBeCloseTo((dpoPairLoss(pc, pr + h, rc, rr, beta).loss - dpoPairLoss(pc, pr - h, rc, rr, beta).loss) / (2 * h), 8);
    // At the start (policy = reference) the loss is log 2 and the rewards are 0.
    expect(dpoPairLoss(-3, -4, -3, -4, 0.1).loss).toBeCloseTo(Math.LN2, 12);
  });

  it("stays finite for huge margins, and dpoMetrics averages what the trainer logs", () => {
    expect(softplus(-1000)).toBe(0);
    expect(softplus(1000)).toBe(1000);
    expect(sigmoid(-1000)).toBe(0);
    const far = dpoPairLoss(0, -1e6, 0, 0, 0.1);
    expect(far.loss).toBe(0);
    expect(Number.isFinite(far.gradChosen)).toBe(true);
    const m = dpoMetrics([dpoPairLoss(-1, -2, -1.5, -1.5, 1), dpoPairLoss(-2, -1, -1.5, -1.5, 1)]);
    expect(m.reward_accuracy).toBe(0.5);
    expect(m.reward_margin).toBeCloseTo(0, 12);
    expect(m.chosen_reward).toBeCloseTo(0, 12);
  });
});

/** The mean DPO loss of pairs computed in float64 by the reference model. */
function referenceDpoLoss(params: ReferenceParams, pairs: readonly EncodedPair[], reference: readonly (readonly [number, number])[], beta: number, rpoAlpha = 0): number {
  const batch = pairBatch(pairs, 32, 0);
  const targets = Array.from(batch.targets ?? []);
  const { logits } = referenceLossAndGrads(CONFIG, params, { tokens: Array.from(batch.tokens), targets, batchSize: batch.batchSize, seqLen: batch.seqLen });
  const V = CONFIG.vocab;
  const rowLogp = new Float64Array(batch.batchSize);
  for (let n = 0; n < targets.length; n++) {
    const target = targets[n] as number;
    if (target < 0) continue;
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[n * V + v] as number);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp((logits[n * V + v] as number) - max);
    const row = Math.floor(n / batch.seqLen);
    rowLogp[row] = (rowLogp[row] as number) + (logits[n * V + target] as number) - max - Math.log(sum);
  }
  let loss = 0, chosenLogp = 0;
  pairs.forEach((_, k) => {
    const [rc, rr] = reference[k] as readonly [number, number];
    loss += dpoPairLoss(rowLogp[2 * k] as number, rowLogp[2 * k + 1] as number, rc, rr, beta).loss;
    chosenLogp += rowLogp[2 * k] as number;
  });
  const chosenTokens = pairs.reduce((n, p) => n + p.chosen.length, 0);
  return loss / pairs.length - (rpoAlpha * chosenLogp) / chosenTokens;
}

describe("dpoMicroStep", () => {
  it.each([[0], [0.7]])("accumulates the gradient of the mean DPO loss (rpo alpha %s): equal to central differences of the float64 loss", (rpoAlpha) => {
    const pairs: EncodedPair[] = [
      { prompt: [1, 5, 6, 7], chosen: [8, 9, 2], rejected: [8, 10, 11, 2], index: 1, where: "a#1" },
      { prompt: [1, 12, 13], chosen: [14, 15, 16, 2], rejected: [17, 2], index: 2, where: "a#2" },
      { prompt: [1, 5, 18, 19, 20], chosen: [21, 2], rejected: [22, 2], index: 3, where: "a#3" },
    ];
    const reference: [number, number][] = [[-9.1, -11.7], [-12.2, -6.4], [-6.3, -6.0]];
    const beta = 0.5;
    const model = createModel(CONFIG, { seed: 7, initStd: 0.3 });
    try {
      model.zeroGrad();
      const { results, nll } = dpoMicroStep(model, pairs, reference, { beta, seqLen: 32, padId: 0, rpoAlpha });
      expect(results).toHaveLength(3);
      const params: ReferenceParams = new Map(model.tensors.map((t) => [t.name, Float64Array.from(t.data)]));
      // The float64 loss agrees with the engine's (float32) one.
      expect(referenceDpoLoss(params, pairs, reference, beta, rpoAlpha)).toBeCloseTo(dpoMetrics(results).loss + rpoAlpha * nll, 4);
      expect(nll).toBeGreaterThan(0);
      const rng = new Rng(5);
      const h = 1e-5;
      let checked = 0, worst = 0;
      for (const tensor of model.tensors) {
        const values = params.get(tensor.name) as Float64Array;
        for (let k = 0; k < 3; k++) {
          const i = rng.int(values.length);
          const saved = values[i] as number;
          values[i] = saved + h;
          const up = referenceDpoLoss(params, pairs, reference, beta, rpoAlpha);
          values[i] = saved - h;
          const down = referenceDpoLoss(params, pairs, reference, beta, rpoAlpha);
          values[i] = saved;
          const numeric = (up - down) / (2 * h);
          const analytic = tensor.grad[i] as number;
          worst = Math.max(worst, Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(numeric)));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(30);
      expect(worst).toBeLessThan(2e-3);
      // And the gradient is not trivially zero.
      expect(model.gradNorm()).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
  });

  it("pushes the chosen answer up and the rejected one down: a few steps raise the margin", () => {
    const model = createModel(CONFIG, { seed: 3, initStd: 0.1 });
    try {
      const pairs: EncodedPair[] = [{ prompt: [1, 4, 5], chosen: [6, 7, 2], rejected: [6, 8, 2], index: 1, where: "a#1" }];
      const first = dpoMicroStep(model, pairs, [[0, 0]], { beta: 1, seqLen: 32, padId: 0 }).results[0];
      for (let step = 0; step < 5; step++) {
        model.zeroGrad();
        dpoMicroStep(model, pairs, [[0, 0]], { beta: 1, seqLen: 32, padId: 0 });
        for (const t of model.tensors) for (let i = 0; i < t.data.length; i++) t.data[i] = (t.data[i] as number) - 0.05 * (t.grad[i] as number);
      }
      model.zeroGrad();
      const last = dpoMicroStep(model, pairs, [[0, 0]], { beta: 1, seqLen: 32, padId: 0 }).results[0];
      expect(last && first && last.chosenReward - last.rejectedReward).toBeGreaterThan((first?.chosenReward ?? 0) - (first?.rejectedReward ?? 0) + 0.1);
      expect(last && first && last.loss < first.loss).toBe(true);
    } finally {
      model.dispose();
    }
  });
});
