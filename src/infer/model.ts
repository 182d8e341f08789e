// Loading a GGUF model into node-llama-cpp: one context with N sequences, handed out through a small pool so that
// several requests can be in flight at once (their decodes take turns, batching.ts) and a sequence can keep its last
// prompt for the next request (prompt caching); thread counts are always explicit (llama.cpp's default
// oversubscribes).
import { readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { FileNotFoundError, InvalidArgumentError, isDuskError } from "../common/index.js";
import { CONTEXT_BATCHING } from "./batching.js";
import { GenerationAbortedError, ModelLoadError } from "./errors.js";

/** How many layers go to the GPU: a count, "auto" (as many as fit) or "max" (all). */
export type GpuLayers = number | "auto" | "max";

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Tokens each sequence holds (node-llama-cpp allocates contextSize × sequences KV cells). Defaults to 2048. */
  contextSize?: number;
  /** CPU threads, at most the logical CPU count (llama.cpp's spinning threads make oversubscription about 1000x slower). Defaults to {@link physicalCores}(). */
  threads?: number;
  /** Layers offloaded to a GPU; ignored without one. Defaults to "auto". */
  gpuLayers?: GpuLayers;
  /** Context sequences (requests served at once). Defaults to 1. */
  sequences?: number;
  /** Look for a GPU (CUDA, Vulkan, Metal prebuilt binaries; never builds). Defaults to true unless gpuLayers is 0; falls back to the CPU. */
  gpu?: boolean;
  /** Name reported in completion objects. Defaults to the file name without `.gguf`. */
  name?: string;
  /** Reuse this llama.cpp binding (tests share one). Defaults to a new CPU (or GPU, see `gpu`) binding. */
  llama?: Llama;
  /**
   * Use flash attention. On the CPU its results depend on how tokens are split into batches (a prompt scored whole
   * and one scored after a cached prefix differ by ~1e-2 nats), so it is off there. Defaults to false on the CPU,
   * node-llama-cpp's default on a GPU.
   */
  flashAttention?: boolean;
  /**
   * Element type of the KV cache. llama.cpp's F16 cache rounds keys and values (about 2e-4 nats per scored token on
   * small models); exact scoring (`dusk eval`) asks for F32. Defaults to "F16", llama.cpp's default.
   */
  kvCacheType?: "F16" | "F32";
}

/** Sequence pool counters, for health checks and leak tests. */
export interface SequenceStats {
  sequences: number;
  free: number;
  busy: number;
  waiting: number;
}

/** A loaded model with its context and a pool of sequences. */
export interface InferenceModel {
  readonly name: string;
  readonly path: string;
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly threads: number;
  /** Tokens each sequence can hold. */
  readonly contextSize: number;
  /** The GGUF's `tokenizer.chat_template`, if any. */
  readonly chatTemplate: string | undefined;
  /**
   * Takes a free sequence, waiting (FIFO) while all are busy. It comes empty, unless `reuseFor` is given: then it is
   * the free sequence whose tokens share the longest prefix with `reuseFor`, tokens kept (the caller erases the rest).
   */
  acquireSequence(signal?: AbortSignal, options?: { readonly reuseFor?: readonly Token[] }): Promise<LlamaContextSequence>;
  /** Returns a sequence to the pool, its tokens cleared unless `keepHistory` (a prompt cache for the next request). */
  releaseSequence(sequence: LlamaContextSequence, options?: { readonly keepHistory?: boolean }): Promise<void>;
  stats(): SequenceStats;
  dispose(): Promise<void>;
}

/** How many leading tokens `a` and `b` share, at most `limit`. */
function sharedPrefixLength(a: readonly Token[], b: readonly Token[], limit = Number.POSITIVE_INFINITY): number {
  const end = Math.min(a.length, b.length, limit);
  let n = 0;
  while (n < end && a[n] === b[n]) n++;
  return n;
}

/** Keeps the longest start of `tokens` (at most `limit` tokens) that `sequence` holds, erases the rest, and returns the kept count. */
export async function keepSharedPrefix(sequence: LlamaContextSequence, tokens: readonly Token[], limit: number): Promise<number> {
  const keep = sharedPrefixLength(sequence.contextTokens, tokens, limit);
  if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  return keep;
}

/** The number of physical CPU cores (hyper-threads counted once), falling back to the logical count. */
export function physicalCores(): number {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const cores = new Set<string>();
    for (const block of info.split(/\n\s*\n/)) {
      const physical = /physical id\s*:\s*(\d+)/.exec(block)?.[1];
      const core = /core id\s*:\s*(\d+)/.exec(block)?.[1];
      if (physical !== undefined && core !== undefined) cores.add(`${physical}:${core}`);
    }
    if (cores.size > 0) return Math.min(cores.size, availableParallelism());
  } catch {
    // not Linux: fall through
  }
  return availableParallelism();
}

let sharedLlama: Promise<Llama> | undefined;
let sharedGpuLlama: Promise<Llama> | undefined;

/** One llama.cpp binding per process (CPU-only or GPU), created on first use. */
export function getSharedLlama(gpu = false): Promise<Llama> {
  if (gpu) return (sharedGpuLlama ??= getLlama({ gpu: "auto", build: "never", logLevel: LlamaLogLevel.error }));
  return (sharedLlama ??= getLlama({ gpu: false, logLevel: LlamaLogLevel.error }));
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`expected ${name} to be a positive integer but found ${value}`);
}

/** Loads a GGUF model file with a context of `sequences` sequences. */
export async function loadModel(path: string, {
  contextSize = 2048,
  threads = physicalCores(),
  gpuLayers = "auto",
  sequences = 1,
  gpu = gpuLayers !== 0,
  name = basename(path).replace(/\.gguf$/i, ""),
  llama,
  flashAttention,
  kvCacheType = "F16",
}: LoadModelOptions = {}): Promise<InferenceModel> {
  checkPositiveInteger("the context size", contextSize);
  checkPositiveInteger("the thread count", threads);
  threads = Math.min(threads, availableParallelism());
  checkPositiveInteger("the number of sequences", sequences);
  if (typeof gpuLayers === "number" && (!Number.isInteger(gpuLayers) || gpuLayers < 0)) {
    throw new InvalidArgumentError(`expected --gpu-layers to be a count, auto or max but found ${gpuLayers}`);
  }
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new FileNotFoundError(path, { hint: "give the path of a .gguf model file (dusk pull downloads one)" });
  const binding = llama ?? (await getSharedLlama(gpu));
  let model: LlamaModel;
  let context: LlamaContext;
  try {
    model = await binding.loadModel({ modelPath: path, gpuLayers: binding.gpu === false ? 0 : gpuLayers });
  } catch (error) {
    if (isDuskError(error)) throw error;
    throw new ModelLoadError(path, error instanceof Error ? error.message : String(error), { cause: error });
  }
  try {
    const attention = flashAttention ?? (binding.gpu === false || model.gpuLayers === 0 ? false : undefined);
    // contextSize is per sequence in node-llama-cpp (it allocates contextSize × sequences cells itself); one sequence
    // per decode batch, because llama.cpp's mixed-sequence batches give wrong logits (see batching.ts).
    context = await model.createContext({ contextSize, sequences, threads, batchSize: Math.min(512, contextSize), batching: CONTEXT_BATCHING, experimentalKvCacheKeyType: kvCacheType, experimentalKvCacheValueType: kvCacheType, ...(attention !== undefined ? { flashAttention: attention } : {}) });
  } catch (error) {
    await model.dispose();
    throw new ModelLoadError(path, `could not create a context of ${contextSize} × ${sequences} tokens: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  const free: LlamaContextSequence[] = [];
  for (let i = 0; i < sequences; i++) free.push(context.getSequence());
  const waiting: { resolve: (sequence: LlamaContextSequence) => void; reject: (error: unknown) => void }[] = [];
  const pool: InferenceModel = {
    name,
    path,
    llama: binding,
    model,
    context,
    threads,
    contextSize,
    chatTemplate: typeof template === "string" ? template : undefined,
    acquireSequence(signal, { reuseFor } = {}) {
      // A sequence kept with its tokens is cleared here unless the caller reuses them.
      const ready = async (sequence: LlamaContextSequence): Promise<LlamaContextSequence> => {
        if (reuseFor === undefined && sequence.nextTokenIndex > 0) await sequence.clearHistory();
        return sequence;
      };
      if (free.length > 0) {
        let pick = free.length - 1;
        if (reuseFor !== undefined) {
          let longest = -1;
          free.forEach((sequence, i) => {
            const shared = sharedPrefixLength(sequence.contextTokens, reuseFor);
            if (shared > longest) [longest, pick] = [shared, i];
          });
        }
        return ready(free.splice(pick, 1)[0]!);
      }
      return new Promise<LlamaContextSequence>((resolve, reject) => {
        const entry = {
          resolve: (s: LlamaContextSequence) => { signal?.removeEventListener("abort", onAbort); resolve(s); },
          reject,
        };
        const onAbort = (): void => {
          const index = waiting.indexOf(entry);
          if (index >= 0) waiting.splice(index, 1);
          reject(new GenerationAbortedError());
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener("abort", onAbort, { once: true });
        waiting.push(entry);
      }).then(ready);
    },
    async releaseSequence(sequence, { keepHistory = false } = {}) {
      if (!keepHistory) await sequence.clearHistory();
      const next = waiting.shift();
      if (next) next.resolve(sequence);
      else free.push(sequence);
    },
    stats: () => ({ sequences, free: free.length, busy: sequences - free.length, waiting: waiting.length }),
    async dispose() {
      for (const entry of waiting.splice(0)) entry.reject(new GenerationAbortedError());
      await context.dispose();
      await model.dispose();
    },
  };
  return pool;
}
