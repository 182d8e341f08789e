// The optimizer-step loop that SFT and DPO share: the warmup + cosine schedule, a step function supplied by the
// objective, log lines every few steps, held-out evaluation every few steps (and at the start and the end),
// checkpoints every few steps and at the end, NaN detection, and stopping cleanly on an abort signal (Ctrl-C) or at
// --stop-at with a checkpoint, so that --resume carries on exactly.
import { Progress, formatDuration } from "../../common/index.js";
import { lrSchedule } from "../../engine/index.js";
import { NonFiniteLossError } from "../pretrain/index.js";

/** The schedule settings the loop reads. */
export interface LoopSettings {
  readonly maxSteps: number;
  readonly lr: number;
  readonly minLr: number;
  readonly warmup: number;
  /** Steps between evaluations, 0 for only at the start and the end. */
  readonly evalEvery: number;
  /** Steps between checkpoints, 0 for only the final one. */
  readonly saveEvery: number;
}

/** What one optimizer step reports. */
export interface StepOutcome {
  readonly loss: number;
  readonly gradNorm: number;
  /** Tokens processed (for tokens per second). */
  readonly tokens: number;
  /** Further numbers to log and record (e.g. DPO's rewards). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** One logged step. */
export interface StepRecord {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
  readonly [metric: string]: number;
}

/** One evaluation: the step and its named numbers. */
export interface EvalPoint {
  readonly step: number;
  readonly [metric: string]: number;
}

/** Options of {@link runTrainingLoop}. */
export interface TrainingLoopOptions {
  /** Label of the progress bar and log lines ("sft", "dpo"). */
  readonly label: string;
  readonly settings: LoopSettings;
  /** Steps already done (a resumed run). */
  readonly startStep: number;
  /** Every step's record so far; the loop appends. */
  readonly steps: StepRecord[];
  /** Every evaluation so far; the loop appends. */
  readonly evals: EvalPoint[];
  /** Runs optimizer step `step` (from 0) at learning rate `lr`. */
  readonly runStep: (step: number, lr: number) => StepOutcome;
  /** Held-out numbers at a step (undefined: nothing to evaluate). */
  readonly evaluate?: (step: number, final: boolean) => Record<string, number> | undefined;
  /** Writes a checkpoint of the state after `step` steps into `name` (checkpoint-<step> or final). */
  readonly save: (name: string, step: number) => Promise<string>;
  readonly log: (line: string) => void;
  readonly progress: boolean;
  readonly signal?: AbortSignal | undefined;
  /** Stop (with a checkpoint) once this many steps are done. */
  readonly stopAt?: number | undefined;
  /** Steps between log lines. Defaults to 10. */
  readonly logEvery?: number;
  /** The checkpoint the run resumed from, if any (the last good one until a new one is written). */
  readonly resumedFrom?: string | undefined;
  /** Only evaluate the model as it is (as at the end of a run): no steps, no checkpoint. */
  readonly evalOnly?: boolean | undefined;
}

/** What {@link runTrainingLoop} did. */
export interface TrainingLoopResult {
  readonly step: number;
  readonly completed: boolean;
  readonly interrupted: boolean;
  /** The last checkpoint written (final when the run completed). */
  readonly checkpoint: string | undefined;
  readonly tokensPerSecond: number;
  readonly seconds: number;
}

const formatMetric = (value: number): string => (Math.abs(value) >= 1000 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(2) : value.toFixed(4));

/** A log line of named numbers. */
export function formatMetrics(metrics: Readonly<Record<string, number>>): string {
  return Object.entries(metrics).map(([name, value]) => `${name.replaceAll("_", " ")} ${formatMetric(value)}`).join("  ");
}

/** Runs optimizer steps from `startStep` to `settings.maxSteps`; see {@link TrainingLoopOptions}. */
export async function runTrainingLoop(options: TrainingLoopOptions): Promise<TrainingLoopResult> {
  const { settings, label, log } = options;
  const started = performance.now();
  const logEvery = options.logEvery ?? 10;
  let step = options.startStep;
  let checkpoint = options.resumedFrom;
  let trainSeconds = 0, trainTokens = 0, intervalSeconds = 0, intervalTokens = 0, stepsRun = 0;
  let interrupted = false;
  const evaluate = (final: boolean): void => {
    if (options.evaluate === undefined || options.evals.at(-1)?.step === step) return;
    const metrics = options.evaluate(step, final);
    if (metrics === undefined) return;
    options.evals.push({ step, ...metrics });
    log(`eval step ${step}  ${formatMetrics(metrics)}`);
  };
  const save = async (name: string): Promise<void> => {
    checkpoint = await options.save(name, step);
    log(`saved ${checkpoint}`);
  };

  if (options.evalOnly === true) {
    evaluate(true);
    return { step, completed: false, interrupted: false, checkpoint, tokensPerSecond: 0, seconds: (performance.now() - started) / 1000 };
  }
  if (step === 0) evaluate(false);
  const bar = new Progress({ label, total: settings.maxSteps, unit: "steps", silent: !options.progress });
  bar.set(step);
  while (step < settings.maxSteps) {
    if (options.signal?.aborted || (options.stopAt !== undefined && step >= options.stopAt)) {
      interrupted = true;
      break;
    }
    const lr = lrSchedule({ step, lr: settings.lr, warmupSteps: settings.warmup, totalSteps: settings.maxSteps, minLr: settings.minLr });
    const t0 = performance.now();
    const outcome = options.runStep(step, lr);
    const seconds = (performance.now() - t0) / 1000;
    if (!Number.isFinite(outcome.loss)) throw new NonFiniteLossError(step + 1, outcome.loss, checkpoint);
    step += 1;
    stepsRun += 1;
    trainSeconds += seconds;
    trainTokens += outcome.tokens;
    intervalSeconds += seconds;
    intervalTokens += outcome.tokens;
    options.steps.push({ step, loss: outcome.loss, lr, gradNorm: outcome.gradNorm, ...outcome.metrics });
    bar.set(step);
    if (step % logEvery === 0 || step === settings.maxSteps) {
      const metrics = outcome.metrics !== undefined ? `  ${formatMetrics(outcome.metrics)}` : "";
      log(`step ${step}/${settings.maxSteps}  loss ${outcome.loss.toFixed(4)}${metrics}  lr ${lr.toExponential(2)}  ${Math.round(intervalTokens / Math.max(intervalSeconds, 1e-9))} tok/s  elapsed ${formatDuration((performance.now() - started) / 1000)}`);
      intervalSeconds = 0;
      intervalTokens = 0;
    }
    if (settings.evalEvery > 0 && step % settings.evalEvery === 0 && step < settings.maxSteps) evaluate(false);
    if (settings.saveEvery > 0 && step % settings.saveEvery === 0 && step < settings.maxSteps) await save(`checkpoint-${step}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  bar.finish();
  const completed = step >= settings.maxSteps;
  if (completed) {
    evaluate(true);
    await save("final");
  } else if (stepsRun > 0 || checkpoint === undefined) {
    await save(`checkpoint-${step}`);
  }
  return { step, completed, interrupted, checkpoint, tokensPerSecond: trainSeconds > 0 ? trainTokens / trainSeconds : 0, seconds: (performance.now() - started) / 1000 };
}
