// SFT batches: one example per row or packed rows, every answer token a target exactly once per epoch, epochs in
// seeded orders that are a pure function of (seed, step, micro-batch), so resumed runs see the same batches.
import { describe, expect, it } from "vitest";
import { SftDataset } from "./dataset.js";

const F = false, T = true;
/** Example i: <s>, 3 prompt tokens, then i+2 answer tokens (ids 100*i + k) and EOS. */
const examples = Array.from({ length: 7 }, (_, i) => {
  const answer = Array.from({ length: i + 2 }, (_, k) => 100 * (i + 1) + k);
  return { tokens: [1, 10, 11, 12, ...answer, 2], trained: [F, F, F, F, ...answer.map(() => T), T] };
});
const answerTokens = examples.flatMap((e) => e.tokens.filter((_, i) => e.trained[i]));

/** Every target of every batch of one epoch (rows visited once each). */
function epochTargets(data: SftDataset): number[] {
  return data.allBatches().flatMap((b) => Array.from(b.targets ?? []).filter((t) => t >= 0));
}

describe("SftDataset", () => {
  it("makes each example a row, padded to the batch's longest (rounded up to 16), with its answer tokens as targets", () => {
    const data = new SftDataset(examples, { batchSize: 3, seqLen: 64, seed: 1, packing: false, padId: 3 });
    expect(data.size).toBe(7);
    expect(data.batchesPerEpoch).toBe(3);
    expect(data.trainedTokens).toBe(answerTokens.length);
    expect(epochTargets(data).sort((a, b) => a - b)).toEqual([...answerTokens].sort((a, b) => a - b));
    const [first] = data.allBatches();
    expect(first?.seqLen).toBe(16);
    expect(Array.from(first?.tokens ?? []).slice(7, 16)).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 3]);
  });

  it("packs examples back to back into rows of seqLen, overlapping by one token, so each answer token is a target once", () => {
    const data = new SftDataset(examples, { batchSize: 2, seqLen: 16, seed: 1, packing: true });
    const total = examples.reduce((n, e) => n + e.tokens.length, 0);
    expect(data.size).toBe(Math.ceil((total - 1) / 15));
    expect(epochTargets(data).sort((a, b) => a - b)).toEqual([...answerTokens].sort((a, b) => a - b));
    expect(data.allBatches().every((b) => b.seqLen === 16)).toBe(true);
  });

  it("draws the same batches for the same (seed, step, micro-batch), covers every row each epoch, and reshuffles epochs", () => {
    const a = new SftDataset(examples, { batchSize: 7, seqLen: 64, seed: 5, packing: false });
    const b = new SftDataset(examples, { batchSize: 7, seqLen: 64, seed: 5, packing: false });
    expect(Array.from(a.batch(3, 1, 2).tokens)).toEqual(Array.from(b.batch(3, 1, 2).tokens));
    const firstOf = (batch: { tokens: ArrayLike<number>; seqLen: number }): number[] => Array.from({ length: 7 }, (_, r) => batch.tokens[r * batch.seqLen + 4] as number);
    const epoch0 = firstOf(a.batch(0, 0, 1)), epoch1 = firstOf(a.batch(1, 0, 1));
    expect([...epoch0].sort()).toEqual(examples.map((e) => e.tokens[4] as number).sort());
    expect([...epoch1].sort()).toEqual([...epoch0].sort());
    expect(epoch1).not.toEqual(epoch0);
    const other = new SftDataset(examples, { batchSize: 7, seqLen: 64, seed: 6, packing: false });
    expect(firstOf(other.batch(0, 0, 1))).not.toEqual(epoch0);
  });
});
