// How node-llama-cpp fills a decode batch when several sequences of one context have tokens queued: one sequence per
// batch. With node-llama-cpp 3.21.1's llama.cpp (a KV cache stream per sequence), a llama_decode that carries
// tokens of two sequences in unequal numbers can return wrong next-token distributions: with 512 tokens already on
// sequence 0, its next 288 tokens and a 40-token prompt on sequence 1 in one batch gave every position of sequence 1
// and sequence 0's positions after its first 40 wrong by up to ~4 nats, in about half of the runs. node-llama-cpp's
// default strategy ("maximumParallelism") mixes sequences whenever two requests overlap, so `dusk serve --parallel 2`
// scored (and generated) differently depending on timing: the intermittent eval-serve test failure. In 10 runs of
// 8 overlapping evaluations each, the default strategy went wrong in 6 runs and this one in none (batching.test.ts
// holds the same check). Single-token steps of several sequences (generation) still share a decode, which stays
// exact; the cost is that a prompt being read takes its turn instead of sharing a decode with other requests
// (bench/serve.ts: no measurable throughput change with short prompts).
import type { BatchingOptions, BatchItem, PrioritizedBatchItem } from "node-llama-cpp";

/**
 * One token of each queued sequence when every queued decode is a single token (the generation steps of parallel
 * requests, which llama-server also batches this way), else the oldest queued decode alone, as many of its tokens
 * as the batch holds.
 */
export function oneSequencePerBatch({ items, size }: { items: readonly BatchItem[]; size: number }): PrioritizedBatchItem[] {
  const first = items[0];
  if (first === undefined || size <= 0) return [];
  if (items.every((item) => item.tokens.length === 1)) return items.slice(0, size).map((item) => ({ item, processAmount: 1 }));
  return [{ item: first, processAmount: Math.min(first.tokens.length, size) }];
}

/** The batching options of every context loadModel creates. */
export const CONTEXT_BATCHING: BatchingOptions = { itemPrioritizationStrategy: oneSequencePerBatch };
