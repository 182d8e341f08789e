// Two sequences of one context evaluated at the same time give exactly what each gives alone: the one-sequence-per-
// batch strategy keeps llama.cpp from mixing them in a decode. The first test holds node-llama-cpp's dispatch back
// 50 ms so that both sequences' tokens are queued together; with node-llama-cpp's default strategy put back in
// CONTEXT_BATCHING it failed in 1 of 2 runs (3.97 nats), with this one it passed 8 of 8. Also: each sequence holds
// contextSize tokens, not contextSize × sequences.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BatchItem, ControlledEvaluateInputItem, LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTinyModel } from "../tiny/index.js";
import { CONTEXT_BATCHING, oneSequencePerBatch } from "./batching.js";
import { loadModel, type InferenceModel } from "./model.js";

let dir: string;
let alone: InferenceModel;
let shared: InferenceModel;
let held: LlamaContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-batching-"));
  const tiny = await makeTinyModel({ output: join(dir, "tiny.gguf"), type: "F32", layers: 2, context: 2048 });
  const options = { contextSize: 1024, threads: 1, gpuLayers: 0, kvCacheType: "F32" } as const;
  alone = await loadModel(tiny.path, { ...options, sequences: 1 });
  shared = await loadModel(tiny.path, { ...options, sequences: 2 });
  // loadModel's context, but each batch is dispatched 50 ms after the first decode is queued
  held = await alone.model.createContext({ contextSize: 1024, sequences: 2, threads: 1, batchSize: 512, flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32", batching: { ...CONTEXT_BATCHING, dispatchSchedule: (dispatch) => void setTimeout(dispatch, 50) } });
});

afterAll(async () => {
  await held?.dispose();
  await alone?.dispose();
  await shared?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A reproducible token list (ids 5..254 of the tiny vocabulary). */
function tokens(length: number, seed: number): Token[] {
  let state = seed;
  return Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (5 + Math.floor((state / 2147483648) * 250)) as Token;
  });
}

/** log p(prompt[i + 1] | …prompt[..i]) for every position on `sequence` (after what it holds), and of `next` after the last one. */
async function nextTokenLogprobs(sequence: LlamaContextSequence, prompt: Token[], next?: Token): Promise<number[]> {
  const targets = next === undefined ? prompt.slice(1) : [...prompt.slice(1), next];
  const items: ControlledEvaluateInputItem[] = prompt.map((token, i) => (i < targets.length ? [token, { generateNext: { probabilities: true } }] : token));
  const outputs = await sequence.controlledEvaluate(items);
  return targets.map((token, i) => Math.log(outputs[i]?.next.probabilities?.get(token) ?? 0));
}

async function scoreAlone(prompt: Token[]): Promise<number[]> {
  const sequence = await alone.acquireSequence();
  try {
    return await nextTokenLogprobs(sequence, prompt);
  } finally {
    await alone.releaseSequence(sequence);
  }
}

function worstDifference(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
}

describe("one sequence per decode batch", () => {
  it("gives two evaluations queued together their single-sequence log-probabilities", async () => {
    // [tokens already on sequence 0, its next tokens, sequence 1's prompt]
    for (const [prefix, long, short] of [[512, 288, 40], [0, 300, 40], [0, 40, 300], [100, 200, 1]] as const) {
      const a = tokens(prefix + long, long), b = tokens(short, short + 1);
      const [expectedA, expectedB] = [await scoreAlone(a), await scoreAlone(b)];
      const [first, second] = [held.getSequence(), held.getSequence()];
      try {
        const before = prefix > 0 ? await nextTokenLogprobs(first, a.slice(0, prefix), a[prefix]) : [];
        const [rest, gotB] = await Promise.all([nextTokenLogprobs(first, a.slice(prefix)), nextTokenLogprobs(second, b)]);
        expect(worstDifference([...before, ...rest], expectedA), `${prefix}+${long} tokens beside ${short}`).toBeLessThan(1e-5);
        expect(worstDifference(gotB, expectedB), `${short} tokens beside ${prefix}+${long}`).toBeLessThan(1e-5);
      } finally {
        await first.dispose();
        await second.dispose();
      }
    }
  });

  it("batches single-token steps of both sequences (generation) and keeps them exact", async () => {
    const a = tokens(130, 11), b = tokens(67, 12);
    const [expectedA, expectedB] = [await scoreAlone(a), await scoreAlone(b)];
    const [first, second] = [held.getSequence(), held.getSequence()];
    try {
      const gotA = await nextTokenLogprobs(first, a.slice(0, 100), a[100]);
      const gotB = await nextTokenLogprobs(second, b.slice(0, 37), b[37]);
      for (let step = 0; step < 29; step++) {
        const [x, y] = await Promise.all([nextTokenLogprobs(first, [a[100 + step]!], a[101 + step]), nextTokenLogprobs(second, [b[37 + step]!], b[38 + step])]);
        gotA.push(...x);
        gotB.push(...y);
      }
      expect(worstDifference(gotA, expectedA.slice(0, gotA.length))).toBeLessThan(1e-5);
      expect(worstDifference(gotB, expectedB.slice(0, gotB.length))).toBeLessThan(1e-5);
    } finally {
      await first.dispose();
      await second.dispose();
    }
  });

  it("keeps overlapping requests through loadModel's sequence pool exact", async () => {
    const a = tokens(700, 7), b = tokens(60, 8);
    const [expectedA, expectedB] = [await scoreAlone(a), await scoreAlone(b)];
    const [first, second] = [await shared.acquireSequence(), await shared.acquireSequence()];
    try {
      const [gotA, gotB] = await Promise.all([nextTokenLogprobs(first, a), nextTokenLogprobs(second, b)]);
      expect(worstDifference(gotA, expectedA)).toBeLessThan(1e-5);
      expect(worstDifference(gotB, expectedB)).toBeLessThan(1e-5);
    } finally {
      await shared.releaseSequence(first);
      await shared.releaseSequence(second);
    }
  });

  it("takes the oldest queued decode alone, up to the batch size, and single tokens together", () => {
    const item = (n: number): BatchItem => ({ tokens: tokens(n, n), logits: [], evaluationPriority: 5 });
    const [a, b, c, d] = [item(700), item(3), item(1), item(1)];
    expect(oneSequencePerBatch({ items: [a, b], size: 512 })).toEqual([{ item: a, processAmount: 512 }]);
    expect(oneSequencePerBatch({ items: [b, a], size: 512 })).toEqual([{ item: b, processAmount: 3 }]);
    expect(oneSequencePerBatch({ items: [c, b], size: 512 })).toEqual([{ item: c, processAmount: 1 }]);
    expect(oneSequencePerBatch({ items: [c, d], size: 512 })).toEqual([{ item: c, processAmount: 1 }, { item: d, processAmount: 1 }]);
    expect(oneSequencePerBatch({ items: [c, d], size: 1 })).toEqual([{ item: c, processAmount: 1 }]);
    expect(oneSequencePerBatch({ items: [], size: 512 })).toEqual([]);
  });

  it("gives each sequence the context size asked for, not that times the number of sequences", () => {
    expect(shared.contextSize).toBe(1024);
    expect(shared.context.contextSize).toBe(1024);
  });
});
