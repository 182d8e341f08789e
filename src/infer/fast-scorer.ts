// Log-likelihood scoring of teacher-forced requests (tokens, from) for evaluation: the native llama.cpp scorer
// (native/scorer, built by `npm run build:scorer`) reads only the target tokens' log-probabilities and evaluates a
// shared prefix once; without it, the same API runs on node-llama-cpp's probability maps (correct, much slower).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { FileNotFoundError, InvalidArgumentError } from "../common/index.js";
import { openFallbackScorer } from "./fallback-scorer.js";
import { ScorerError, validateRequests, type LogLikelihoodScorer, type OpenScorerOptions, type RequestScore, type ScoreRequest, type ScorerStats } from "./scorer-api.js";

export * from "./scorer-api.js";

/** Where `npm run build:scorer` puts the addon (the same path from src/ and from dist/). */
export const NATIVE_SCORER_PATH = fileURLToPath(new URL("../../native/scorer/build/Release/dusk_scorer.node", import.meta.url));

interface NativeRunResult {
  logprobs: Float64Array;
  greedy: Uint8Array;
  stats: { evaluatedTokens: number; reusedTokens: number; decodeCalls: number; decodeMs: number; softmaxMs: number };
}
interface NativeInfo {
  vocabSize: number;
  contextSize: number;
  batchSize: number;
  sequences: number;
  bos: number;
  eos: number;
  addBos: boolean;
}
type NativeHandle = object & { readonly __nativeScorer: unique symbol };
interface NativeAddon {
  open(options: { modelPath: string; contextSize: number; batchSize: number; sequences: number; threads: number; kvCacheType: "f16" | "f32" }): Promise<NativeHandle>;
  run(handle: NativeHandle, tokens: Int32Array, offsets: Int32Array, from: Int32Array, mode: number): Promise<NativeRunResult>;
  tokenize(handle: NativeHandle, text: string, addBos: boolean): Int32Array;
  info(handle: NativeHandle): NativeInfo;
  reset(handle: NativeHandle): void;
  close(handle: NativeHandle): void;
}

let addon: NativeAddon | Error | undefined;

/** The native addon, or the reason it cannot be used. */
function loadAddon(): NativeAddon | Error {
  if (addon !== undefined) return addon;
  if (!existsSync(NATIVE_SCORER_PATH)) return (addon = new Error(`${NATIVE_SCORER_PATH} is not built`));
  try {
    addon = createRequire(import.meta.url)(NATIVE_SCORER_PATH) as NativeAddon;
  } catch (error) {
    addon = error instanceof Error ? error : new Error(String(error));
  }
  return addon;
}

/** Whether the native scorer is built and loads in this process. */
export function nativeScorerAvailable(): boolean {
  return !(loadAddon() instanceof Error);
}

/** Splits flat per-target arrays back into per-request scores. */
function toScores(requests: readonly ScoreRequest[], logprobs: ArrayLike<number>, greedy: ArrayLike<number>): RequestScore[] {
  let offset = 0;
  return requests.map(({ tokens, from }) => {
    const score: RequestScore = { logprob: 0, isGreedy: true, tokenLogprobs: [], tokenIsGreedy: [] };
    for (let i = from; i < tokens.length; i++, offset++) {
      const logprob = logprobs[offset]!;
      const isGreedy = greedy[offset] === 1;
      score.logprob += logprob;
      score.isGreedy &&= isGreedy;
      score.tokenLogprobs.push(logprob);
      score.tokenIsGreedy.push(isGreedy);
    }
    return score;
  });
}

/** What a forward pass without scoring computes: logits at every scored position, or only at each request's last token. */
export type ForwardLogits = "scored" | "last";

/** The native scorer (llama.cpp through dusk's addon). */
export class NativeScorer implements LogLikelihoodScorer {
  readonly backend = "native";
  readonly vocabSize: number;
  readonly contextSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly addBosByDefault: boolean;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly counters: ScorerStats = { requests: 0, scoredTokens: 0, evaluatedTokens: 0, reusedTokens: 0, decodeMs: 0, softmaxMs: 0 };

  constructor(private readonly native: NativeAddon, private readonly handle: NativeHandle) {
    const info = native.info(handle);
    this.vocabSize = info.vocabSize;
    this.contextSize = info.contextSize;
    this.bos = info.bos >= 0 ? info.bos : null;
    this.eos = info.eos >= 0 ? info.eos : null;
    this.addBosByDefault = info.addBos;
  }

  tokenize(text: string, addBos: boolean): number[] {
    this.checkOpen();
    return Array.from(this.native.tokenize(this.handle, text, addBos));
  }

  score(requests: readonly ScoreRequest[]): Promise<RequestScore[]> {
    return this.enqueue(async () => {
      const result = await this.run(requests, 0);
      this.counters.requests += requests.length;
      this.counters.scoredTokens += result.logprobs.length;
      return toScores(requests, result.logprobs, result.greedy);
    });
  }

  /**
   * The same forward passes as {@link score} (same batches, prefix sharing and cache) without log-softmax: the
   * baseline of bench/eval. `logits: "last"` asks llama.cpp for logits at each request's last token only.
   */
  forward(requests: readonly ScoreRequest[], logits: ForwardLogits = "scored"): Promise<NativeRunResult["stats"]> {
    return this.enqueue(async () => (await this.run(requests, logits === "scored" ? 1 : 2)).stats);
  }

  reset(): Promise<void> {
    return this.enqueue(() => Promise.resolve(this.native.reset(this.handle)));
  }

  stats(): ScorerStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    return this.enqueue(() => {
      if (!this.closed) this.native.close(this.handle);
      this.closed = true;
      return Promise.resolve();
    });
  }

  private async run(requests: readonly ScoreRequest[], mode: number): Promise<NativeRunResult> {
    this.checkOpen();
    validateRequests(requests, this.vocabSize, this.contextSize);
    const offsets = new Int32Array(requests.length + 1);
    requests.forEach((request, i) => (offsets[i + 1] = offsets[i]! + request.tokens.length));
    const tokens = new Int32Array(offsets[requests.length]!);
    requests.forEach((request, i) => tokens.set(request.tokens, offsets[i]));
    const from = Int32Array.from(requests, (request) => request.from);
    let result: NativeRunResult;
    try {
      result = await this.native.run(this.handle, tokens, offsets, from, mode);
    } catch (error) {
      throw new ScorerError(`expected the llama.cpp scorer to evaluate ${requests.length} requests but it failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    this.counters.evaluatedTokens += result.stats.evaluatedTokens;
    this.counters.reusedTokens += result.stats.reusedTokens;
    this.counters.decodeMs += result.stats.decodeMs;
    this.counters.softmaxMs += result.stats.softmaxMs;
    return result;
  }

  private checkOpen(): void {
    if (this.closed) throw new ScorerError("expected an open scorer but it was closed");
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function checkOptions({ modelPath, threads, contextSize, batchSize, parallel }: Required<Omit<OpenScorerOptions, "backend" | "kvCacheType">>): void {
  if (!existsSync(modelPath)) throw new FileNotFoundError(modelPath);
  for (const [name, value, min] of [["threads", threads, 1], ["contextSize", contextSize, 16], ["batchSize", batchSize, 1], ["parallel", parallel, 1]] as const) {
    if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`expected ${name} to be an integer of at least ${min} but found ${value}`);
  }
}

/** Opens the native scorer; throws {@link ScorerError} when it is not built or cannot load the model. */
export async function openNativeScorer({ modelPath, threads, contextSize = 4096, batchSize = 512, parallel = 8, kvCacheType = "f32" }: Omit<OpenScorerOptions, "backend">): Promise<NativeScorer> {
  checkOptions({ modelPath, threads, contextSize, batchSize, parallel });
  const native = loadAddon();
  if (native instanceof Error) throw new ScorerError(`expected the llama.cpp scorer addon but it is not usable: ${native.message}`, { cause: native });
  try {
    const handle = await native.open({ modelPath, contextSize, batchSize, sequences: parallel + 1, threads, kvCacheType });
    return new NativeScorer(native, handle);
  } catch (error) {
    throw new ScorerError(`expected the llama.cpp scorer to open ${modelPath} but it failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

let warnedFallback = false;

/** Opens a scorer on the native addon when built (see {@link OpenScorerOptions.backend}), else on node-llama-cpp. */
export async function openScorer({ backend = "auto", ...options }: OpenScorerOptions): Promise<LogLikelihoodScorer> {
  const { modelPath, threads, contextSize = 4096, batchSize = 512, parallel = 8 } = options;
  checkOptions({ modelPath, threads, contextSize, batchSize, parallel });
  if (backend === "native" || (backend === "auto" && nativeScorerAvailable())) return openNativeScorer(options);
  if (backend === "auto" && !warnedFallback) {
    warnedFallback = true;
    const reason = loadAddon();
    process.emitWarning(`dusk: scoring through node-llama-cpp (slow) because the llama.cpp scorer is not usable: ${reason instanceof Error ? reason.message : ""}; run \`npm run build:scorer\``);
  }
  return openFallbackScorer({ modelPath, threads, contextSize });
}
