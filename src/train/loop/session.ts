// What every fine-tuning run (SFT, DPO) starts with: the checkpoint to load (the resumed one, or --model), its
// configuration and tokenizer, the model and AdamW on a kernel backend (optimizer state restored on resume), and the
// tokenizer files a checkpoint carries (with the chat template the run trained with, as Jinja, so that `dusk run
// --template auto` and other tools render prompts the way the model learned them).
import type { LlamaConfig } from "../../arch/index.js";
import { InvalidArgumentError } from "../../common/index.js";
import { GGUF_TOKENIZER_FILE, hfTokenizerFiles, vocabOnlyGguf, vocabToGgufMetadata } from "../../convert/index.js";
import { AdamW, createModel, type BackendChoice, type LlamaModel } from "../../engine/index.js";
import { resolveTrainingTemplate, type TrainingTemplate } from "../chat/index.js";
import { ResumeError, latestCheckpoint, loadCheckpointWeights, readCheckpointConfig, readTrainingState, tokenizerSha256 } from "../pretrain/index.js";
import { loadTokenizer, type ByteLevelBpeTokenizer } from "../tokenizer/index.js";

/** Options of {@link openSession}. */
export interface SessionOptions {
  /** The checkpoint to fine-tune. Required unless resuming. */
  readonly model?: string | undefined;
  /** A checkpoint to resume, or true for the latest checkpoint-<step> under output. */
  readonly resume?: string | true | undefined;
  readonly output: string;
  readonly backend?: BackendChoice | undefined;
  readonly threads?: number | undefined;
  readonly weightDecay: number;
  /** The command, for messages ("sft", "dpo"). */
  readonly command: string;
}

/** A loaded model ready to train. Call dispose() when done. */
export interface Session<S extends { readonly step: number }> {
  readonly config: LlamaConfig;
  readonly tokenizer: ByteLevelBpeTokenizer;
  readonly tokenizerSha256: string;
  readonly model: LlamaModel;
  readonly optimizer: AdamW;
  /** The checkpoint the weights came from. */
  readonly weightsFrom: string;
  /** The resumed checkpoint and its state, if resuming. */
  readonly resumed: { readonly folder: string; readonly state: S } | undefined;
  dispose(): void;
}

/** Loads the checkpoint to train (see {@link SessionOptions}). */
export async function openSession<S extends { readonly kind: string; readonly step: number; readonly tokenizerSha256: string }>(options: SessionOptions): Promise<Session<S>> {
  const resumeFrom = options.resume === true ? await latestCheckpoint(options.output) : options.resume;
  if (options.resume === true && resumeFrom === undefined) {
    throw new ResumeError(`expected a checkpoint-<step> folder under ${options.output} to resume but found none`, "run without --resume, or give the checkpoint folder");
  }
  const weightsFrom = resumeFrom ?? options.model;
  if (weightsFrom === undefined) throw new InvalidArgumentError(`expected --model <checkpoint> (the model to fine-tune) but got none`, { hint: `e.g. dusk train ${options.command} --model runs/pretrain/final ...` });
  const training = resumeFrom === undefined ? undefined : await readTrainingState<S>(resumeFrom);
  if (training !== undefined && training.state.kind !== options.command) {
    throw new ResumeError(`expected a ${options.command} checkpoint to resume but ${resumeFrom ?? ""} is from ${training.state.kind ?? "pretrain"}`, `give it as --model to start a new ${options.command} run from it instead`);
  }
  const config = await readCheckpointConfig(weightsFrom);
  const tokenizer = await loadTokenizer(weightsFrom);
  const sha = tokenizerSha256(tokenizer);
  if (training !== undefined && training.state.tokenizerSha256 !== sha) throw new ResumeError(`expected the tokenizer the run started with (sha256 ${training.state.tokenizerSha256.slice(0, 12)}) but got ${sha.slice(0, 12)}`);
  const model = createModel(config, options.backend !== undefined ? { backend: options.backend } : {});
  const optimizer = new AdamW(model, { weightDecay: options.weightDecay });
  try {
    if (options.threads !== undefined) model.kernels.setThreads(options.threads);
    await loadCheckpointWeights(weightsFrom, model);
    if (training !== undefined) optimizer.importState(training.optimizer);
  } catch (error) {
    optimizer.dispose();
    model.dispose();
    throw error;
  }
  return {
    config, tokenizer, tokenizerSha256: sha, model, optimizer, weightsFrom,
    resumed: training !== undefined && resumeFrom !== undefined ? { folder: resumeFrom, state: training.state } : undefined,
    dispose(): void {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** What a fine-tuning run starts from; see {@link startFineTune}. */
export interface FineTuneStart<S extends { readonly step: number }, P> {
  readonly session: Session<S>;
  /** The resumed run's state, if resuming. */
  readonly saved: S | undefined;
  readonly settings: P;
  readonly template: TrainingTemplate;
}

/**
 * Opens the session and settles what SFT and DPO both settle first: the settings (`settingsOf` gets the saved ones on
 * resume), --seq-len against the model's context, and the chat template (--template, the resumed run's, or auto).
 */
export async function startFineTune<S extends { readonly kind: string; readonly step: number; readonly tokenizerSha256: string; readonly settings: unknown; readonly template: string }, P extends { readonly seqLen: number }>(
  options: SessionOptions & { readonly template?: string | undefined; readonly log: (line: string) => void },
  settingsOf: (saved: S["settings"] | undefined) => P,
): Promise<FineTuneStart<S, P>> {
  const session = await openSession<S>(options);
  try {
    const saved = session.resumed?.state;
    const settings = settingsOf(saved?.settings);
    if (settings.seqLen > session.config.context) throw new InvalidArgumentError(`expected --seq-len at most the model's context length ${session.config.context} but got ${settings.seqLen}`);
    const template = resolveTrainingTemplate(options.template ?? saved?.template ?? "auto", session.tokenizer.vocab.chatTemplate);
    options.log(`template: ${template.name} (${template.source})`);
    return { session, saved, settings, template };
  } catch (error) {
    session.dispose();
    throw error;
  }
}

/** The tokenizer files of a checkpoint, with the run's chat template as the tokenizer's chat_template. */
export function tokenizerFilesWithTemplate(tokenizer: ByteLevelBpeTokenizer, template: TrainingTemplate): Record<string, string | Uint8Array> {
  const vocab = { ...tokenizer.vocab, chatTemplate: template.format.jinja ?? tokenizer.vocab.chatTemplate };
  return { ...hfTokenizerFiles(vocab), [GGUF_TOKENIZER_FILE]: vocabOnlyGguf(vocabToGgufMetadata(vocab)) };
}
