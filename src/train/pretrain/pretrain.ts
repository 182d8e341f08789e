// `dusk train pretrain` as a library function: a model (fresh from a config, or any Llama checkpoint), a tokenizer
// (given, the checkpoint's, or trained on the corpus), the cached token corpus, then AdamW steps with warmup +
// cosine LR, held-out evaluation, atomic checkpoints, exact resumption, SIGINT (abort signal) and NaN handling.
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { LlamaConfig } from "../../arch/index.js";
import { InvalidArgumentError, Progress, formatDuration } from "../../common/index.js";
import { hfTokenizerFiles, vocabOnlyGguf, vocabToGgufMetadata, GGUF_TOKENIZER_FILE } from "../../convert/index.js";
import { AdamW, createModel, lrSchedule, trainStep, type BackendChoice, type LlamaModel, type MemoryReport } from "../../engine/index.js";
import { loadTokenizer, trainTokenizer, type ByteLevelBpeTokenizer } from "../tokenizer/index.js";
import { loadCheckpointWeights, latestCheckpoint, readCheckpointConfig, readTrainingState, saveCheckpoint, type EvalRecord, type LossRecord, type PretrainSettings, type TrainerState } from "./checkpoint.js";
import { resolveModelConfig } from "./config.js";
import { TokenDataset, loadTokenCorpus, tokenizerSha256 } from "./data.js";
import { NonFiniteLossError, ResumeError } from "./errors.js";

/** Options of {@link pretrain}. Settings left out take the resumed checkpoint's value, else the default named. */
export interface PretrainOptions extends Partial<PretrainSettings> {
  /** Folder for checkpoint-<step>/ and final/. */
  readonly output: string;
  /** Preset (tiny, small) or config.json path for a fresh model. Defaults to "tiny" (ignored with model/resume). */
  readonly config?: string;
  /** A Llama checkpoint folder to continue pretraining from. */
  readonly model?: string;
  /** Tokenizer folder, tokenizer.json or .gguf. Defaults to the model's, else one trained on the corpus. */
  readonly tokenizer?: string;
  /** Bundled corpus names and text files. Defaults to the resumed run's, else ["brown"]. */
  readonly sources?: readonly string[];
  /** A checkpoint folder to resume, or true for the latest checkpoint-<step> under output. */
  readonly resume?: string | true;
  /** Stop (saving a checkpoint) once this many steps are done, keeping the schedule of maxSteps. */
  readonly stopAt?: number;
  /** Compute threads. Defaults to the backend's default. */
  readonly threads?: number;
  /** Kernel backend. Defaults to DUSK_BACKEND, else native, else wasm. */
  readonly backend?: BackendChoice;
  /** Cache folder for token files and trained tokenizers. Defaults to ".dusk-cache". */
  readonly cacheDir?: string;
  /** Steps between log lines. Defaults to 10. */
  readonly logEvery?: number;
  /** Receives each log line. Defaults to none. */
  readonly log?: (line: string) => void;
  /** Show a progress bar on stderr. Defaults to false. */
  readonly progress?: boolean;
  /** Aborting saves a checkpoint after the current step and returns (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** What {@link pretrain} did. */
export interface PretrainResult {
  readonly output: string;
  /** The last checkpoint written (final/ when the run completed). */
  readonly checkpoint: string | undefined;
  readonly step: number;
  readonly completed: boolean;
  readonly interrupted: boolean;
  readonly losses: readonly LossRecord[];
  readonly evals: readonly EvalRecord[];
  readonly config: LlamaConfig;
  readonly parameters: number;
  readonly trainTokens: number;
  readonly heldOutTokens: number;
  readonly tokensPerSecond: number;
  readonly seconds: number;
  readonly memory: MemoryReport;
  readonly backend: string;
}

const DEFAULTS: PretrainSettings = {
  maxSteps: 1000, batchSize: 8, seqLen: 128, lr: 1e-3, minLr: 1e-4, warmup: 50, gradAccum: 1, seed: 0, heldOut: 0.05,
  weightDecay: 0.01, maxGradNorm: 1, evalEvery: 100, saveEvery: 500, evalBatches: 8,
};

function settingsOf(options: PretrainOptions, saved: PretrainSettings | undefined): PretrainSettings {
  const base = saved ?? DEFAULTS;
  const pick = <K extends keyof PretrainSettings>(key: K): PretrainSettings[K] => options[key] ?? base[key];
  const lr = pick("lr");
  const settings: PretrainSettings = {
    maxSteps: pick("maxSteps"), batchSize: pick("batchSize"), seqLen: pick("seqLen"), lr,
    minLr: options.minLr ?? (saved !== undefined && options.lr === undefined ? saved.minLr : lr / 10),
    warmup: pick("warmup"), gradAccum: pick("gradAccum"), seed: pick("seed"), heldOut: pick("heldOut"), weightDecay: pick("weightDecay"),
    maxGradNorm: pick("maxGradNorm"), evalEvery: pick("evalEvery"), saveEvery: pick("saveEvery"), evalBatches: pick("evalBatches"),
  };
  for (const key of ["maxSteps", "batchSize", "seqLen", "gradAccum", "evalBatches"] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) throw new InvalidArgumentError(`expected ${key} to be a positive integer but got ${settings[key]}`);
  }
  for (const key of ["warmup", "evalEvery", "saveEvery", "seed"] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 0) throw new InvalidArgumentError(`expected ${key} to be an integer >= 0 but got ${settings[key]}`);
  }
  if (!(settings.lr > 0)) throw new InvalidArgumentError(`expected lr > 0 but got ${settings.lr}`);
  if (!(settings.heldOut >= 0 && settings.heldOut < 0.5)) throw new InvalidArgumentError(`expected heldOut in [0, 0.5) but got ${settings.heldOut}`);
  return settings;
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/** A tokenizer trained on the sources (vocabulary `vocabSize`), cached under cacheDir/tokenizers. */
async function cachedTrainedTokenizer(sources: readonly string[], vocabSize: number, cacheDir: string, log: (line: string) => void): Promise<ByteLevelBpeTokenizer> {
  const key = createHash("sha256").update(JSON.stringify({ sources, vocabSize })).digest("hex").slice(0, 16);
  const folder = join(cacheDir, "tokenizers", key);
  if (!(await exists(join(folder, GGUF_TOKENIZER_FILE)))) {
    const trained = await trainTokenizer({ corpus: sources, vocabSize, output: folder });
    log(`trained a tokenizer of ${trained.vocabSize} tokens on ${sources.join(", ")} in ${formatDuration(trained.seconds)} (${folder})`);
  }
  return loadTokenizer(folder);
}

/** Mean held-out loss over the evaluation batches. */
function evaluate(model: LlamaModel, data: TokenDataset, maxBatches: number): number {
  let sum = 0, count = 0;
  for (const batch of data.evalBatches(maxBatches)) {
    const { loss } = model.forward(batch);
    sum += (loss ?? 0) * batch.batchSize;
    count += batch.batchSize;
  }
  return count === 0 ? Number.NaN : sum / count;
}

/** Pretrains (or continues pretraining) a Llama model; see {@link PretrainOptions}. */
export async function pretrain(options: PretrainOptions): Promise<PretrainResult> {
  const started = performance.now();
  const log = options.log ?? ((): void => undefined);
  const cacheDir = options.cacheDir ?? ".dusk-cache";
  const resumeFrom = options.resume === true ? await latestCheckpoint(options.output) : options.resume;
  if (options.resume === true && resumeFrom === undefined) throw new ResumeError(`expected a checkpoint-<step> folder under ${options.output} to resume but found none`, "run without --resume, or give the checkpoint folder");
  const resumed = resumeFrom === undefined ? undefined : await readTrainingState(resumeFrom);
  const settings = settingsOf(options, resumed?.state.settings);
  const sources = options.sources ?? resumed?.state.sources ?? ["brown"];
  const weightsFrom = resumeFrom ?? options.model;

  // Tokenizer and model configuration.
  let config: LlamaConfig;
  let tokenizer: ByteLevelBpeTokenizer;
  if (weightsFrom !== undefined) {
    config = await readCheckpointConfig(weightsFrom);
    tokenizer = await loadTokenizer(options.tokenizer ?? weightsFrom);
  } else {
    const resolved = await resolveModelConfig(options.config ?? "tiny");
    tokenizer = options.tokenizer !== undefined ? await loadTokenizer(options.tokenizer) : await cachedTrainedTokenizer(sources, resolved.config.vocab, cacheDir, log);
    config = resolved.preset ? { ...resolved.config, vocab: tokenizer.vocab.tokens.length } : resolved.config;
  }
  if (tokenizer.vocab.tokens.length > config.vocab) {
    throw new InvalidArgumentError(`expected a tokenizer of at most ${config.vocab} tokens (the model's vocabulary) but it has ${tokenizer.vocab.tokens.length}`, { hint: "give the model's own tokenizer, or a config with a larger vocab_size" });
  }
  if (settings.seqLen > config.context) throw new InvalidArgumentError(`expected --seq-len at most the context length ${config.context} but got ${settings.seqLen}`);
  const tokSha = tokenizerSha256(tokenizer);
  if (resumed !== undefined && resumed.state.tokenizerSha256 !== tokSha) throw new ResumeError(`expected the tokenizer the run started with (sha256 ${resumed.state.tokenizerSha256.slice(0, 12)}) but got ${tokSha.slice(0, 12)}`);

  // Data.
  const corpus = await loadTokenCorpus({ sources, tokenizer, cacheDir });
  log(`${corpus.cached ? "read cached" : "tokenized"} ${corpus.info.tokens} tokens from ${sources.join(", ")} (${corpus.path})`);
  const data = new TokenDataset(corpus.tokens, settings);

  // Model and optimizer.
  const model = createModel(config, { seed: settings.seed, ...(options.backend !== undefined ? { backend: options.backend } : {}) });
  const optimizer = new AdamW(model, { weightDecay: settings.weightDecay });
  try {
    if (options.threads !== undefined) model.kernels.setThreads(options.threads);
    if (weightsFrom !== undefined) await loadCheckpointWeights(weightsFrom, model);
    if (resumed !== undefined) optimizer.importState(resumed.optimizer);
    const losses: LossRecord[] = [...(resumed?.state.losses ?? [])];
    const evals: EvalRecord[] = [...(resumed?.state.evals ?? [])];
    let step = resumed?.state.step ?? 0;
    let tokens = resumed?.state.tokens ?? 0;
    log(`model: ${model.parameterCount} parameters (${config.layers} layers, hidden ${config.hidden}, vocab ${config.vocab}) on ${model.kernels.backend}; ${data.train.length} train / ${data.heldOut.length} held-out tokens${resumeFrom !== undefined ? `; resumed at step ${step} from ${resumeFrom}` : ""}`);

    const tokenizerFiles = { ...hfTokenizerFiles(tokenizer.vocab), [GGUF_TOKENIZER_FILE]: vocabOnlyGguf(vocabToGgufMetadata(tokenizer.vocab)) };
    let checkpoint: string | undefined = resumeFrom;
    const save = async (folder: string): Promise<void> => {
      const state: TrainerState = { version: 1, step, settings, config, sources, tokenizerSha256: tokSha, losses, evals, tokens };
      await saveCheckpoint(folder, { model, optimizer: optimizer.exportState(), state, tokenizerFiles, bos: tokenizer.vocab.bosId, eos: tokenizer.vocab.eosId });
      checkpoint = folder;
      log(`saved ${folder}`);
    };

    const bar = new Progress({ label: "pretrain", total: settings.maxSteps, unit: "steps", silent: !options.progress });
    const logEvery = options.logEvery ?? 10;
    const stepTokens = settings.batchSize * settings.seqLen * settings.gradAccum;
    let trainSeconds = 0, intervalSeconds = 0, intervalTokens = 0, stepsRun = 0;
    let interrupted = false;
    if (step === 0 && settings.evalEvery > 0 && data.heldOut.length > 0) {
      const heldLoss = evaluate(model, data, settings.evalBatches);
      evals.push({ step, loss: heldLoss, perplexity: Math.exp(heldLoss) });
      log(`eval step 0  held-out loss ${heldLoss.toFixed(4)}  perplexity ${Math.exp(heldLoss).toFixed(2)}`);
    }
    while (step < settings.maxSteps) {
      if (options.signal?.aborted || (options.stopAt !== undefined && step >= options.stopAt)) {
        interrupted = true;
        break;
      }
      const lr = lrSchedule({ step, lr: settings.lr, warmupSteps: settings.warmup, totalSteps: settings.maxSteps, minLr: settings.minLr });
      const micro = Array.from({ length: settings.gradAccum }, (_, j) => data.batch(step, j));
      const t0 = performance.now();
      const { loss } = trainStep(model, optimizer, micro, { lr, maxGradNorm: settings.maxGradNorm });
      const seconds = (performance.now() - t0) / 1000;
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(step + 1, loss, checkpoint);
      step += 1;
      stepsRun += 1;
      tokens += stepTokens;
      trainSeconds += seconds;
      intervalSeconds += seconds;
      intervalTokens += stepTokens;
      losses.push({ step, loss, lr });
      bar.set(step);
      if (step % logEvery === 0 || step === settings.maxSteps) {
        log(`step ${step}/${settings.maxSteps}  loss ${loss.toFixed(4)}  lr ${lr.toExponential(2)}  ${Math.round(intervalTokens / intervalSeconds)} tok/s  elapsed ${formatDuration((performance.now() - started) / 1000)}`);
        intervalSeconds = 0;
        intervalTokens = 0;
      }
      if ((settings.evalEvery > 0 && step % settings.evalEvery === 0) || (step === settings.maxSteps && data.heldOut.length > 0)) {
        if (evals.at(-1)?.step !== step) {
          const heldLoss = evaluate(model, data, settings.evalBatches);
          evals.push({ step, loss: heldLoss, perplexity: Math.exp(heldLoss) });
          log(`eval step ${step}  held-out loss ${heldLoss.toFixed(4)}  perplexity ${Math.exp(heldLoss).toFixed(2)}`);
        }
      }
      if (settings.saveEvery > 0 && step % settings.saveEvery === 0 && step < settings.maxSteps) await save(join(options.output, `checkpoint-${step}`));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    bar.finish();
    const completed = step >= settings.maxSteps;
    if (completed) await save(join(options.output, "final"));
    else if (stepsRun > 0 || checkpoint === undefined) await save(join(options.output, `checkpoint-${step}`));
    return {
      output: options.output, checkpoint, step, completed, interrupted, losses, evals, config, parameters: model.parameterCount,
      trainTokens: data.train.length, heldOutTokens: data.heldOut.length, tokensPerSecond: trainSeconds > 0 ? (stepsRun * stepTokens) / trainSeconds : 0,
      seconds: (performance.now() - started) / 1000, memory: model.memoryReport(optimizer), backend: model.kernels.backend,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
