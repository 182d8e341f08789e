// The seam for the in-process backend: by default a GGUF model loaded through src/infer into node-llama-cpp
// (backends/llamacpp.ts, imported only when needed); a faster scorer can be installed with setInProcessBackendFactory.
import { isDuskError } from "../../common/index.js";
import { BackendUnavailableError } from "../errors.js";
import type { Backend } from "./types.js";

/** Options of the in-process backend. */
export interface InProcessBackendOptions {
  /** Path of the GGUF model file. */
  modelPath: string;
  /** CPU threads for llama.cpp (set explicitly: its default oversubscribes small machines). Defaults to 2. */
  threads?: number;
  /** Sequences scored at once. Defaults to 1. */
  parallel?: number;
  /** Context length (tokens per sequence) to allocate. Defaults to 4096. */
  contextLength?: number;
}

/**
 * A factory for the in-process backend. A replacement must keep the Backend contract: tokenize without special
 * tokens; BOS/EOS ids and add_bos from the GGUF; loglikelihood = teacher-forced sum of log-softmax over the full
 * vocabulary at each continuation position, plus whether each token was the argmax; greedy generateUntil.
 */
export type InProcessBackendFactory = (options: InProcessBackendOptions) => Promise<Backend>;

/** The default: node-llama-cpp through src/infer, loaded lazily so that other commands never load the binding. */
const defaultFactory: InProcessBackendFactory = async (options) => {
  let module: typeof import("./llamacpp.js");
  try {
    module = await import("./llamacpp.js");
  } catch (error) {
    throw new BackendUnavailableError(`expected node-llama-cpp to load for the in-process backend but it failed: ${(error as Error).message}`, { cause: error });
  }
  try {
    return await module.LlamaCppBackend.open(options);
  } catch (error) {
    if (isDuskError(error)) throw error;
    throw new BackendUnavailableError(`expected to open ${options.modelPath} in process but node-llama-cpp failed: ${(error as Error).message}`, { cause: error });
  }
};

let factory: InProcessBackendFactory = defaultFactory;

/** Installs another in-process backend (for example a native scorer that reads only the target tokens' log-probabilities); undefined restores the default. */
export function setInProcessBackendFactory(next: InProcessBackendFactory | undefined): void {
  factory = next ?? defaultFactory;
}

/** Opens a GGUF model in process. */
export async function createInProcessBackend(options: InProcessBackendOptions): Promise<Backend> {
  return factory(options);
}
