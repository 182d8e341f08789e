// The options `dusk train sft` and `dusk train dpo` share (model, data, template, schedule, held-out evaluation,
// checkpoints) and their mapping to the library's options, so both commands spell them alike.
import type { Command } from "commander";
import { TOO_LONG_POLICIES, TRAINING_TEMPLATE_NAMES, type TooLongPolicy } from "../../train/index.js";
import { resolveTrainingData } from "../data-source.js";
import { BACKENDS, fraction, given, integer, oneOf, positive } from "./train-options.js";

/** The parsed shared options. */
export interface FineTuneCliOptions {
  output: string; model?: string; data?: string[]; evalData?: string[]; split?: string; evalSplit?: string; format?: string; template?: string;
  badRows?: "error" | "skip"; tooLong?: TooLongPolicy; epochs?: number; maxSteps?: number; batchSize?: number; seqLen?: number; lr?: number;
  warmup?: number; gradAccum?: number; evalEvery?: number; saveEvery?: number; seed?: number; threads?: number; heldOut?: number;
  stopAt?: number; logEvery?: number; backend?: "native" | "wasm"; resume?: string | true; exactMatchSamples?: number; maxNewTokens?: number;
  evalOnly?: boolean; json?: boolean;
}

/** Adds the shared options to a command; `defaults` fills the numbers the help quotes. */
export function addFineTuneOptions(command: Command, defaults: { epochs: number; lr: string; batch: string }): Command {
  return command
    .requiredOption("-o, --output <folder>", "folder for checkpoint-<step>/ and final/ (Hugging Face folders)")
    .option("--model <checkpoint>", "the checkpoint folder to fine-tune (required unless --resume)")
    .option("--data <files...>", "data: .jsonl, .json or .parquet files, folders of them, or a Hub dataset id (org/name[@revision]); required unless --resume")
    .option("--eval-data <files...>", "held-out data (default: --held-out of --data)")
    .option("--split <name>", "the split of a Hub dataset to train on (default: train)")
    .option("--eval-split <name>", "the split of a Hub --eval-data dataset (default: test)")
    .option("--format <name>", "row format (default: detected from the first row)")
    .option("--template <name>", `chat template: ${TRAINING_TEMPLATE_NAMES.join(", ")} (default auto: the checkpoint's own, else chatml)`)
    .option("--bad-rows <policy>", "rows with missing fields or empty answers: error (list them and stop) or skip (leave them out, each reported) (default error)", oneOf("bad-rows", ["error", "skip"] as const))
    .option("--too-long <policy>", "examples longer than --seq-len: truncate, skip or error; each is reported (default truncate)", oneOf("too-long", TOO_LONG_POLICIES))
    .option("--epochs <n>", `passes over the data when --max-steps is not given (default ${defaults.epochs})`, positive("epochs"))
    .option("--max-steps <n>", "optimizer steps of the whole run (default: what --epochs takes)", integer("max-steps", 1))
    .option("--batch-size <n>", `${defaults.batch} per micro-batch (default 8)`, integer("batch-size", 1))
    .option("--seq-len <n>", "most tokens of an example (default 256)", integer("seq-len", 2))
    .option("--lr <x>", `peak learning rate (default ${defaults.lr}; cosine decay to lr/10)`, positive("lr"))
    .option("--warmup <n>", "linear warmup steps (default 10)", integer("warmup", 0))
    .option("--grad-accum <n>", "micro-batches per optimizer step (default 1)", integer("grad-accum", 1))
    .option("--held-out <fraction>", "fraction of --data held out for evaluation when --eval-data is not given (default 0.05)", fraction("held-out"))
    .option("--eval-every <n>", "steps between held-out evaluations; always at the start and the end (default 50)", integer("eval-every", 0))
    .option("--exact-match-samples <n>", "held-out problems answered greedily for exact match, when answers end in #### <number> (default 50, 0 for none)", integer("exact-match-samples", 0))
    .option("--max-new-tokens <n>", "most tokens of each exact-match answer (default 128)", integer("max-new-tokens", 1))
    .option("--save-every <n>", "steps between checkpoints, 0 for only final/ (default 200)", integer("save-every", 0))
    .option("--resume [checkpoint]", "resume a run (default: the latest checkpoint-<step> under --output)")
    .option("--stop-at <step>", "stop after this step with a checkpoint, keeping the schedule of --max-steps", integer("stop-at", 0))
    .option("--seed <n>", "seed of the batch order and the held-out split (default 0)", integer("seed", 0))
    .option("--threads <n>", "compute threads (default: all cores for native, 1 for wasm)", integer("threads", 1))
    .option("--log-every <n>", "steps between log lines (default 10)", integer("log-every", 1))
    .option("--backend <name>", "kernel backend: native or wasm (default: DUSK_BACKEND, else native if built, else wasm)", oneOf("backend", BACKENDS))
    .option("--eval-only", "only evaluate the model on the held-out data, without training or writing a checkpoint")
    .option("--json", "print the result as JSON (logs go to stderr)");
}

/** The library options of the shared flags, with --data and --eval-data resolved to local files. */
export async function fineTuneLibraryOptions(o: FineTuneCliOptions): Promise<Record<string, unknown>> {
  const data = o.data !== undefined ? await resolveTrainingData(o.data, { split: o.split }) : undefined;
  const evalData = o.evalData !== undefined ? await resolveTrainingData(o.evalData, { split: o.evalSplit ?? "test" }) : undefined;
  return {
    output: o.output, ...(data !== undefined ? { data } : {}), ...(evalData !== undefined ? { evalData } : {}),
    ...given(o, ["model", "format", "template", "badRows", "tooLong", "epochs", "maxSteps", "batchSize", "seqLen", "lr", "warmup", "gradAccum", "evalEvery", "saveEvery", "seed", "threads", "heldOut", "stopAt", "logEvery", "backend", "resume", "exactMatchSamples", "maxNewTokens", "evalOnly"]),
  };
}
