// Hugging Face Llama checkpoint folder → GGUF: validate config and tensors, plan each tensor (GGUF name, output type,
// q/k rope permutation into llama.cpp's layout), carry the tokenizer (tokenizer.gguf, else tokenizer.json), then
// stream the tensors one at a time into a GGUF written atomically.
import { basename } from "node:path";
import { Progress, formatBytes } from "../common/index.js";
import { hfToGgufName, llamaGgufMetadata, llamaTensors } from "../arch/index.js";
import { ggmlTensorBytes, gguf, metadataString, openCheckpoint, requireGgmlType, writeGguf, type Checkpoint, type GgufMetadata, type HfLlamaConfig } from "../formats/index.js";
import { BlockSizeError, ModelTensorsError, UnsupportedArchitectureError, UnsupportedConfigError, UnsupportedTensorTypeError, UnsupportedTokenizerError } from "./errors.js";
import { GGUF_FILE_TYPE, convertTensor, type ConvertStep, type ConvertType } from "./tensors.js";
import { GgufTokenType, TokenizerKeys, readCheckpointTokenizer, vocabFromGgufMetadata, vocabToGgufMetadata, type CheckpointTokenizerSource } from "./tokenizer/index.js";

/** Model types whose checkpoints are Llama models as llama.cpp computes them. */
const LLAMA_MODEL_TYPES = ["llama", "mistral"];
/** Tensors of HF checkpoints that llama.cpp recomputes and its converter skips. */
const SKIPPED_TENSORS = /\.rotary_emb\.inv_freq$/;

/** Checks that config.json describes a Llama model that GGUF's `llama` architecture can hold. */
export function checkLlamaConfig(config: HfLlamaConfig, where: string): void {
  const architectures = config.architectures ?? [];
  const isLlama = (config.model_type !== undefined && LLAMA_MODEL_TYPES.includes(config.model_type)) || architectures.some((a) => a === "LlamaForCausalLM" || a === "MistralForCausalLM");
  if (!isLlama) throw new UnsupportedArchitectureError(where, `model_type ${JSON.stringify(config.model_type ?? null)} and architectures ${JSON.stringify(architectures)}`);
  const headDim = config.hidden_size / config.num_attention_heads;
  if (config.head_dim !== undefined && config.head_dim !== headDim) {
    throw new UnsupportedConfigError(where, `expected head_dim to be hidden_size / num_attention_heads (${headDim}) but found ${config.head_dim}`);
  }
  const scaling = config.rope_scaling as { type?: unknown; rope_type?: unknown } | null | undefined;
  if (scaling && (scaling.type ?? scaling.rope_type) !== "linear") {
    throw new UnsupportedConfigError(where, `expected rope_scaling to be null or linear but found ${JSON.stringify(scaling)}`);
  }
  const sliding = config.sliding_window;
  if (typeof sliding === "number" && sliding < (config.max_position_embeddings ?? 4096)) {
    throw new UnsupportedConfigError(where, `expected no sliding-window attention but found sliding_window ${sliding} below max_position_embeddings`);
  }
}

/** The plan of a checkpoint → GGUF conversion. Plain data. */
export interface ToGgufPlan {
  readonly steps: readonly ConvertStep[];
  readonly metadata: GgufMetadata;
  readonly tokenizerSource: CheckpointTokenizerSource;
  readonly tokenizerModel: string;
  readonly totalBytes: number;
}

function sourceType(checkpoint: Checkpoint, name: string, where: string): ConvertType {
  const type = checkpoint.tensor(name)!.type;
  if (type === "F32" || type === "F16" || type === "BF16") return type;
  throw new UnsupportedTensorTypeError(where, name, type, "dusk converts float checkpoints (F32, F16, BF16); cast the weights to one of these first");
}

/** Pads a tokenizer to the embedding's row count with unused "[PAD{id}]" tokens, as llama.cpp's converter does. */
function fitTokenizer(meta: GgufMetadata, rows: number, where: string): GgufMetadata {
  const vocab = vocabFromGgufMetadata(meta, where);
  if (vocab.tokens.length === rows) return meta;
  if (vocab.tokens.length > rows) {
    throw new UnsupportedTokenizerError(`expected the tokenizer of ${where} to have at most ${rows} tokens (the embedding's rows, vocab_size) but it has ${vocab.tokens.length}`, "the tokenizer does not belong to these weights");
  }
  const extra = Array.from({ length: rows - vocab.tokens.length }, (_, i) => vocab.tokens.length + i);
  const padded = vocabToGgufMetadata({
    ...vocab,
    tokens: [...vocab.tokens, ...extra.map((id) => `[PAD${id}]`)],
    types: [...vocab.types, ...extra.map(() => GgufTokenType.UNUSED)],
    scores: vocab.scores ? [...vocab.scores, ...extra.map(() => -1000)] : undefined,
  });
  // Keep any other tokenizer.* keys of the original (e.g. a chat template under another name).
  return new Map([...meta, ...padded]);
}

/** Plans a checkpoint → GGUF conversion; reads only headers and tokenizer files. */
export async function planToGguf(checkpoint: Checkpoint, { type, name, where }: { type: ConvertType | undefined; name: string; where: string }): Promise<ToGgufPlan> {
  const config = checkpoint.config;
  checkLlamaConfig(config, where);
  const heads = config.num_attention_heads;
  const kvHeads = config.num_key_value_heads ?? heads;
  const tied = checkpoint.tensor("lm_head.weight") === undefined;
  const expected = llamaTensors({
    layers: config.num_hidden_layers,
    hidden: config.hidden_size,
    heads,
    kvHeads,
    ffn: config.intermediate_size,
    vocab: config.vocab_size,
    context: config.max_position_embeddings ?? 4096,
    rmsNormEps: config.rms_norm_eps ?? 1e-5,
    ropeTheta: config.rope_theta ?? 10000,
    tiedEmbeddings: tied,
  });
  const expectedNames = new Set(expected.map((t) => t.hf));
  const unknown = checkpoint.tensors.map((t) => t.name).filter((n) => !expectedNames.has(n) && !SKIPPED_TENSORS.test(n));
  if (unknown.length > 0) {
    const hint = unknown.map((n) => (hfToGgufName(n) ? `${n} (a layer beyond num_hidden_layers?)` : n));
    throw new ModelTensorsError(where, `expected only the tensors of a ${config.num_hidden_layers}-layer Llama model but found ${unknown.length} others: ${hint.slice(0, 4).join(", ")}${unknown.length > 4 ? ", ..." : ""}`);
  }
  const steps = expected.map((spec): ConvertStep => {
    const info = checkpoint.tensor(spec.hf);
    if (!info) throw new ModelTensorsError(where, `expected tensor "${spec.hf}" but the checkpoint has none`);
    if (info.shape.join("x") !== spec.shape.join("x")) throw new ModelTensorsError(where, `expected tensor "${spec.hf}" of shape [${spec.shape.join(", ")}] (from config.json) but found [${info.shape.join(", ")}]`);
    const from = sourceType(checkpoint, spec.hf, where);
    const to: ConvertType = spec.shape.length === 1 ? "F32" : (type ?? from);
    const ggmlType = requireGgmlType(to, spec.gguf);
    if (to === "Q8_0" && spec.shape.at(-1)! % ggmlType.blockSize !== 0) throw new BlockSizeError(spec.hf, to, spec.shape.at(-1)!, ggmlType.blockSize);
    const bytes = ggmlTensorBytes(ggmlType, [...spec.shape].reverse()) as number;
    const permute = spec.permute ? { direction: "to-gguf" as const, heads: spec.permute === "q" ? heads : kvHeads } : undefined;
    return { source: spec.hf, output: spec.gguf, sourceType: from, type: to, shape: spec.shape, permute, bytes };
  });
  const tokenizer = await readCheckpointTokenizer(checkpoint.folder, { modelConfig: config });
  const tokenizerMeta = fitTokenizer(tokenizer.metadata, config.vocab_size, where);
  const matrixType = steps.find((s) => s.shape.length === 2)?.type ?? "F32";
  const metadata: GgufMetadata = new Map([...llamaGgufMetadata(config, { name }), ["general.file_type", gguf.u32(GGUF_FILE_TYPE[matrixType])], ...tokenizerMeta]);
  return {
    steps,
    metadata,
    tokenizerSource: tokenizer.source,
    tokenizerModel: metadataString(tokenizerMeta, TokenizerKeys.MODEL) ?? "",
    totalBytes: steps.reduce((sum, s) => sum + s.bytes, 0),
  };
}

/** Options of {@link checkpointToGguf}. */
export interface CheckpointToGgufOptions {
  /** A Hugging Face Llama checkpoint folder. */
  readonly input: string;
  /** The .gguf file to write. */
  readonly output: string;
  /** Type of the weight matrices (norms are always F32). Defaults to each matrix's own type in the checkpoint. */
  readonly type?: ConvertType | undefined;
  /** `general.name`. Defaults to the folder's name. */
  readonly name?: string | undefined;
  /** Show progress on stderr. Defaults to false. */
  readonly progress?: boolean;
}

/** What a conversion did. */
export interface ToGgufResult {
  readonly plan: ToGgufPlan;
  readonly output: string;
}

/** Converts a Hugging Face Llama checkpoint folder into one GGUF file. */
export async function checkpointToGguf({ input, output, type, name, progress = false }: CheckpointToGgufOptions): Promise<ToGgufResult> {
  const checkpoint = await openCheckpoint(input);
  try {
    const plan = await planToGguf(checkpoint, { type, name: name ?? basename(input.replace(/[/\\]+$/, "")), where: input });
    const bar = new Progress({ label: "convert", total: plan.totalBytes, unit: "", formatCount: formatBytes, silent: !progress });
    await writeGguf(output, {
      metadata: plan.metadata,
      tensors: plan.steps.map((step) => ({
        name: step.output,
        type: step.type,
        dims: [...step.shape].reverse(),
        data: async function* () {
          yield convertTensor(step, await checkpoint.readTensor(step.source));
          bar.tick(step.bytes);
        },
      })),
    });
    bar.finish();
    return { plan, output };
  } finally {
    await checkpoint.close();
  }
}
