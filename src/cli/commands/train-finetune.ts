// What `dusk train sft` and `dusk train dpo` share: their options (model, data, template, schedule, held-out
// evaluation, checkpoints), the mapping to the library's options, and running one with Ctrl-C, JSON and summaries.
import type { Command } from "commander";
import { formatBytes, formatDuration } from "../../common/index.js";
import type { MemoryReport } from "../../engine/index.js";
import { TOO_LONG_POLICIES, TRAINING_TEMPLATE_NAMES, formatMetrics, type EvalPoint, type TooLongPolicy } from "../../train/index.js";
import { resolveTrainingData } from "../data-source.js";
import { BACKENDS, fraction, given, integer, logTo, oneOf, positive, withInterrupt } from "./train-options.js";

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

/** Options for the library's sft() or dpo(): the output folder and whichever settings were given. */
export type LibraryOptions = Record<string, unknown> & { readonly output: string };

/** The library options of the shared flags, with --data and --eval-data resolved to local files. */
export async function fineTuneLibraryOptions(o: FineTuneCliOptions): Promise<LibraryOptions> {
  const data = o.data !== undefined ? await resolveTrainingData(o.data, { split: o.split }) : undefined;
  const evalData = o.evalData !== undefined ? await resolveTrainingData(o.evalData, { split: o.evalSplit ?? "test" }) : undefined;
  return {
    output: o.output, ...(data !== undefined ? { data } : {}), ...(evalData !== undefined ? { evalData } : {}),
    ...given(o, ["model", "format", "template", "badRows", "tooLong", "epochs", "maxSteps", "batchSize", "seqLen", "lr", "warmup", "gradAccum", "evalEvery", "saveEvery", "seed", "threads", "heldOut", "stopAt", "logEvery", "backend", "resume", "exactMatchSamples", "maxNewTokens", "evalOnly"]),
  };
}

/** "start → end" of an evaluation metric over a run, when both ends have it. */
export function change(evals: readonly EvalPoint[], metric: string, percent = false): string | undefined {
  const points = evals.filter((e) => e[metric] !== undefined);
  const first = points[0]?.[metric], last = points.at(-1)?.[metric];
  if (first === undefined || last === undefined || points.length < 2) return undefined;
  const show = (v: number): string => (percent ? `${(v * 100).toFixed(1)}%` : v.toFixed(4));
  return `${metric.replaceAll("_", " ")} ${show(first)} → ${show(last)} (step ${points[0]?.step} → ${points.at(-1)?.step})`;
}

/** The line of an --eval-only run: the model's held-out numbers. */
export function evalOnlyLine(model: string | undefined, evals: readonly EvalPoint[]): string {
  const { step: _step, ...metrics } = evals.at(-1) ?? { step: 0 };
  return `held-out evaluation of ${model ?? "the checkpoint"}: ${Object.keys(metrics).length > 0 ? formatMetrics(metrics) : "no held-out data"}`;
}

/** What a run's summary line says about speed and size. */
export function runFacts(result: { parameters: number; backend: string; tokensPerSecond: number; memory: MemoryReport; seconds: number }): string {
  return `${result.parameters} parameters on ${result.backend}, ${Math.round(result.tokensPerSecond)} tok/s, peak memory ${formatBytes(result.memory.peak)}, ${formatDuration(result.seconds)}`;
}

/**
 * Runs a fine-tuning command: the shared options (data resolved) plus `extra`, with Ctrl-C saving a checkpoint;
 * prints the result as JSON (--json), the held-out numbers (--eval-only), or the summary lines given.
 */
export async function runFineTune<R extends { evals: readonly EvalPoint[] }>(o: FineTuneCliOptions, extra: Record<string, unknown>, train: (options: LibraryOptions) => Promise<R>, summary: (result: R) => (string | undefined)[]): Promise<void> {
  const base = await fineTuneLibraryOptions(o);
  await withInterrupt(async (signal) => {
    const result = await train({ ...base, ...extra, log: logTo(o.json), progress: !o.json && Boolean(process.stderr.isTTY), signal });
    if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (o.evalOnly) process.stdout.write(`${evalOnlyLine(o.model ?? o.resume?.toString(), result.evals)}\n`);
    else process.stdout.write(`${summary(result).filter((l) => l !== undefined).join("\n")}\n`);
  });
}
