// `dusk train sft` as a library function: supervised fine-tuning of a Llama checkpoint on instruction data (Alpaca,
// OpenOrca, message lists, prompt/completion, question/answer), rendered with a chat template, the loss on the
// assistant's tokens only, optional packing, epochs or steps, a held-out split with its loss (and exact match when
// the answers are GSM8K-style worked answers), checkpoints and exact --resume.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { LlamaConfig } from "../../arch/index.js";
import { InvalidArgumentError, formatDuration } from "../../common/index.js";
import { trainStep, type BackendChoice, type MemoryReport } from "../../engine/index.js";
import { encodeConversation, type TrainingTemplate } from "../chat/index.js";
import { extractAnswer } from "../data/index.js";
import { parseSftRows, readRows, type SftExample, type SftFormat } from "../examples/index.js";
import { loadSplitData, resolveSettings, startFineTune, runTrainingLoop, tokenizerFilesWithTemplate, type EvalPoint, type FineTuneSettings, type LoadedData, type SettingsDraft, type StepRecord, type TooLongPolicy } from "../loop/index.js";
import { saveCheckpoint } from "../pretrain/index.js";
import { SftDataset, fitExamples, reportLengthProblems, type EncodedExample, type LengthProblem } from "./dataset.js";
import { exactMatch, heldOutLoss } from "./evaluate.js";

/** The settings that decide an SFT run (kept in trainer_state.json so --resume reproduces it). */
export interface SftSettings extends FineTuneSettings {
  /** Pack examples back to back into rows of seqLen. */
  readonly packing: boolean;
}

/** trainer_state.json of an SFT run. */
export interface SftState {
  readonly version: 1;
  readonly kind: "sft";
  readonly step: number;
  readonly settings: SftSettings;
  readonly config: LlamaConfig;
  readonly template: string;
  readonly format: SftFormat;
  readonly tokenizerSha256: string;
  /** The data files (the default of a resumed run). */
  readonly data: readonly string[];
  readonly evalData?: readonly string[] | undefined;
  /** sha256 of the tokenized training examples. */
  readonly dataSha256: string;
  readonly steps: readonly StepRecord[];
  readonly evals: readonly EvalPoint[];
  readonly tokens: number;
}

/** Options of {@link sft}. Settings left out take the resumed run's value, else the default. */
export interface SftOptions extends Partial<Omit<SftSettings, "maxSteps">> {
  /** Folder for checkpoint-<step>/ and final/. */
  readonly output: string;
  /** The checkpoint to fine-tune (required unless resuming). */
  readonly model?: string;
  /** Data files or folders (jsonl, json, parquet). Defaults to the resumed run's. */
  readonly data?: readonly string[];
  /** Held-out data files; without them --held-out splits the data. */
  readonly evalData?: readonly string[];
  /** Row format; detected from the first row when left out. */
  readonly format?: SftFormat;
  /** Chat template: a built-in name or auto (the checkpoint's, else chatml). Defaults to auto. */
  readonly template?: string;
  /** Bad rows (missing fields, empty answers): refuse the data (error) or leave them out, reported. Defaults to error. */
  readonly badRows?: "error" | "skip";
  /** Optimizer steps; defaults to what --epochs takes. */
  readonly maxSteps?: number;
  readonly resume?: string | true;
  readonly stopAt?: number;
  readonly threads?: number;
  readonly backend?: BackendChoice;
  readonly logEvery?: number;
  readonly log?: (line: string) => void;
  readonly progress?: boolean;
  readonly signal?: AbortSignal;
  /** Only evaluate the model on the held-out data (loss, exact match; DPO: preference accuracy), without training. */
  readonly evalOnly?: boolean;
}

/** What {@link sft} did. */
export interface SftResult {
  readonly output: string;
  readonly checkpoint: string | undefined;
  readonly step: number;
  readonly completed: boolean;
  readonly interrupted: boolean;
  readonly template: string;
  readonly format: SftFormat;
  readonly trainExamples: number;
  readonly heldOutExamples: number;
  /** Rows left out (bad) and over-long examples truncated or left out. */
  readonly skippedRows: number;
  readonly tooLong: readonly LengthProblem[];
  readonly steps: readonly StepRecord[];
  readonly evals: readonly EvalPoint[];
  readonly parameters: number;
  readonly tokensPerSecond: number;
  readonly seconds: number;
  readonly memory: MemoryReport;
  readonly backend: string;
}

const DEFAULTS: Omit<SftSettings, "maxSteps"> = {
  epochs: 3, batchSize: 8, seqLen: 256, lr: 1e-3, minLr: 1e-4, warmup: 10, gradAccum: 1, seed: 0, heldOut: 0.05, weightDecay: 0,
  maxGradNorm: 1, evalEvery: 50, saveEvery: 200, packing: false, tooLong: "truncate", exactMatchSamples: 50, maxNewTokens: 128,
};

/** sha256 of tokenized examples (a resumed run must see the same data). */
export function examplesSha256(examples: readonly EncodedExample[]): string {
  const hash = createHash("sha256");
  for (const e of examples) hash.update(Int32Array.from(e.tokens)).update(Uint8Array.from(e.trained, Number)).update("|");
  return hash.digest("hex");
}

/** Reads, checks and tokenizes examples, applying the length policy (reported through `log`). */
async function loadExamples(files: readonly string[], format: SftFormat | undefined, options: SftOptions, template: TrainingTemplate, tokenizer: Parameters<typeof encodeConversation>[2], seqLen: number, tooLong: TooLongPolicy, log: (line: string) => void): Promise<SftData> {
  const rows = await readRows(files);
  const parsed = parseSftRows(rows, { ...(format !== undefined ? { format } : {}), badRows: options.badRows ?? "error" });
  for (const problem of parsed.skipped) log(`skipped row ${problem.index} (${problem.where}): ${problem.problem}`);
  const encoded = parsed.examples.map((e): EncodedExample => ({ ...encodeConversation(e.messages, template, tokenizer), index: e.index, where: e.where }));
  const { kept, problems } = fitExamples(encoded, seqLen, tooLong);
  reportLengthProblems(problems, seqLen, tooLong, log);
  const keptRows = new Set(kept.map((e) => e.index));
  return { items: parsed.examples.filter((e) => keptRows.has(e.index)), encoded: kept, format: parsed.format, skipped: parsed.skipped.length, problems };
}

/** Examples read from files, checked and tokenized. */
interface SftData extends LoadedData<SftExample, EncodedExample> {
  readonly format: SftFormat;
  /** Bad rows left out. */
  readonly skipped: number;
  readonly problems: readonly LengthProblem[];
}

/** Supervised fine-tuning of a checkpoint; see {@link SftOptions}. */
export async function sft(options: SftOptions): Promise<SftResult> {
  const started = performance.now();
  const log = options.log ?? ((): void => undefined);
  const { session, saved, settings: partial, template } = await startFineTune<SftState, SettingsDraft<SftSettings>>(
    { model: options.model, resume: options.resume, output: options.output, backend: options.backend, threads: options.threads, weightDecay: options.weightDecay ?? DEFAULTS.weightDecay, command: "sft", template: options.template, log },
    (saved) => resolveSettings<SftSettings>(DEFAULTS, options, saved),
  );
  try {
    // Data: training examples, and held-out ones (given, or split off by --held-out).
    const load = (files: readonly string[], like?: SftData): Promise<SftData> => loadExamples(files, like?.format ?? options.format, options, template, session.tokenizer, partial.seqLen, partial.tooLong, log);
    const { all, train, held, files, evalFiles } = await loadSplitData<SftExample, EncodedExample, SftData>({
      data: options.data, evalData: options.evalData, resumed: saved, heldOut: partial.heldOut, seed: partial.seed, load,
    });
    const dataSha = examplesSha256(train.encoded);
    if (saved !== undefined && saved.dataSha256 !== dataSha) throw new InvalidArgumentError(`expected the training data the run started with (sha256 ${saved.dataSha256.slice(0, 12)}) but got ${dataSha.slice(0, 12)}`, { hint: "resume with the same --data, --template, --seq-len and --held-out" });
    const padId = session.tokenizer.vocab.padId ?? session.tokenizer.vocab.eosId ?? 0;
    const dataset = new SftDataset(train.encoded, { batchSize: partial.batchSize, seqLen: partial.seqLen, seed: partial.seed, packing: partial.packing, padId });
    const heldSet = held !== undefined && held.encoded.length > 0 ? new SftDataset(held.encoded, { batchSize: partial.batchSize, seqLen: partial.seqLen, seed: partial.seed, packing: false, padId }) : undefined;
    const maxSteps = partial.maxSteps ?? Math.max(1, Math.ceil((partial.epochs * dataset.batchesPerEpoch) / partial.gradAccum));
    const settings: SftSettings = { ...partial, maxSteps };
    log(`data: ${train.encoded.length} training examples (${all.format}; ${dataset.size} rows${settings.packing ? " packed" : ""}, ${dataset.trainedTokens} answer tokens), ${held?.encoded.length ?? 0} held out; ${maxSteps} steps`);

    // Exact match applies when every held-out answer is a worked answer ending in "#### <number>".
    const lastAnswer = (e: SftExample): string => [...e.messages].reverse().find((m) => m.role === "assistant")?.content ?? "";
    const checkable = held !== undefined && held.items.length > 0 && settings.exactMatchSamples > 0 && held.items.every((e) => extractAnswer(lastAnswer(e)) !== undefined);
    const { model, optimizer, tokenizer } = session;
    const steps: StepRecord[] = [...(saved?.steps ?? [])];
    const evals: EvalPoint[] = [...(saved?.evals ?? [])];
    let tokens = saved?.tokens ?? 0;
    const startStep = saved?.step ?? 0;
    log(`model: ${model.parameterCount} parameters (${session.config.layers} layers, hidden ${session.config.hidden}) on ${model.kernels.backend}${session.resumed !== undefined ? `; resumed at step ${startStep} from ${session.resumed.folder}` : ` from ${session.weightsFrom}`}`);
    const tokenizerFiles = tokenizerFilesWithTemplate(tokenizer, template);

    const loop = await runTrainingLoop({
      label: "sft", settings, startStep, steps, evals, log, progress: options.progress ?? false, signal: options.signal, stopAt: options.stopAt, logEvery: options.logEvery ?? 10,
      resumedFrom: session.resumed?.folder, evalOnly: options.evalOnly,
      runStep(s, lr) {
        const micro = Array.from({ length: settings.gradAccum }, (_, j) => dataset.batch(s, j, settings.gradAccum));
        const { loss, gradNorm } = trainStep(model, optimizer, micro, { lr, maxGradNorm: settings.maxGradNorm });
        const stepTokens = micro.reduce((n, b) => n + b.batchSize * b.seqLen, 0);
        tokens += stepTokens;
        return { loss, gradNorm, tokens: stepTokens };
      },
      evaluate(s, final) {
        if (heldSet === undefined || held === undefined) return undefined;
        const metrics: Record<string, number> = { held_out_loss: heldOutLoss(model, heldSet) };
        if (checkable && (s === 0 || final)) {
          const t0 = performance.now();
          metrics.exact_match = exactMatch(model, tokenizer, template, held.items.slice(0, settings.exactMatchSamples), settings.maxNewTokens);
          log(`exact match on ${Math.min(settings.exactMatchSamples, held.items.length)} held-out problems took ${formatDuration((performance.now() - t0) / 1000)}`);
        }
        return metrics;
      },
      async save(name, s) {
        const folder = join(options.output, name);
        const state: SftState = { version: 1, kind: "sft", step: s, settings, config: session.config, template: template.name, format: all.format, tokenizerSha256: session.tokenizerSha256, data: files, evalData: evalFiles, dataSha256: dataSha, steps, evals, tokens };
        await saveCheckpoint(folder, { model, optimizer: optimizer.exportState(), state, tokenizerFiles, bos: tokenizer.vocab.bosId, eos: tokenizer.vocab.eosId });
        return folder;
      },
    });
    return {
      output: options.output, checkpoint: loop.checkpoint, step: loop.step, completed: loop.completed, interrupted: loop.interrupted, template: template.name, format: all.format,
      trainExamples: train.encoded.length, heldOutExamples: held?.encoded.length ?? 0, skippedRows: all.skipped + (held?.skipped ?? 0), tooLong: [...all.problems, ...(held?.problems ?? [])],
      steps, evals, parameters: model.parameterCount, tokensPerSecond: loop.tokensPerSecond, seconds: (performance.now() - started) / 1000, memory: model.memoryReport(optimizer), backend: model.kernels.backend,
    };
  } finally {
    session.dispose();
  }
}
