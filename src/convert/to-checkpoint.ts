// GGUF (F32, F16, BF16 or Q8_0) → Hugging Face Llama checkpoint folder: plan each tensor (HF name, output type,
// Q8_0 dequantized to F32, the inverse q/k rope permutation), write config.json and generation_config.json from
// the metadata, and the tokenizer as tokenizer.json (+ config files) and tokenizer.gguf.
import { Progress, formatBytes } from "../common/index.js";
import { ggufToHfName, llamaHfConfig } from "../arch/index.js";
import { Keys, archKey, ggmlTensorBytes, metadataNumber, metadataString, openGguf, requireGgmlType, writeCheckpoint, type GgufModel, type GgufMetadata } from "../formats/index.js";
import { ModelTensorsError, UnsupportedArchitectureError, UnsupportedTensorTypeError } from "./errors.js";
import { TORCH_DTYPE, convertTensor, type ConvertStep, type ConvertType } from "./tensors.js";
import { checkpointTokenizerFiles, tokenizerKeysOf, TokenizerKeys } from "./tokenizer/index.js";

/** Float types a checkpoint can hold. */
export type CheckpointType = "F32" | "F16" | "BF16";

/** The plan of a GGUF → checkpoint conversion. Plain data. */
export interface ToCheckpointPlan {
  readonly steps: readonly ConvertStep[];
  readonly config: Record<string, unknown>;
  readonly generationConfig: Record<string, unknown>;
  readonly tokenizerFiles: Record<string, string | Uint8Array>;
  readonly tokenizerModel: string;
  readonly warnings: readonly string[];
  readonly totalBytes: number;
}

const READABLE: readonly string[] = ["F32", "F16", "BF16", "Q8_0"];

/** Plans a GGUF → checkpoint conversion from the GGUF's header. */
export function planToCheckpoint(model: GgufModel, { type, where }: { type: CheckpointType | undefined; where: string }): ToCheckpointPlan {
  const meta: GgufMetadata = model.metadata;
  const arch = model.architecture;
  if (arch !== "llama") throw new UnsupportedArchitectureError(where, `general.architecture ${JSON.stringify(arch ?? null)}`);
  const heads = metadataNumber(meta, archKey(Keys.HEAD_COUNT, arch));
  const kvHeads = metadataNumber(meta, archKey(Keys.HEAD_COUNT_KV, arch)) ?? heads;
  if (heads === undefined || kvHeads === undefined) throw new ModelTensorsError(where, "expected llama.attention.head_count in the metadata but found none");
  const steps = model.tensors.map((tensor): ConvertStep => {
    const mapped = ggufToHfName(tensor.name);
    if (!mapped) throw new ModelTensorsError(where, `expected only Llama tensors but found "${tensor.name}", which has no Hugging Face name`);
    if (!READABLE.includes(tensor.type)) {
      throw new UnsupportedTensorTypeError(where, tensor.name, tensor.type, "dusk dequantizes only Q8_0; convert from an F16/BF16/F32 or Q8_0 GGUF of the same model");
    }
    const from = tensor.type as ConvertType;
    const to: ConvertType = type ?? (from === "Q8_0" ? "F32" : from);
    const permute = mapped.permute ? { direction: "to-hf" as const, heads: mapped.permute === "q" ? heads : kvHeads } : undefined;
    const bytes = ggmlTensorBytes(requireGgmlType(to, tensor.name), tensor.dims) as number;
    return { source: tensor.name, output: mapped.name, sourceType: from, type: to, shape: tensor.shape, permute, bytes };
  });
  const embedding = steps.find((s) => s.output === "model.embed_tokens.weight");
  if (!embedding) throw new ModelTensorsError(where, 'expected a token embedding ("token_embd.weight") but found none');
  const tied = !steps.some((s) => s.output === "lm_head.weight");
  const matrixType = steps.find((s) => s.shape.length === 2)?.type ?? "F32";
  const config = llamaHfConfig(meta, { vocab: embedding.shape[0]!, tiedEmbeddings: tied, torchDtype: TORCH_DTYPE[matrixType] ?? "float32" });
  const tokenizer = tokenizerKeysOf(meta);
  const { files, warnings } = tokenizer.size > 0 ? checkpointTokenizerFiles(tokenizer, arch) : { files: {}, warnings: ["the GGUF has no tokenizer: no tokenizer files written"] };
  const generationConfig: Record<string, unknown> = {};
  const bos = metadataNumber(meta, TokenizerKeys.BOS_ID);
  const eos = metadataNumber(meta, TokenizerKeys.EOS_ID);
  if (bos !== undefined) generationConfig.bos_token_id = bos;
  if (eos !== undefined) generationConfig.eos_token_id = eos;
  return {
    steps,
    config,
    generationConfig,
    tokenizerFiles: files,
    tokenizerModel: metadataString(tokenizer, TokenizerKeys.MODEL) ?? "none",
    warnings,
    totalBytes: steps.reduce((sum, s) => sum + s.bytes, 0),
  };
}

/** Options of {@link ggufToCheckpoint}. */
export interface GgufToCheckpointOptions {
  /** A GGUF file (any shard of a split model). */
  readonly input: string;
  /** The checkpoint folder to write (replaced when complete). */
  readonly output: string;
  /** Type of every tensor. Defaults to each tensor's own type, with Q8_0 dequantized to F32. */
  readonly type?: CheckpointType | undefined;
  /** Largest safetensors shard in bytes. Defaults to 5 GB, as transformers. */
  readonly shardMaxBytes?: number | undefined;
  /** Show progress on stderr. Defaults to false. */
  readonly progress?: boolean;
}

/** What a conversion did. */
export interface ToCheckpointResult {
  readonly plan: ToCheckpointPlan;
  readonly output: string;
  readonly files: readonly string[];
}

/** Converts a Llama GGUF (F32, F16, BF16, Q8_0) into a Hugging Face checkpoint folder. */
export async function ggufToCheckpoint({ input, output, type, shardMaxBytes, progress = false }: GgufToCheckpointOptions): Promise<ToCheckpointResult> {
  const model = await openGguf(input);
  try {
    const plan = planToCheckpoint(model, { type, where: input });
    const bar = new Progress({ label: "convert", total: plan.totalBytes, unit: "", formatCount: formatBytes, silent: !progress });
    const byName = new Map(plan.steps.map((step) => [step.output, step]));
    const written = await writeCheckpoint(output, {
      config: plan.config,
      source: {
        tensors: plan.steps.map((step) => ({ name: step.output, type: step.type, shape: step.shape, byteLength: step.bytes })),
        async *streamTensor(name: string): AsyncIterable<Uint8Array> {
          const step = byName.get(name)!;
          yield convertTensor(step, await model.readTensor(step.source));
          bar.tick(step.bytes);
        },
      },
      generationConfig: plan.generationConfig,
      extraFiles: plan.tokenizerFiles,
      ...(shardMaxBytes !== undefined ? { maxShardBytes: shardMaxBytes } : {}),
    });
    bar.finish();
    return { plan, output, files: written.files };
  } finally {
    await model.close();
  }
}
