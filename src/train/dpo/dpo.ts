// `dusk train dpo` as a library function: Direct Preference Optimization of a checkpoint on preference pairs. The
// reference model (the starting checkpoint unless named) scores every pair once; its log-probabilities are cached
// in the output folder (reference-logps.json, keyed by the reference weights and the tokenized pairs), so resumed
// runs never score them again. Each step logs the loss, reward accuracy, margin and the chosen and rejected
// rewards; held-out pairs add the policy's own preference accuracy and, for worked answers, exact match.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LlamaConfig } from "../../arch/index.js";
import { InvalidArgumentError, ensureParentFolder, formatDuration, writeAtomically } from "../../common/index.js";
import { clipScale, createModel, type BackendChoice, type LlamaModel, type MemoryReport } from "../../engine/index.js";
import { extractAnswer } from "../data/index.js";
import { parsePairs, readRows, type PairFormat, type PreferencePair } from "../examples/index.js";
import { batchIndices, loadSplitData, resolveSettings, startFineTune, runTrainingLoop, tokenizerFilesWithTemplate, type EvalPoint, type FineTuneSettings, type LoadedData, type SettingsDraft, type StepRecord, type TooLongPolicy } from "../loop/index.js";
import { loadCheckpointWeights, readCheckpointConfig, saveCheckpoint } from "../pretrain/index.js";
import { exactMatch, reportLengthProblems } from "../sft/index.js";
import { dpoMetrics, dpoPairLoss, type DpoPairResult } from "./loss.js";
import { encodePairs, fitPairs, pairLogProbs, type EncodedPair, type PairLengthProblem } from "./pairs.js";
import { dpoMicroStep } from "./step.js";

/** The settings that decide a DPO run (kept in trainer_state.json). */
export interface DpoSettings extends FineTuneSettings {
  readonly beta: number;
  /** Weight of the chosen answers' token cross-entropy added to the DPO loss (RPO); 0 is plain DPO. */
  readonly rpoAlpha: number;
}

/** trainer_state.json of a DPO run. */
export interface DpoState {
  readonly version: 1;
  readonly kind: "dpo";
  readonly step: number;
  readonly settings: DpoSettings;
  readonly config: LlamaConfig;
  readonly template: string;
  readonly format: PairFormat;
  /** The reference checkpoint. */
  readonly reference: string;
  readonly tokenizerSha256: string;
  /** The data files (the default of a resumed run). */
  readonly data: readonly string[];
  readonly evalData?: readonly string[] | undefined;
  readonly dataSha256: string;
  readonly steps: readonly StepRecord[];
  readonly evals: readonly EvalPoint[];
}

/** Options of {@link dpo}. */
export interface DpoOptions extends Partial<Omit<DpoSettings, "maxSteps">> {
  readonly output: string;
  /** The checkpoint to align (usually an SFT model); required unless resuming. */
  readonly model?: string;
  /** The reference checkpoint. Defaults to the starting checkpoint. */
  readonly reference?: string;
  /** Data files or folders (jsonl, json, parquet). Defaults to the resumed run's. */
  readonly data?: readonly string[];
  readonly evalData?: readonly string[];
  readonly format?: PairFormat;
  readonly template?: string;
  readonly badRows?: "error" | "skip";
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

/** What {@link dpo} did. */
export interface DpoResult {
  readonly output: string;
  readonly checkpoint: string | undefined;
  readonly step: number;
  readonly completed: boolean;
  readonly interrupted: boolean;
  readonly template: string;
  readonly format: PairFormat;
  readonly reference: string;
  /** Whether the reference log-probabilities came from the cache. */
  readonly referenceCached: boolean;
  readonly trainPairs: number;
  readonly heldOutPairs: number;
  readonly skippedRows: number;
  readonly tooLong: readonly PairLengthProblem[];
  readonly steps: readonly StepRecord[];
  readonly evals: readonly EvalPoint[];
  readonly parameters: number;
  readonly tokensPerSecond: number;
  readonly seconds: number;
  readonly memory: MemoryReport;
  readonly backend: string;
}

const DEFAULTS: Omit<DpoSettings, "maxSteps"> = {
  epochs: 1, beta: 0.1, rpoAlpha: 0, batchSize: 8, seqLen: 256, lr: 5e-5, minLr: 5e-6, warmup: 10, gradAccum: 1, seed: 0, heldOut: 0.05, weightDecay: 0,
  maxGradNorm: 1, evalEvery: 50, saveEvery: 200, tooLong: "truncate", exactMatchSamples: 50, maxNewTokens: 128,
};

function settingsOf(options: DpoOptions, saved: DpoSettings | undefined): SettingsDraft<DpoSettings> {
  const settings = resolveSettings<DpoSettings>(DEFAULTS, options, saved);
  if (!(settings.beta > 0)) throw new InvalidArgumentError(`expected --beta > 0 but got ${settings.beta}`);
  if (!(settings.rpoAlpha >= 0)) throw new InvalidArgumentError(`expected --rpo-alpha >= 0 but got ${settings.rpoAlpha}`);
  return settings;
}

/** The reference cache file in the output folder. */
export const REFERENCE_CACHE_FILE = "reference-logps.json";

interface ReferenceCache {
  readonly key: string;
  readonly train: readonly number[];
  readonly heldOut: readonly number[];
}

function pairsSha256(pairs: readonly EncodedPair[]): string {
  const hash = createHash("sha256");
  for (const p of pairs) hash.update(Int32Array.from(p.prompt)).update("|").update(Int32Array.from(p.chosen)).update("|").update(Int32Array.from(p.rejected)).update("#");
  return hash.digest("hex");
}

function weightsSha256(model: LlamaModel): string {
  return createHash("sha256").update(new Uint8Array(model.params.buffer, model.params.byteOffset, model.params.byteLength)).digest("hex");
}

/** Reads, checks, tokenizes and fits the pairs of some files. */
async function loadPairs(files: readonly string[], format: PairFormat | undefined, options: DpoOptions, encode: (pairs: readonly PreferencePair[]) => EncodedPair[], seqLen: number, tooLong: TooLongPolicy, log: (line: string) => void): Promise<DpoData> {
  const parsed = parsePairs(await readRows(files), { ...(format !== undefined ? { format } : {}), badRows: options.badRows ?? "error" });
  for (const problem of parsed.skipped) log(`skipped row ${problem.index} (${problem.where}): ${problem.problem}`);
  const { kept, problems } = fitPairs(encode(parsed.pairs), seqLen, tooLong);
  reportLengthProblems(problems, seqLen, tooLong, log);
  const keptRows = new Set(kept.map((p) => p.index));
  return { items: parsed.pairs.filter((p) => keptRows.has(p.index)), encoded: kept, format: parsed.format, skipped: parsed.skipped.length, problems };
}

/** Pairs read from files, checked and tokenized. */
interface DpoData extends LoadedData<PreferencePair, EncodedPair> {
  readonly format: PairFormat;
  readonly skipped: number;
  readonly problems: readonly PairLengthProblem[];
}

/** DPO of a checkpoint on preference pairs; see {@link DpoOptions}. */
export async function dpo(options: DpoOptions): Promise<DpoResult> {
  const started = performance.now();
  const log = options.log ?? ((): void => undefined);
  const { session, saved, settings: partial, template } = await startFineTune<DpoState, SettingsDraft<DpoSettings>>(
    { model: options.model, resume: options.resume, output: options.output, backend: options.backend, threads: options.threads, weightDecay: options.weightDecay ?? DEFAULTS.weightDecay, command: "dpo", template: options.template, log },
    (saved) => settingsOf(options, saved),
  );
  try {
    const { model, optimizer, tokenizer } = session;
    const encode = (pairs: readonly PreferencePair[]): EncodedPair[] => encodePairs(pairs, template, tokenizer);

    const load = (files: readonly string[], like?: DpoData): Promise<DpoData> => loadPairs(files, like?.format ?? options.format, options, encode, partial.seqLen, partial.tooLong, log);
    const { all, train, held, files, evalFiles } = await loadSplitData<PreferencePair, EncodedPair, DpoData>({
      data: options.data, evalData: options.evalData, resumed: saved, heldOut: partial.heldOut, seed: partial.seed, load,
    });
    const heldPairs = held?.encoded ?? [];
    const dataSha = pairsSha256(train.encoded);
    if (saved !== undefined && saved.dataSha256 !== dataSha) throw new InvalidArgumentError(`expected the pairs the run started with (sha256 ${saved.dataSha256.slice(0, 12)}) but got ${dataSha.slice(0, 12)}`, { hint: "resume with the same --data, --template, --seq-len and --held-out" });
    const padId = tokenizer.vocab.padId ?? tokenizer.vocab.eosId ?? 0;
    const shape = { batchSize: partial.batchSize, seqLen: partial.seqLen, padId };
    const maxSteps = partial.maxSteps ?? Math.max(1, Math.ceil((partial.epochs * Math.ceil(train.encoded.length / partial.batchSize)) / partial.gradAccum));
    const settings: DpoSettings = { ...partial, maxSteps };
    const referencePath = options.reference ?? saved?.reference ?? session.weightsFrom;
    log(`data: ${train.encoded.length} training pairs (${all.format}), ${heldPairs.length} held out; ${maxSteps} steps; beta ${settings.beta}${settings.rpoAlpha > 0 ? `; rpo alpha ${settings.rpoAlpha}` : ""}; reference ${referencePath}`);

    // Reference log-probabilities: from the cache, else scored once (by the policy itself when it is the reference).
    const cachePath = join(options.output, REFERENCE_CACHE_FILE);
    const cached = await readFile(cachePath, "utf8").then((t) => JSON.parse(t) as ReferenceCache, () => undefined);
    let reference: { train: Float64Array; heldOut: Float64Array } | undefined;
    let referenceCached = false;
    const keyOf = (weights: string): string => createHash("sha256").update(JSON.stringify({ weights, train: dataSha, held: pairsSha256(heldPairs), seqLen: settings.seqLen })).digest("hex");
    const sameAsPolicy = session.resumed === undefined && referencePath === session.weightsFrom;
    let refModel: LlamaModel | undefined;
    try {
      if (!sameAsPolicy) {
        refModel = createModel(await readCheckpointConfig(referencePath), options.backend !== undefined ? { backend: options.backend } : {});
        if (options.threads !== undefined) refModel.kernels.setThreads(options.threads);
        await loadCheckpointWeights(referencePath, refModel);
      }
      const scorer = refModel ?? model;
      const key = keyOf(weightsSha256(scorer));
      if (cached?.key === key) {
        reference = { train: Float64Array.from(cached.train), heldOut: Float64Array.from(cached.heldOut) };
        referenceCached = true;
        log(`reference log-probabilities: read ${cachePath}`);
      } else {
        const t0 = performance.now();
        reference = { train: pairLogProbs(scorer, train.encoded, shape), heldOut: pairLogProbs(scorer, heldPairs, shape) };
        await ensureParentFolder(cachePath);
        const body: ReferenceCache = { key, train: [...reference.train], heldOut: [...reference.heldOut] };
        await writeAtomically(cachePath, (tmp) => writeFile(tmp, JSON.stringify(body)));
        log(`reference log-probabilities: scored ${train.encoded.length + heldPairs.length} pairs in ${formatDuration((performance.now() - t0) / 1000)} (cached in ${cachePath})`);
      }
    } finally {
      refModel?.dispose();
    }
    const ref = reference;

    const steps: StepRecord[] = [...(saved?.steps ?? [])];
    const evals: EvalPoint[] = [...(saved?.evals ?? [])];
    const startStep = saved?.step ?? 0;
    log(`model: ${model.parameterCount} parameters on ${model.kernels.backend}${session.resumed !== undefined ? `; resumed at step ${startStep} from ${session.resumed.folder}` : ` from ${session.weightsFrom}`}`);
    const checkable = held !== undefined && held.items.length > 0 && settings.exactMatchSamples > 0 && held.items.every((p) => extractAnswer(p.chosen) !== undefined);
    const tokenizerFiles = tokenizerFilesWithTemplate(tokenizer, template);

    const loop = await runTrainingLoop({
      label: "dpo", settings, startStep, steps, evals, log, progress: options.progress ?? false, signal: options.signal, stopAt: options.stopAt, logEvery: options.logEvery ?? 10,
      resumedFrom: session.resumed?.folder, evalOnly: options.evalOnly,
      runStep(s, lr) {
        model.zeroGrad();
        const results: DpoPairResult[] = [];
        let tokens = 0, nll = 0;
        for (let j = 0; j < settings.gradAccum; j++) {
          const indices = batchIndices(train.encoded.length, settings.batchSize, settings.seed, s, j, settings.gradAccum, 5);
          const micro = dpoMicroStep(model, indices.map((i) => train.encoded[i] as EncodedPair), indices.map((i) => [ref.train[2 * i] as number, ref.train[2 * i + 1] as number] as const), {
            beta: settings.beta, seqLen: settings.seqLen, padId, scale: 1 / settings.gradAccum, rpoAlpha: settings.rpoAlpha,
          });
          results.push(...micro.results);
          tokens += micro.tokens;
          nll += micro.nll / settings.gradAccum;
        }
        const gradNorm = model.gradNorm();
        optimizer.step({ lr, gradScale: clipScale(gradNorm, settings.maxGradNorm) });
        const { loss, ...metrics } = dpoMetrics(results);
        const rpo = settings.rpoAlpha > 0 ? { chosen_nll: nll } : {};
        return { loss: loss + settings.rpoAlpha * nll, gradNorm, tokens, metrics: { ...metrics, ...rpo } };
      },
      evaluate(s, final) {
        if (heldPairs.length === 0 || held === undefined) return undefined;
        const logps = pairLogProbs(model, heldPairs, shape);
        const results = heldPairs.map((_, i) => dpoPairLoss(logps[2 * i] as number, logps[2 * i + 1] as number, ref.heldOut[2 * i] as number, ref.heldOut[2 * i + 1] as number, settings.beta));
        let preferred = 0;
        for (let i = 0; i < heldPairs.length; i++) if ((logps[2 * i] as number) > (logps[2 * i + 1] as number)) preferred++;
        const metrics: Record<string, number> = { ...dpoMetrics(results), preference_accuracy: preferred / heldPairs.length };
        if (checkable && (s === 0 || final)) {
          const examples = held.items.slice(0, settings.exactMatchSamples).map((p) => ({ messages: [...p.prompt, { role: "assistant" as const, content: p.chosen }] }));
          metrics.exact_match = exactMatch(model, tokenizer, template, examples, settings.maxNewTokens);
        }
        return metrics;
      },
      async save(name, s) {
        const folder = join(options.output, name);
        const state: DpoState = { version: 1, kind: "dpo", step: s, settings, config: session.config, template: template.name, format: all.format, reference: referencePath, tokenizerSha256: session.tokenizerSha256, data: files, evalData: evalFiles, dataSha256: dataSha, steps, evals };
        await saveCheckpoint(folder, { model, optimizer: optimizer.exportState(), state, tokenizerFiles, bos: tokenizer.vocab.bosId, eos: tokenizer.vocab.eosId });
        return folder;
      },
    });
    return {
      output: options.output, checkpoint: loop.checkpoint, step: loop.step, completed: loop.completed, interrupted: loop.interrupted, template: template.name, format: all.format,
      reference: referencePath, referenceCached, trainPairs: train.encoded.length, heldOutPairs: heldPairs.length, skippedRows: all.skipped + (held?.skipped ?? 0),
      tooLong: [...all.problems, ...(held?.problems ?? [])], steps, evals, parameters: model.parameterCount, tokensPerSecond: loop.tokensPerSecond,
      seconds: (performance.now() - started) / 1000, memory: model.memoryReport(optimizer), backend: model.kernels.backend,
    };
  } finally {
    session.dispose();
  }
}
