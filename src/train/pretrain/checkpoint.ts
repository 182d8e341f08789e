// Pretraining checkpoints: a Hugging Face folder (config.json, model.safetensors in float32 and HF layout,
// tokenizer files, generation_config.json) plus trainer_state.json and optimizer.bin (AdamW's m then v, float32
// little-endian), written atomically; and loading weights from any Llama checkpoint folder.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { LlamaConfig } from "../../arch/index.js";
import type { AdamWState, LlamaModel } from "../../engine/index.js";
import { dequantize, openCheckpoint, parseLlamaConfig, writeCheckpoint, type TensorInfo, type QuantizableType } from "../../formats/index.js";
import { hfConfigFromLlama, llamaConfigFromHf } from "./config.js";
import { ResumeError } from "./errors.js";

/** Name of the trainer state file in a checkpoint. */
export const TRAINER_STATE_FILE = "trainer_state.json";
/** Name of the optimizer state file in a checkpoint. */
export const OPTIMIZER_STATE_FILE = "optimizer.bin";

/** One logged training step. */
export interface LossRecord {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
}

/** One held-out evaluation. */
export interface EvalRecord {
  readonly step: number;
  readonly loss: number;
  readonly perplexity: number;
}

/** trainer_state.json: everything besides weights and optimizer moments that a resumed run needs. */
export interface TrainerState {
  readonly version: 1;
  /** Optimizer steps done. */
  readonly step: number;
  readonly settings: PretrainSettings;
  readonly config: LlamaConfig;
  readonly sources: readonly string[];
  readonly tokenizerSha256: string;
  /** Every step's loss so far. */
  readonly losses: readonly LossRecord[];
  readonly evals: readonly EvalRecord[];
  /** Tokens trained on so far. */
  readonly tokens: number;
}

/** The schedule and batch settings every training run has (pretraining, SFT, DPO). */
export interface ScheduleSettings {
  readonly maxSteps: number;
  readonly batchSize: number;
  readonly seqLen: number;
  readonly lr: number;
  readonly minLr: number;
  readonly warmup: number;
  readonly gradAccum: number;
  readonly seed: number;
  readonly heldOut: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  readonly evalEvery: number;
  readonly saveEvery: number;
}

/** The settings that decide a run's loss curve (kept in trainer_state.json so --resume reproduces it). */
export interface PretrainSettings extends ScheduleSettings {
  readonly evalBatches: number;
}

/** A model's tensors in Hugging Face layout as a TensorSource for writeCheckpoint. */
function modelSource(model: LlamaModel): { tensors: TensorInfo[]; streamTensor: (name: string) => AsyncIterable<Uint8Array> } {
  const tensors = model.tensors.map((t) => ({ name: t.hfName, type: "F32", shape: [...t.shape], byteLength: t.data.byteLength }));
  const byHf = new Map(model.tensors.map((t) => [t.hfName, t.name]));
  return {
    tensors,
    streamTensor(name: string): AsyncIterable<Uint8Array> {
      const values = model.getTensor(byHf.get(name) ?? name, { layout: "hf" });
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      return (async function* one(): AsyncIterable<Uint8Array> {
        yield await Promise.resolve(bytes);
      })();
    },
  };
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  readonly model: LlamaModel;
  readonly optimizer: AdamWState;
  /** The trainer's state (pretraining's {@link TrainerState}, or SFT's and DPO's), written as trainer_state.json. */
  readonly state: { readonly step: number };
  /** Tokenizer files (name → contents) to put beside the weights. */
  readonly tokenizerFiles: Readonly<Record<string, string | Uint8Array>>;
  readonly bos?: number | undefined;
  readonly eos?: number | undefined;
}

/** Writes a checkpoint folder atomically (built beside `folder`, renamed into place). */
export async function saveCheckpoint(folder: string, { model, optimizer, state, tokenizerFiles, bos, eos }: SaveCheckpointOptions): Promise<void> {
  const moments = new Float32Array(optimizer.m.length * 2);
  moments.set(optimizer.m, 0);
  moments.set(optimizer.v, optimizer.m.length);
  const ids = { ...(bos !== undefined ? { bos } : {}), ...(eos !== undefined ? { eos } : {}) };
  await writeCheckpoint(folder, {
    config: hfConfigFromLlama(model.config, ids),
    source: modelSource(model),
    generationConfig: { _from_model_config: true, ...(bos !== undefined ? { bos_token_id: bos } : {}), ...(eos !== undefined ? { eos_token_id: eos } : {}) },
    extraFiles: {
      ...tokenizerFiles,
      [TRAINER_STATE_FILE]: `${JSON.stringify({ ...state, optimizerStep: optimizer.step }, null, 2)}\n`,
      [OPTIMIZER_STATE_FILE]: new Uint8Array(moments.buffer),
    },
  });
}

/** The configuration of a Llama checkpoint folder. */
export async function readCheckpointConfig(folder: string): Promise<LlamaConfig> {
  const text = await readFile(join(folder, "config.json"), "utf8");
  return llamaConfigFromHf(parseLlamaConfig(JSON.parse(text) as unknown, join(folder, "config.json")));
}

/** Loads every tensor of a Llama checkpoint folder (F32, F16 or BF16) into a model of the same configuration. */
export async function loadCheckpointWeights(folder: string, model: LlamaModel): Promise<void> {
  const checkpoint = await openCheckpoint(folder);
  try {
    for (const tensor of model.tensors) {
      const info = checkpoint.tensor(tensor.hfName);
      if (info === undefined) throw new ResumeError(`expected tensor ${tensor.hfName} in ${folder} but it is missing`, "give a complete Llama checkpoint folder");
      const bytes = await checkpoint.readTensor(tensor.hfName);
      const values = dequantize(bytes, info.type as QuantizableType, tensor.data.length);
      model.setTensor(tensor.hfName, values, { layout: "hf" });
    }
  } finally {
    await checkpoint.close();
  }
}

/** Reads a checkpoint's trainer state and optimizer moments. */
export async function readTrainingState<S = TrainerState>(folder: string): Promise<{ state: S & { optimizerStep: number }; optimizer: AdamWState }> {
  const stateText = await readFile(join(folder, TRAINER_STATE_FILE), "utf8").catch(() => {
    throw new ResumeError(`expected ${TRAINER_STATE_FILE} in ${folder} but found none`);
  });
  const state = JSON.parse(stateText) as S & { optimizerStep: number };
  const bytes = await readFile(join(folder, OPTIMIZER_STATE_FILE)).catch(() => {
    throw new ResumeError(`expected ${OPTIMIZER_STATE_FILE} in ${folder} but found none`);
  });
  const all = new Float32Array(new Uint8Array(bytes).buffer);
  const half = all.length / 2;
  return { state, optimizer: { step: state.optimizerStep, m: all.subarray(0, half), v: all.subarray(half) } };
}

/** The checkpoint-<step> folder with the highest step under `output`, if any. */
export async function latestCheckpoint(output: string): Promise<string | undefined> {
  const names = await readdir(output).catch(() => [] as string[]);
  const steps = names.map((n) => /^checkpoint-(\d+)$/.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
  if (steps.length === 0) return undefined;
  return join(output, `checkpoint-${Math.max(...steps)}`);
}
