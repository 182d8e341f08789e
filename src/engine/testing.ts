// Helpers shared by the engine's tests: which backends to test, seeded random arrays, and comparisons with a
// tolerance relative to the size of the reference values.
import { isBackendAvailable } from "./backend.js";
import { BackendUnavailableError, KernelArgumentError } from "./errors.js";
import type { BackendName } from "./kernels.js";
import { Rng } from "./rng.js";

/**
 * The backends the tests run on: WebAssembly always, native when its addon loads. With DUSK_REQUIRE_NATIVE=1 (CI)
 * a missing native addon is an error instead of a skip; DUSK_BACKEND=wasm|native restricts the list to one.
 */
export function backendsUnderTest(): BackendName[] {
  const only = process.env.DUSK_BACKEND;
  const native = isBackendAvailable("native");
  if (!native && process.env.DUSK_REQUIRE_NATIVE === "1") {
    throw new BackendUnavailableError("expected the native backend (DUSK_REQUIRE_NATIVE=1) but it did not load", { hint: "run npm run build:native -- --strict to see why" });
  }
  const all: BackendName[] = native ? ["native", "wasm"] : ["wasm"];
  if (!native) console.warn("engine tests: the native backend is not built (npm run build:native); testing WebAssembly only");
  return only === "native" || only === "wasm" ? all.filter((b) => b === only) : all;
}

/** n normal draws times scale, as float64. */
export function randomArray(rng: Rng, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() * scale);
}

/** Rounds float64 values to float32 and back, so that float32 kernels and float64 references see equal inputs. */
export function f32(values: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(values));
}

/** The largest |actual - expected| divided by max(1e-3, the largest |expected|): an error relative to the scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new KernelArgumentError(`expected arrays of equal length but got ${actual.length} and ${expected.length}`);
  let diff = 0, scale = 1e-3;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return diff / scale;
}
