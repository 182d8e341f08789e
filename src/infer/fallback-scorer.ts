// The scorer on node-llama-cpp alone, for machines where the native scorer is not built: controlledEvaluate with
// full next-token probability maps at the target positions (about 12 ms a position at a 32k vocabulary), keeping
// the sequence's tokens between requests so that a shared prefix is evaluated once.
import type { ControlledEvaluateInputItem, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { ModelLoadError } from "./errors.js";
import { getSharedLlama } from "./model.js";
import { ScorerError, validateRequests, type LogLikelihoodScorer, type RequestScore, type ScoreRequest, type ScorerStats } from "./scorer-api.js";

/** Options of {@link openFallbackScorer}. */
export interface FallbackScorerOptions {
  modelPath: string;
  threads: number;
  contextSize: number;
}

class FallbackScorer implements LogLikelihoodScorer {
  readonly backend = "node-llama-cpp";
  readonly vocabSize: number;
  readonly contextSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly addBosByDefault: boolean;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly counters: ScorerStats = { requests: 0, scoredTokens: 0, evaluatedTokens: 0, reusedTokens: 0, decodeMs: 0, softmaxMs: 0 };

  constructor(private readonly model: LlamaModel, private readonly context: LlamaContext, private readonly sequence: LlamaContextSequence) {
    this.vocabSize = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    this.contextSize = sequence.contextSize;
    this.bos = model.tokens.bos;
    this.eos = model.tokens.eos;
    this.addBosByDefault = model.tokens.shouldPrependBosToken;
  }

  tokenize(text: string, addBos: boolean): number[] {
    const tokens: number[] = this.model.tokenize(text, false);
    return addBos && this.bos !== null ? [this.bos, ...tokens] : tokens;
  }

  score(requests: readonly ScoreRequest[]): Promise<RequestScore[]> {
    return this.enqueue(async () => {
      if (this.closed) throw new ScorerError("expected an open scorer but it was closed");
      validateRequests(requests, this.vocabSize, this.contextSize);
      const scores: RequestScore[] = [];
      for (const request of requests) scores.push(await this.scoreOne(request));
      return scores;
    });
  }

  reset(): Promise<void> {
    return this.enqueue(() => this.sequence.clearHistory());
  }

  stats(): ScorerStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.context.dispose();
      await this.model.dispose();
    });
  }

  /** Keeps the sequence's tokens up to the request's context (at most from - 1), evaluates the rest with maps. */
  private async scoreOne({ tokens, from }: ScoreRequest): Promise<RequestScore> {
    const started = performance.now();
    const held = this.sequence.contextTokens;
    let keep = 0;
    while (keep < held.length && keep < from - 1 && held[keep] === tokens[keep]) keep++;
    if (this.sequence.nextTokenIndex > keep) await this.sequence.eraseContextTokenRanges([{ start: keep, end: this.sequence.nextTokenIndex }]);
    const input = (tokens.slice(keep) as Token[]).map((token, k): ControlledEvaluateInputItem => {
      const position = keep + k;
      return position >= from - 1 && position < tokens.length - 1 ? [token, { generateNext: { probabilities: true } }] : token;
    });
    const outputs = await this.sequence.controlledEvaluate(input);
    const score: RequestScore = { logprob: 0, isGreedy: true, tokenLogprobs: [], tokenIsGreedy: [] };
    for (let position = from - 1; position < tokens.length - 1; position++) {
      const probabilities = outputs[position - keep]?.next.probabilities;
      if (probabilities === undefined) throw new ScorerError(`expected node-llama-cpp to return probabilities at position ${position} but found none`);
      const target = tokens[position + 1] as Token;
      // A probability that underflowed float32 gives -Infinity: the native scorer has no such floor.
      const logprob = Math.log(probabilities.get(target) ?? 0);
      const isGreedy = probabilities.keys().next().value === target;
      score.logprob += logprob;
      score.isGreedy &&= isGreedy;
      score.tokenLogprobs.push(logprob);
      score.tokenIsGreedy.push(isGreedy);
    }
    this.counters.requests++;
    this.counters.scoredTokens += tokens.length - from;
    this.counters.evaluatedTokens += tokens.length - keep;
    this.counters.reusedTokens += keep;
    this.counters.decodeMs += performance.now() - started;
    return score;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/**
 * Opens a node-llama-cpp scorer: CPU, one sequence of `contextSize` tokens, configured like the native scorer
 * (no flash attention, F32 K and V caches), which brings it within 1e-6 nats of an exact F32 forward instead of 2e-3.
 */
export async function openFallbackScorer({ modelPath, threads, contextSize }: FallbackScorerOptions): Promise<LogLikelihoodScorer> {
  const llama = await getSharedLlama(false);
  let model: LlamaModel | undefined;
  try {
    model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const context = await model.createContext({
      contextSize,
      sequences: 1,
      threads,
      batchSize: Math.min(512, contextSize),
      flashAttention: false,
      experimentalKvCacheKeyType: "F32",
      experimentalKvCacheValueType: "F32",
    });
    return new FallbackScorer(model, context, context.getSequence());
  } catch (error) {
    await model?.dispose();
    throw new ModelLoadError(modelPath, error instanceof Error ? error.message : String(error), { cause: error });
  }
}
