// Greedy decoding on the training engine, for held-out checks during training (exact match on worked answers)
// without leaving the process or converting the model. Prompts are batched right-padded: attention is causal, so
// the padding after a sequence never changes its logits, and each sequence reads the logits at its own last token.
// Every new token runs the whole batch again (no KV cache): fine for the small models the engine trains.
import type { LlamaModel } from "../../engine/index.js";

/** Options of {@link greedyGenerate}. */
export interface GreedyOptions {
  /** Most new tokens per prompt. Defaults to 128. */
  readonly maxNewTokens?: number;
  /** Token ids that end a sequence (EOS, end-of-turn); they are not part of the output. */
  readonly stopIds?: readonly number[];
  /** Ends a sequence when its output so far satisfies this (e.g. a stop string was decoded). */
  readonly stopWhen?: (output: readonly number[]) => boolean;
  /** Prompts per forward pass. Defaults to 32. */
  readonly batchSize?: number;
  /** The padding token id. Defaults to 0. */
  readonly padId?: number;
}

/** The new tokens (stop id excluded) greedy decoding appends to each prompt. */
export function greedyGenerate(model: LlamaModel, prompts: readonly (readonly number[])[], { maxNewTokens = 128, stopIds = [], stopWhen, batchSize = 32, padId = 0 }: GreedyOptions = {}): number[][] {
  const outputs: number[][] = [];
  const V = model.config.vocab, context = model.config.context;
  const stops = new Set(stopIds);
  for (let start = 0; start < prompts.length; start += batchSize) {
    const group = prompts.slice(start, start + batchSize).map((p) => [...p]);
    const produced = group.map((): number[] => []);
    const done = group.map((p) => p.length >= context);
    for (let t = 0; t < maxNewTokens && done.some((d) => !d); t++) {
      const longest = Math.max(...group.map((g) => g.length));
      const T = Math.min(context, Math.ceil(longest / 16) * 16);
      const B = group.length;
      const tokens = new Int32Array(B * T).fill(padId);
      group.forEach((sequence, b) => tokens.set(sequence.slice(0, T), b * T));
      const { logits } = model.forward({ tokens, batchSize: B, seqLen: T });
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const sequence = group[b] as number[];
        const row = (b * T + sequence.length - 1) * V;
        let best = 0, bestValue = -Infinity;
        for (let v = 0; v < V; v++) {
          const value = logits[row + v] as number;
          if (value > bestValue) {
            bestValue = value;
            best = v;
          }
        }
        const out = produced[b] as number[];
        if (stops.has(best)) {
          done[b] = true;
          continue;
        }
        sequence.push(best);
        out.push(best);
        if (sequence.length >= context || stopWhen?.(out) === true) done[b] = true;
      }
    }
    outputs.push(...produced);
  }
  return outputs;
}
