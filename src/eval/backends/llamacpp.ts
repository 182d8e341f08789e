// The in-process backend: a GGUF model loaded by src/infer into node-llama-cpp. Scoring uses controlledEvaluate,
// asking for next-token probabilities only at the positions that predict continuation tokens, and keeps each
// worker's sequence between spans of one call so that a shared prefix (a doc's context for all its choices, MMLU's
// five-shot block across a subject's docs) is evaluated once. Generation is src/infer's greedy generateTokens.
import type { ControlledEvaluateInputItem, LlamaContextSequence, Token } from "node-llama-cpp";
import { generateTokens, keepSharedPrefix, loadModel, nativeScorerAvailable, openNativeScorer, type InferenceModel, type LogLikelihoodScorer } from "../../infer/index.js";
import { cutAtStops } from "../tasks/gsm8k.js";
import type { TokenSpan } from "../tokenize.js";
import type { InProcessBackendOptions } from "./inprocess.js";
import type { Backend, GenerationRequest, SpanResult } from "./types.js";

/** Runs `work` over items with at most `limit` workers, keeping order; each worker gets its own state from `open`. */
async function mapWithWorkers<T, R, S>(
  items: readonly T[],
  limit: number,
  open: () => Promise<S>,
  close: (state: S) => Promise<void>,
  work: (item: T, state: S) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    const state = await open();
    try {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i] as T, state);
      }
    } finally {
      await close(state);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A GGUF model in process as a Backend. */
export class LlamaCppBackend implements Backend {
  readonly description: string;
  readonly contextLength: number;
  readonly bosToken: number | undefined;
  readonly eosToken: number | undefined;
  readonly addBosByDefault: boolean;

  private constructor(
    private readonly model: InferenceModel,
    private readonly parallel: number,
    /** The native scorer (only target tokens' log-probabilities, shared prefixes), when it is built. */
    private readonly scorer: LogLikelihoodScorer | undefined,
  ) {
    this.description = `${model.name} in process (node-llama-cpp${scorer ? " + native scorer" : ""}, ${model.threads} threads)`;
    this.contextLength = model.contextSize;
    this.bosToken = model.model.tokens.bos ?? undefined;
    this.eosToken = model.model.tokens.eos ?? undefined;
    this.addBosByDefault = model.model.tokens.shouldPrependBosToken;
  }

  /** Loads the model with `parallel` sequences of `contextLength` tokens each. */
  static async open({ modelPath, threads = 2, parallel = 1, contextLength = 4096 }: InProcessBackendOptions): Promise<LlamaCppBackend> {
    const model = await loadModel(modelPath, { threads, sequences: parallel, contextSize: contextLength, gpu: false, gpuLayers: 0, kvCacheType: "F32" });
    let scorer: LogLikelihoodScorer | undefined;
    if (nativeScorerAvailable() && process.env.DUSK_NO_NATIVE_SCORER !== "1") {
      try {
        // KV space for a cached context plus the choices scored after it.
        scorer = await openNativeScorer({ modelPath, threads, contextSize: 2 * contextLength, kvCacheType: "f32" });
      } catch (error) {
        await model.dispose();
        throw error;
      }
    }
    return new LlamaCppBackend(model, parallel, scorer);
  }

  tokenize(text: string): Promise<number[]> {
    return Promise.resolve([...this.model.model.tokenize(text, false)]);
  }

  async loglikelihood(spans: readonly TokenSpan[]): Promise<SpanResult[]> {
    if (this.scorer) {
      const scored = spans.filter((span) => span.continuation.length > 0);
      const results = await this.scorer.score(scored.map((span) => ({ tokens: [...span.context, ...span.continuation], from: span.context.length })));
      let next = 0;
      return spans.map((span) => {
        if (span.continuation.length === 0) return { logprob: 0, isGreedy: true };
        const result = results[next++]!;
        return { logprob: result.logprob, isGreedy: result.isGreedy };
      });
    }
    return mapWithWorkers(
      spans,
      this.parallel,
      () => this.model.acquireSequence(),
      (sequence) => this.model.releaseSequence(sequence),
      (span, sequence) => this.score(span, sequence),
    );
  }

  private async score({ context, continuation }: TokenSpan, sequence: LlamaContextSequence): Promise<SpanResult> {
    if (continuation.length === 0) return { logprob: 0, isGreedy: true };
    if (context.length === 0) throw new RangeError("a span needs at least one context token");
    const input = [...context, ...continuation] as Token[];
    // Position i's output predicts token i + 1: probabilities from the context's last token to the second-to-last token.
    const first = context.length - 1;
    // Keep what the sequence already holds of this input, up to (not including) the first position we need outputs for.
    const keep = await keepSharedPrefix(sequence, input, first);
    const items: ControlledEvaluateInputItem[] = input.slice(keep, -1).map((token, k) => (keep + k >= first ? [token, { generateNext: { probabilities: true } }] : token));
    const outputs = await sequence.controlledEvaluate(items);
    let logprob = 0;
    let isGreedy = true;
    continuation.forEach((token, j) => {
      const probabilities = outputs[first - keep + j]?.next.probabilities;
      const p = probabilities?.get(token as Token) ?? 0;
      logprob += Math.log(Math.max(p, Number.MIN_VALUE));
      if (probabilities?.keys().next().value !== token) isGreedy = false;
    });
    return { logprob, isGreedy };
  }

  generateUntil(requests: readonly GenerationRequest[]): Promise<string[]> {
    return mapWithWorkers(requests, this.parallel, () => Promise.resolve(undefined), () => Promise.resolve(), async (request) => {
      // cachePrompt off: a prompt read in one piece gives the same greedy answer whichever worker takes it
      const result = await generateTokens(this.model, request.context as Token[], { temperature: 0, maxTokens: request.maxTokens, stop: request.until.filter((s) => s !== ""), cachePrompt: false });
      return cutAtStops(result.text, request.until);
    });
  }

  async close(): Promise<void> {
    await this.scorer?.close();
    await this.model.dispose();
  }
}
