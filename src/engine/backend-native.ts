// The native backend: loads the node-gyp addon (native/build/Release/dusk_native.node, built by
// `npm run build:native`) whose kernels call the system's BLAS. Arrays are ordinary Float32Arrays, passed zero-copy.
import { createRequire } from "node:module";
import { BackendUnavailableError } from "./errors.js";
import type { BackendMemory, RawKernels } from "./kernels.js";

/** The addon's path relative to this file, the same from src/engine/ and from dist/engine/. */
const ADDON_PATH = "../../native/build/Release/dusk_native.node";

const REQUIRED = [
  "sgemm", "embeddingForward", "embeddingBackward", "rmsnormForward", "rmsnormBackward", "ropeForward", "ropeBackward",
  "attentionForward", "attentionBackward", "swigluForward", "swigluBackward", "add", "scale", "fill", "crossEntropyForward",
  "crossEntropyBackward", "logSoftmax", "adamwStep", "sumsq", "setThreads",
] as const satisfies readonly (keyof RawKernels)[];

/** Loads the native addon; throws BackendUnavailableError (with the loader's error as cause) when it is not built. */
export function loadNativeBackend(): { raw: RawKernels; memory: BackendMemory } {
  let addon: Record<string, unknown>;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Record<string, unknown>;
  } catch (cause) {
    throw new BackendUnavailableError("expected the native engine backend (native/build/Release/dusk_native.node) but it could not be loaded", {
      hint: "build it with `npm run build:native` (needs a C compiler and libopenblas-dev, or Accelerate on macOS), or use DUSK_BACKEND=wasm",
      cause,
    });
  }
  const missing = REQUIRED.filter((name) => typeof addon[name] !== "function");
  if (missing.length > 0) {
    throw new BackendUnavailableError(`expected the native addon to provide ${missing.join(", ")} but it does not`, {
      hint: "rebuild it with `npm run build:native`",
    });
  }
  let bytes = 0;
  const live = new WeakSet<Float32Array | Int32Array>();
  const track = <A extends Float32Array | Int32Array>(array: A): A => {
    live.add(array);
    bytes += array.byteLength;
    return array;
  };
  const memory: BackendMemory = {
    alloc: (length) => track(new Float32Array(length)),
    allocInt32: (length) => track(new Int32Array(length)),
    free(array) {
      // the garbage collector frees the memory; this only keeps the count
      if (live.delete(array)) bytes -= array.byteLength;
    },
    allocatedBytes: () => bytes,
  };
  return { raw: addon as unknown as RawKernels, memory };
}
