// Typed errors of the inference layer: loading a model file, templates, prompts that do not fit, bad sampling options.
import { DuskError, type DuskErrorOptions } from "../common/index.js";

/** node-llama-cpp could not load a model file. */
export class ModelLoadError extends DuskError {
  constructor(path: string, reason: string, options: DuskErrorOptions = {}) {
    super("MODEL_LOAD_FAILED", `expected a GGUF model that llama.cpp can load at ${path} but loading failed: ${reason}`, {
      hint: "check that the file is a complete .gguf (dusk inspect <file>) and that the context size fits in memory",
      ...options,
    });
  }
}

/** A chat template name or file is not known or cannot be rendered. */
export class TemplateError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("TEMPLATE_INVALID", message, {
      hint: "use --template auto|solar|chatml|llama2|mistral|raw or the path of a .jinja file",
      ...options,
    });
  }
}

/** A prompt has more tokens than the context holds. */
export class ContextOverflowError extends DuskError {
  readonly promptTokens: number;
  readonly contextSize: number;
  constructor(promptTokens: number, contextSize: number, options: DuskErrorOptions = {}) {
    super("CONTEXT_OVERFLOW", `expected a prompt of fewer than ${contextSize} tokens (the context size) but found ${promptTokens}`, {
      hint: "shorten the prompt or raise the context size (-c/--ctx-size)",
      ...options,
    });
    this.promptTokens = promptTokens;
    this.contextSize = contextSize;
  }
}

/** A generation was cancelled (abort signal, client disconnect). */
export class GenerationAbortedError extends DuskError {
  constructor(options: DuskErrorOptions = {}) {
    super("GENERATION_ABORTED", "expected the generation to run to its end but it was cancelled", options);
  }
}
