// The scoring API shared by the native llama.cpp scorer and its node-llama-cpp fallback: requests, scores, options,
// the scorer interface and the checks both run on requests.
import { DuskError, InvalidArgumentError, type DuskErrorOptions } from "../common/index.js";
import { ContextOverflowError } from "./errors.js";

/** One request: the log-likelihood of tokens[from..] given the tokens before each (lm-eval's `loglikelihood`). */
export interface ScoreRequest {
  /** The whole sequence: context then continuation (BOS included when the profile wants it). */
  readonly tokens: readonly number[];
  /** Index of the first target token (the continuation's start); at least 1. */
  readonly from: number;
}

/** The score of one {@link ScoreRequest}. */
export interface RequestScore {
  /** Sum of the targets' log-probabilities (nats). */
  logprob: number;
  /** Every target is the argmax of its position (lm-eval's is-greedy; ties go to the lowest token id). */
  isGreedy: boolean;
  /** log p(tokens[i] | tokens[<i]) for i = from .. tokens.length - 1. */
  tokenLogprobs: number[];
  /** Whether tokens[i] is the argmax at its position, same indexes as tokenLogprobs. */
  tokenIsGreedy: boolean[];
}

/** Counters since the scorer was opened. */
export interface ScorerStats {
  requests: number;
  scoredTokens: number;
  /** Tokens passed to the model (prefixes counted once). */
  evaluatedTokens: number;
  /** Prefix tokens found already evaluated (a few-shot block kept between calls). */
  reusedTokens: number;
  /** Time in the model's forward passes. */
  decodeMs: number;
  /** Time in log-softmax at the targets (native only; inside decodeMs for node-llama-cpp). */
  softmaxMs: number;
}

/** Which implementation scores. */
export type ScorerBackend = "native" | "node-llama-cpp";

/** A model opened for scoring. Calls on one scorer run one at a time, in call order. */
export interface LogLikelihoodScorer {
  readonly backend: ScorerBackend;
  readonly vocabSize: number;
  /** KV cells of the scorer: the longest request it accepts. */
  readonly contextSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  /** The GGUF's `tokenizer.ggml.add_bos_token` (llama.cpp's default when it is absent). */
  readonly addBosByDefault: boolean;
  /** llama.cpp's tokenizer without special-token parsing; BOS prepended when `addBos` and the vocabulary has one. */
  tokenize(text: string, addBos: boolean): number[];
  /** Scores requests; consecutive requests sharing their context are evaluated as one prefix plus continuations. */
  score(requests: readonly ScoreRequest[]): Promise<RequestScore[]>;
  /** Forgets the kept prefix (results never depend on it; this only frees the cache). */
  reset(): Promise<void>;
  stats(): ScorerStats;
  close(): Promise<void>;
}

/** Options of {@link openScorer}. */
export interface OpenScorerOptions {
  /** A GGUF model file. */
  modelPath: string;
  /** CPU threads; required, because llama.cpp's default oversubscribes small machines (about 1000x slower). */
  threads: number;
  /** KV cells shared by the kept prefix and the continuations being scored. Defaults to 4096. */
  contextSize?: number;
  /** Tokens per forward pass. Defaults to 512. */
  batchSize?: number;
  /** Continuations scored side by side (MMLU and ARC have 4, HellaSwag 4, TruthfulQA up to 13). Defaults to 8. */
  parallel?: number;
  /** Type of the K and V caches (native only; node-llama-cpp keeps llama.cpp's F16). "f16" halves their memory and costs about 1e-3 nats on an F32 model. Defaults to "f32". */
  kvCacheType?: "f16" | "f32";
  /** "native", "node-llama-cpp", or "auto": native when the addon is built, else node-llama-cpp with one warning. Defaults to "auto". */
  backend?: ScorerBackend | "auto";
}

/** The native scorer failed, or was asked for and is not built. */
export class ScorerError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("SCORER_FAILED", message, { hint: "run `npm run build:scorer` to (re)build the llama.cpp scorer, or pass backend \"node-llama-cpp\"", ...options });
  }
}

/** Checks requests against a scorer's vocabulary and context size. */
export function validateRequests(requests: readonly ScoreRequest[], vocabSize: number, contextSize: number): void {
  requests.forEach(({ tokens, from }, index) => {
    if (!Number.isInteger(from) || from < 1 || from > tokens.length) {
      throw new InvalidArgumentError(`expected request ${index}'s from to be an integer from 1 to ${tokens.length} but found ${from}`, {
        hint: "the first target needs a token before it: put BOS (or the context) first",
      });
    }
    if (tokens.length > contextSize) throw new ContextOverflowError(tokens.length, contextSize);
    for (const token of tokens) {
      if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
        throw new InvalidArgumentError(`expected request ${index}'s tokens to be ids from 0 to ${vocabSize - 1} but found ${token}`);
      }
    }
  });
}

