// Choosing the kernel backend: the native addon when it loads, else WebAssembly; DUSK_BACKEND=native|wasm overrides
// the automatic choice. Each backend is loaded once per process and shared.
import { InvalidArgumentError } from "../common/index.js";
import { loadNativeBackend } from "./backend-native.js";
import { loadWasmBackend } from "./backend-wasm.js";
import { BackendUnavailableError } from "./errors.js";
import { checkedKernels, type BackendName, type Kernels } from "./kernels.js";

/** A backend name, or "auto" for the best one available. */
export type BackendChoice = BackendName | "auto";

const loaded = new Map<BackendName, Kernels>();
let nativeFailure: BackendUnavailableError | undefined;

function load(name: BackendName): Kernels {
  const cached = loaded.get(name);
  if (cached) return cached;
  if (name === "native" && nativeFailure) throw nativeFailure;
  let kernels: Kernels;
  try {
    const { raw, memory } = name === "native" ? loadNativeBackend() : loadWasmBackend();
    kernels = checkedKernels(name, raw, memory);
  } catch (error) {
    if (name === "native" && error instanceof BackendUnavailableError) nativeFailure = error;
    throw error;
  }
  loaded.set(name, kernels);
  return kernels;
}

function parseChoice(value: string, source: string): BackendChoice {
  if (value === "native" || value === "wasm" || value === "auto") return value;
  throw new InvalidArgumentError(`expected ${source} to be native, wasm or auto but got "${value}"`, {
    hint: "native uses the addon over the system's BLAS (npm run build:native); wasm needs nothing",
  });
}

/**
 * The engine's kernels on the chosen backend.
 * @param backend "native", "wasm" or "auto". Defaults to the environment variable DUSK_BACKEND, else "auto":
 *   native when its addon loads, else wasm.
 */
export function getKernels(backend?: BackendChoice): Kernels {
  const env = process.env.DUSK_BACKEND;
  const choice = backend !== undefined && backend !== "auto" ? backend : env ? parseChoice(env, "DUSK_BACKEND") : "auto";
  if (choice !== "auto") return load(choice);
  return isBackendAvailable("native") ? load("native") : load("wasm");
}

/** Whether a backend can be loaded on this machine (loading it if it can). */
export function isBackendAvailable(backend: BackendName): boolean {
  try {
    load(backend);
    return true;
  } catch (error) {
    if (error instanceof BackendUnavailableError) return false;
    throw error;
  }
}
