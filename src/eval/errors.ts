// Typed errors of the evaluation harness: one class per failure, each with a hint for the user.
import { DuskError, type DuskErrorOptions } from "../common/index.js";

/** A task name that dusk does not know. */
export class UnknownTaskError extends DuskError {
  constructor(name: string, known: readonly string[], options: DuskErrorOptions = {}) {
    super("EVAL_UNKNOWN_TASK", `expected a task name such as ${known.slice(0, 8).join(", ")} but got "${name}"`, {
      hint: "tasks: arc_challenge, hellaswag, mmlu (or mmlu_<subject>), truthfulqa_mc, winogrande, gsm8k, or the group h6",
      ...options,
    });
  }
}

/** A task that the chosen profile does not score. */
export class TaskNotInProfileError extends DuskError {
  constructor(task: string, profile: string, supported: readonly string[], options: DuskErrorOptions = {}) {
    super("EVAL_TASK_NOT_IN_PROFILE", `expected a task that profile ${profile} scores (${supported.join(", ")}) but got ${task}`, {
      hint: "choose another --profile (leaderboard-v1 scores all six tasks)",
      ...options,
    });
  }
}

/** A data file or row does not have the expected shape. */
export class DataFormatError extends DuskError {
  constructor(source: string, expected: string, found: string, options: DuskErrorOptions = {}) {
    super("EVAL_DATA_FORMAT", `${source}: expected ${expected} but found ${found}`, {
      hint: "give the data in the Hub's row schema (jsonl, json or parquet) or in the task's original format (see docs: dusk eval --help)",
      ...options,
    });
  }
}

/** The data of a task could not be found: no folder, or no file for a split it needs. */
export class DatasetNotFoundError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("EVAL_DATASET_NOT_FOUND", message, {
      hint: "pass --data-dir DIR with one folder per task (arc/, hellaswag/, mmlu/, truthfulqa/, winogrande/, gsm8k/), splits named by file or folder",
      ...options,
    });
  }
}

/** The chosen model backend cannot be used (not built yet, or not available on this machine). */
export class BackendUnavailableError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("EVAL_BACKEND_UNAVAILABLE", message, { hint: "use --endpoint URL to evaluate through an OpenAI-compatible server", ...options });
  }
}

/** An endpoint answered with an error or with a body that is not what the completions API promises. */
export class EndpointError extends DuskError {
  constructor(url: string, expected: string, found: string, options: DuskErrorOptions = {}) {
    super("EVAL_ENDPOINT", `${url}: expected ${expected} but got ${found}`, {
      hint: "the server must speak the OpenAI completions API with echo + logprobs (dusk serve, llama.cpp's server, vLLM) and a /tokenize route",
      ...options,
    });
  }
}
