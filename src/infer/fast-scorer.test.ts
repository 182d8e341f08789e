// The llama.cpp scorer on a tiny generated F32 model: its log-probabilities and is-greedy flags against node-llama-cpp's
// probability maps (an independent path through the same llama.cpp), shared-prefix scoring against scoring each
// request alone, chunking (more continuations than sequences, batches smaller than a request), and bad input.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../common/index.js";
import { makeTinyModel } from "../tiny/index.js";
import { ContextOverflowError } from "./errors.js";
import { NATIVE_SCORER_PATH, nativeScorerAvailable, openNativeScorer, openScorer, type LogLikelihoodScorer, type NativeScorer, type RequestScore, type ScoreRequest } from "./fast-scorer.js";

const native = nativeScorerAvailable();
if (!native) console.warn(`skipping the native scorer tests: ${NATIVE_SCORER_PATH} is not built (npm run build:scorer)`);

let dir: string;
let modelPath: string;
let scorer: NativeScorer;
let reference: LogLikelihoodScorer;
let llamaModel: LlamaModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-scorer-"));
  modelPath = (await makeTinyModel({ output: join(dir, "tiny.gguf"), type: "F32", layers: 2, seed: 3 })).path;
  reference = await openScorer({ modelPath, threads: 2, contextSize: 512, backend: "node-llama-cpp" });
  llamaModel = await (await getLlama({ gpu: false, logLevel: LlamaLogLevel.error })).loadModel({ modelPath, gpuLayers: 0 });
  if (native) scorer = await openNativeScorer({ modelPath, threads: 2, contextSize: 512, parallel: 4 });
});

afterAll(async () => {
  if (native) await scorer.close();
  await reference.close();
  await llamaModel.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** `steps` tokens chosen greedily after `prefix`, by node-llama-cpp's probability maps (first entry = most likely). */
async function greedyContinuation(prefix: number[], steps: number): Promise<number[]> {
  const context = await llamaModel.createContext({ contextSize: 256, threads: 2 });
  try {
    const sequence = context.getSequence();
    const tokens = [...prefix] as Token[];
    let next = tokens;
    for (let i = 0; i < steps; i++) {
      const out = await sequence.controlledEvaluate(next.map((token, k) => (k === next.length - 1 ? [token, { generateNext: { probabilities: true } }] : token)));
      const best = out.at(-1)?.next.probabilities?.keys().next().value;
      if (best === undefined) throw new Error("no probabilities");
      tokens.push(best);
      next = [best];
    }
    return tokens.slice(prefix.length);
  } finally {
    await context.dispose();
  }
}

function expectClose(actual: RequestScore[], expected: RequestScore[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((score, i) => {
    const want = expected[i]!;
    expect(score.tokenLogprobs.length).toBe(want.tokenLogprobs.length);
    score.tokenLogprobs.forEach((logprob, k) => expect(Math.abs(logprob - want.tokenLogprobs[k]!)).toBeLessThan(tolerance));
    expect(Math.abs(score.logprob - want.logprob)).toBeLessThan(tolerance * score.tokenLogprobs.length);
    expect(score.tokenIsGreedy).toEqual(want.tokenIsGreedy);
    expect(score.isGreedy).toBe(want.isGreedy);
  });
}

/** HellaSwag-like: one context, four continuations; one of them the model's own greedy continuation. */
async function documentRequests(scorerForTokens: LogLikelihoodScorer, context: string, endings: string[]): Promise<ScoreRequest[]> {
  const contextTokens = scorerForTokens.tokenize(context, true);
  const requests = endings.map((ending) => ({ tokens: [...contextTokens, ...scorerForTokens.tokenize(ending, false)], from: contextTokens.length }));
  requests.push({ tokens: [...contextTokens, ...(await greedyContinuation(contextTokens, 5))], from: contextTokens.length });
  return requests;
}

describe.skipIf(!native)("native scorer", () => {
  it("tokenizes as node-llama-cpp does, BOS on request", () => {
    const text = "the water is hot and the sky is big, said the old man";
    expect(scorer.tokenize(text, false)).toEqual(llamaModel.tokenize(text, false));
    expect(scorer.tokenize(text, true)).toEqual([llamaModel.tokens.bos, ...llamaModel.tokenize(text, false)]);
    expect(scorer.bos).toBe(llamaModel.tokens.bos);
    expect(scorer.eos).toBe(llamaModel.tokens.eos);
    expect(scorer.addBosByDefault).toBe(llamaModel.tokens.shouldPrependBosToken);
    expect(scorer.vocabSize).toBe(reference.vocabSize);
  });

  it("equals node-llama-cpp's probability maps within 1e-4 nats, is-greedy flags included", async () => {
    const requests = await documentRequests(scorer, "the old man said that the water", [" is hot", " was very cold now", " of the world", " and the sky"]);
    const got = await scorer.score(requests);
    const want = await reference.score(requests);
    expectClose(got, want, 1e-4);
    // the greedy continuation is greedy at every position, the others are not
    expect(got.at(-1)!.isGreedy).toBe(true);
    expect(got.at(-1)!.tokenIsGreedy).toEqual([true, true, true, true, true]);
    expect(got.slice(0, -1).some((score) => !score.isGreedy)).toBe(true);
    for (const score of got) expect(score.logprob).toBeCloseTo(score.tokenLogprobs.reduce((a, b) => a + b, 0), 9);
  });

  it("gives the same numbers with shared prefixes as for each request alone", async () => {
    const fewShot = "Question: the water is hot? Answer: yes\n\nQuestion: the sky is big? Answer: no\n\n";
    const docs = [
      await documentRequests(scorer, `${fewShot}Question: the man is old?`, [" Answer: yes", " Answer: no", " Answer: the world"]),
      await documentRequests(scorer, `${fewShot}Question: the house is light?`, [" Answer: yes", " Answer: no"]),
    ];
    // Winogrande-like: different contexts, the same continuation
    const partial = ["the man said that the water", "the man said that the sky"].map((context) => scorer.tokenize(context, true));
    const tail = scorer.tokenize(" is hot and big", false);
    // MMLU-like: one-token answers, all scored from the context's last position
    const question = scorer.tokenize(`${fewShot}Question: the sky is light?`, true);
    const answers = [300, 301, 302, 303].map((answer) => ({ tokens: [...question, answer], from: question.length }));
    const requests = [...docs.flat(), ...answers, ...partial.map((tokens) => ({ tokens: [...tokens, ...tail], from: tokens.length }))];

    await scorer.reset();
    const before = scorer.stats();
    const shared = await scorer.score(requests);
    const after = scorer.stats();
    const alone: RequestScore[] = [];
    for (const request of requests) {
      await scorer.reset();
      alone.push(...(await scorer.score([request])));
    }
    expectClose(shared, alone, 1e-4);
    const totalTokens = requests.reduce((sum, request) => sum + request.tokens.length, 0);
    expect(after.evaluatedTokens - before.evaluatedTokens).toBeLessThan(totalTokens / 2);
    // the second document found the few-shot block already evaluated
    expect(after.reusedTokens - before.reusedTokens).toBeGreaterThanOrEqual(scorer.tokenize(fewShot, true).length - 1);
    expectClose(shared, await reference.score(requests), 1e-4);
  });

  it("splits more continuations than sequences and requests longer than a batch, with the same numbers", async () => {
    const small = await openNativeScorer({ modelPath, threads: 2, contextSize: 256, batchSize: 16, parallel: 2 });
    try {
      const context = scorer.tokenize("the old man said that the water of the world is", true);
      const requests = Array.from({ length: 7 }, (_, i) => ({ tokens: [...context, ...scorer.tokenize(` hot and cold ${"the ".repeat(i + 3)}end`, false)], from: context.length }));
      const got = await small.score(requests);
      await scorer.reset();
      expectClose(got, await scorer.score(requests), 1e-4);
      expect(small.stats().evaluatedTokens).toBeLessThan(requests.reduce((sum, request) => sum + request.tokens.length, 0));
    } finally {
      await small.close();
    }
  });

  it("serialises concurrent calls and tokenizes while a run is in flight", async () => {
    const context = scorer.tokenize("the old man said that", true);
    const one = [{ tokens: [...context, ...scorer.tokenize(" the water is hot", false)], from: context.length }];
    const two = [{ tokens: [...context, ...scorer.tokenize(" the sky is big", false)], from: context.length }];
    const sequential = [...(await scorer.score(one)), ...(await scorer.score(two))];
    const pending = Promise.all([scorer.score(one), scorer.score(two), scorer.reset()]);
    await new Promise((resolve) => setImmediate(resolve)); // the first run is now on the worker thread
    expect(scorer.tokenize("the water", false)).toEqual(llamaModel.tokenize("the water", false));
    const [a, b] = await pending;
    expectClose([...a, ...b], sequential, 1e-4);
  });

  it("refuses bad requests with typed errors and stays usable", async () => {
    const tokens = scorer.tokenize("the water is hot", true);
    await expect(scorer.score([{ tokens, from: 0 }])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(scorer.score([{ tokens: [...tokens, scorer.vocabSize], from: 1 }])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(scorer.score([{ tokens: new Array<number>(513).fill(5), from: 1 }])).rejects.toBeInstanceOf(ContextOverflowError);
    const [empty, full] = await scorer.score([{ tokens, from: tokens.length }, { tokens, from: 1 }]);
    expect(empty).toEqual({ logprob: 0, isGreedy: true, tokenLogprobs: [], tokenIsGreedy: [] });
    expect(full!.tokenLogprobs.length).toBe(tokens.length - 1);
  });
});
