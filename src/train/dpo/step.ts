// One DPO micro-batch on the model: a forward pass over the pairs' rows, each pair's loss from its sequence
// log-probabilities and the cached reference ones, and a weighted backward pass that accumulates the gradient of
// `scale` × the mean loss. Since log π(answer) = −Σ cross-entropy over the answer's tokens, a row's positions take
// the weight −(d loss / d log π) × scale. With rpoAlpha > 0 the loss adds α × the mean cross-entropy of the chosen
// answers' tokens (RPO, Pang et al. 2024: DPO + NLL, which keeps the chosen answers likely; TRL's rpo_alpha).
import type { LlamaModel } from "../../engine/index.js";
import { dpoPairLoss, type DpoPairResult } from "./loss.js";
import { pairBatch, rowLogProbs, type EncodedPair } from "./pairs.js";

/** Options of {@link dpoMicroStep}. */
export interface DpoMicroStepOptions {
  readonly beta: number;
  readonly seqLen: number;
  readonly padId: number;
  /** Multiplies the mean loss being differentiated (1 / micro-batches per step). Defaults to 1. */
  readonly scale?: number;
  /** Weight of the chosen answers' mean token cross-entropy added to the loss (RPO). Defaults to 0 (plain DPO). */
  readonly rpoAlpha?: number;
}

/**
 * Accumulates into the model's gradients d(scale × mean DPO loss)/dθ over `pairs`, whose reference
 * log-probabilities are reference[i] = [chosen, rejected]. Returns each pair's loss and rewards and the tokens run.
 */
export function dpoMicroStep(model: LlamaModel, pairs: readonly EncodedPair[], reference: readonly (readonly [number, number])[], { beta, seqLen, padId, scale = 1, rpoAlpha = 0 }: DpoMicroStepOptions): { results: DpoPairResult[]; tokens: number; nll: number } {
  const batch = pairBatch(pairs, seqLen, padId);
  const { tokenLosses } = model.forward(batch);
  const logps = rowLogProbs(tokenLosses, batch);
  const T = batch.seqLen;
  const weights = new Float32Array(batch.batchSize * T);
  const results = pairs.map((_, k) => {
    const [refChosen, refRejected] = reference[k] as readonly [number, number];
    const r = dpoPairLoss(logps[2 * k] as number, logps[2 * k + 1] as number, refChosen, refRejected, beta);
    const w = scale / pairs.length;
    weights.fill(-r.gradChosen * w, 2 * k * T, (2 * k + 1) * T);
    weights.fill(-r.gradRejected * w, (2 * k + 1) * T, (2 * k + 2) * T);
    return r;
  });
  // The chosen answers' mean token cross-entropy: −Σ log π(chosen) / chosen tokens.
  const targets = batch.targets ?? [];
  let chosenTokens = 0, chosenLogp = 0;
  for (let k = 0; k < pairs.length; k++) {
    chosenLogp += logps[2 * k] as number;
    for (let t = 2 * k * T; t < (2 * k + 1) * T; t++) if ((targets[t] as number) >= 0) chosenTokens++;
  }
  const nll = chosenTokens > 0 ? -chosenLogp / chosenTokens : 0;
  if (rpoAlpha > 0 && chosenTokens > 0) {
    for (let k = 0; k < pairs.length; k++) for (let t = 2 * k * T; t < (2 * k + 1) * T; t++) weights[t] = (weights[t] as number) + (rpoAlpha * scale) / chosenTokens;
  }
  model.backward({ weights });
  return { results, tokens: batch.batchSize * T, nll };
}
