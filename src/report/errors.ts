// Typed errors of the report layer: unreadable results files and model names that match nothing (or too much).
import { DuskError, type DuskErrorOptions } from "../common/index.js";

/** A results file is not JSON, or not in a layout dusk reads. */
export class ResultsFormatError extends DuskError {
  constructor(path: string, message: string, options: DuskErrorOptions = {}) {
    super("RESULTS_FORMAT", `${path}: ${message}`, {
      hint: "pass results files written by `dusk eval` or by lm-evaluation-harness (v0.3, v0.4, or the Open LLM Leaderboard's results JSON)",
      ...options,
    });
  }
}

/** A `--models` item or `--baseline` names no model of the comparison. */
export class ModelNotFoundError extends DuskError {
  constructor(what: string, wanted: string, available: readonly string[], options: DuskErrorOptions = {}) {
    super("MODEL_NOT_FOUND", `expected ${what} "${wanted}" to match a model but found none among ${available.length} models`, {
      hint: `names match case-insensitively as substrings; the models are: ${available.join(", ")}`,
      ...options,
    });
  }
}

/** `--baseline` matches several models. */
export class AmbiguousModelError extends DuskError {
  constructor(wanted: string, matches: readonly string[], options: DuskErrorOptions = {}) {
    super("AMBIGUOUS_MODEL", `expected --baseline "${wanted}" to match one model but found ${matches.length}: ${matches.join(", ")}`, {
      hint: "give the baseline's full name (an exact name wins over substring matches)",
      ...options,
    });
  }
}
