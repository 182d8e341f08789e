// Typed errors of the training engine: a backend that cannot be loaded, kernel arguments of the wrong size, bad
// model configurations and inputs. Each carries a hint saying what to do.
import { DuskError, type DuskErrorOptions } from "../common/index.js";

/** A requested kernel backend (native addon or WebAssembly) could not be loaded. */
export class BackendUnavailableError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("ENGINE_BACKEND_UNAVAILABLE", message, options);
  }
}

/** A kernel was called with arrays too short for the shapes given, or with shapes that do not fit together. */
export class KernelArgumentError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("ENGINE_KERNEL_ARGUMENT", message, {
      hint: "this is a bug in the caller of the engine's kernels; please report it with the command that triggered it",
      ...options,
    });
  }
}

/** A model configuration the engine cannot build (e.g. heads that do not divide the hidden size). */
export class ModelConfigError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("ENGINE_MODEL_CONFIG", message, options);
  }
}

/** Input to a model (token ids, targets, batch shape) that does not fit the model. */
export class ModelInputError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("ENGINE_MODEL_INPUT", message, options);
  }
}
