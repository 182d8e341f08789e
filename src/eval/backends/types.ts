// The model interface of the harness, three narrow calls modelled on lm-evaluation-harness's LM class:
// loglikelihood over token spans, greedy generation until stop strings, and the tokenizer (plus BOS/EOS facts).
import type { TokenSpan, Tokenizer } from "../tokenize.js";

/**
 * The answer for one span: the sum over the continuation's tokens of log p(token | every token before it)
 * (log-softmax over the full vocabulary, float32 or better), and whether each token was the argmax.
 */
export interface SpanResult {
  logprob: number;
  isGreedy: boolean;
}

/** Greedy generation after `context` tokens; the text stops at the first of `until`, end of sequence, or maxTokens. */
export interface GenerationRequest {
  context: number[];
  until: string[];
  maxTokens: number;
}

/** A model the harness can evaluate. Implementations: the OpenAI-compatible endpoint, node-llama-cpp in process. */
export interface Backend extends Tokenizer {
  /** Shown in logs, e.g. "endpoint http://host:8080". */
  readonly description: string;
  /** The model's context length in tokens, if known (longer inputs are cut from the left). */
  readonly contextLength: number | undefined;
  /**
   * Scores spans. Spans in one call may be evaluated in parallel; results come back in request order.
   * `span.context` must not be empty (the harness puts an end-of-text token there for an empty context).
   */
  loglikelihood(spans: readonly TokenSpan[]): Promise<SpanResult[]>;
  /** Generates greedily for each request; the returned text is cut at the earliest stop string. */
  generateUntil(requests: readonly GenerationRequest[]): Promise<string[]>;
  /** Releases the model or connections. */
  close(): Promise<void>;
}
