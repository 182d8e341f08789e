// Seeded orders of training data: a permutation (Fisher-Yates on the engine's Rng) and the indices of a
// micro-batch when epochs are visited in seeded orders, a pure function of (seed, step, micro-batch), so that a
// resumed run sees exactly the batches an uninterrupted one would. SFT rows and DPO pairs share it.
import { Rng } from "../../engine/index.js";

/** 0..n-1 shuffled by a generator seeded with `seed`. */
export function seededPermutation(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/**
 * The item indices of micro-batch `micro` of step `step` (with `gradAccum` micro-batches a step) over `count` items:
 * batches follow one another through epochs, each epoch in its own order seeded by (seed, epoch, salt).
 */
export function batchIndices(count: number, batchSize: number, seed: number, step: number, micro: number, gradAccum: number, salt: number): number[] {
  const first = (step * gradAccum + micro) * batchSize;
  const out: number[] = [];
  let epoch = -1, order: number[] = [];
  for (let k = first; k < first + batchSize; k++) {
    const e = Math.floor(k / count);
    if (e !== epoch) {
      epoch = e;
      order = seededPermutation(count, (seed * 1_000_003 + e * 7919 + salt) >>> 0);
    }
    out.push(order[k % count] as number);
  }
  return out;
}
