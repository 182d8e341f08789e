// The held-out split of fine-tuning data: a seeded choice of examples (not the last ones, which are often a
// different kind in concatenated data sets), the same for a seed on every machine.
import { seededPermutation } from "./order.js";

/** Indices of the training and the held-out examples: round(n * fraction) held out (at least 1 when fraction > 0 and n > 1). */
export function splitHeldOut(n: number, fraction: number, seed: number): { train: number[]; heldOut: number[] } {
  const count = fraction <= 0 || n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  const order = seededPermutation(n, (seed * 2_654_435_761 + 97) >>> 0);
  const held = new Set(order.slice(0, count));
  const train: number[] = [], heldOut: number[] = [];
  for (let i = 0; i < n; i++) (held.has(i) ? heldOut : train).push(i);
  return { train, heldOut };
}
