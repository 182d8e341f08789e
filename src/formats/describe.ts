// A model file's summary for people and programs (`dusk inspect`): architecture, layers, parameters, tensor type
// histogram, sizes, context, tokenizer and chat template, from metadata only (no tensor data is read).
import { GgufValueType, Keys, archKey, metadataArray, metadataNumber, metadataString, valueToJson, type GgufModel } from "./gguf/index.js";
import type { TensorSource } from "./tensor.js";
import type { Checkpoint } from "./hf/index.js";
import type { SafetensorsFile } from "./safetensors/index.js";

/** Count and bytes of the tensors of one type. */
export interface TypeHistogramEntry {
  readonly type: string;
  readonly tensors: number;
  readonly bytes: number;
}

/** What `dusk inspect --json` prints (at least these fields). */
export interface ModelDescription {
  readonly path: string;
  readonly format: "gguf" | "safetensors";
  readonly architecture: string | undefined;
  readonly name: string | undefined;
  readonly layers: number | undefined;
  readonly parameters: number;
  readonly tensors: number;
  readonly fileBytes: number;
  readonly files: number;
  readonly contextLength: number | undefined;
  readonly tokenizer: { readonly type: string | undefined; readonly vocabSize: number | undefined };
  readonly chatTemplate: string | undefined;
  readonly types: readonly TypeHistogramEntry[];
  readonly version?: number;
  readonly metadata: Record<string, unknown>;
}

/** Counts tensors and bytes per type, most bytes first. */
export function typeHistogram(source: TensorSource): TypeHistogramEntry[] {
  const byType = new Map<string, { tensors: number; bytes: number }>();
  for (const tensor of source.tensors) {
    const entry = byType.get(tensor.type) ?? { tensors: 0, bytes: 0 };
    entry.tensors += 1;
    entry.bytes += tensor.byteLength;
    byType.set(tensor.type, entry);
  }
  return [...byType].map(([type, entry]) => ({ type, ...entry })).sort((a, b) => b.bytes - a.bytes);
}

/** Total element count of all tensors. */
export function parameterCount(source: TensorSource): number {
  return source.tensors.reduce((sum, tensor) => sum + tensor.shape.reduce((a, b) => a * b, 1), 0);
}

/** Describes an open GGUF model. `arrayLimit` abbreviates long metadata arrays. */
export function describeGguf(path: string, model: GgufModel, arrayLimit = 8): ModelDescription {
  const meta = model.metadata;
  const architecture = model.architecture;
  const key = (template: string): string => archKey(template, architecture ?? "llama");
  const tokens = metadataArray(meta, Keys.TOKENIZER_TOKENS);
  const metadata: Record<string, unknown> = {};
  for (const [name, value] of meta) metadata[name] = valueToJson(value, arrayLimit);
  const template = meta.get(Keys.CHAT_TEMPLATE);
  return {
    path,
    format: "gguf",
    version: model.version,
    architecture,
    name: metadataString(meta, Keys.GENERAL_NAME),
    layers: metadataNumber(meta, key(Keys.BLOCK_COUNT)),
    parameters: parameterCount(model),
    tensors: model.tensors.length,
    fileBytes: model.fileBytes,
    files: model.paths.length,
    contextLength: metadataNumber(meta, key(Keys.CONTEXT_LENGTH)),
    tokenizer: { type: metadataString(meta, Keys.TOKENIZER_MODEL), vocabSize: tokens?.items.length },
    chatTemplate: template?.type === GgufValueType.STRING ? metadataString(meta, Keys.CHAT_TEMPLATE) : undefined,
    types: typeHistogram(model),
    metadata,
  };
}

/** Describes a Hugging Face checkpoint folder or a single .safetensors file. */
export function describeSafetensors(
  path: string,
  opened: { format: "checkpoint"; model: Checkpoint } | { format: "safetensors"; model: SafetensorsFile },
): ModelDescription {
  const source: TensorSource = opened.model;
  const layerNames = new Set(source.tensors.map((t) => /^model\.layers\.(\d+)\./.exec(t.name)?.[1]).filter((x) => x !== undefined));
  if (opened.format === "safetensors") {
    const file = opened.model;
    return {
      path,
      format: "safetensors",
      architecture: undefined,
      name: undefined,
      layers: layerNames.size || undefined,
      parameters: parameterCount(source),
      tensors: source.tensors.length,
      fileBytes: file.fileBytes,
      files: 1,
      contextLength: undefined,
      tokenizer: { type: undefined, vocabSize: undefined },
      chatTemplate: undefined,
      types: typeHistogram(source),
      metadata: { ...(file.metadata ?? {}) },
    };
  }
  const checkpoint = opened.model;
  const config = checkpoint.config as Record<string, unknown>;
  const architectures = config.architectures as string[] | undefined;
  return {
    path,
    format: "safetensors",
    architecture: (config.model_type as string | undefined) ?? architectures?.[0],
    name: architectures?.[0],
    layers: checkpoint.config.num_hidden_layers,
    parameters: parameterCount(source),
    tensors: source.tensors.length,
    fileBytes: checkpoint.fileBytes,
    files: checkpoint.weightFiles.length,
    contextLength: checkpoint.config.max_position_embeddings,
    tokenizer: { type: checkpoint.tokenizerFiles.includes("tokenizer.json") ? "tokenizer.json" : checkpoint.tokenizerFiles[0], vocabSize: checkpoint.config.vocab_size },
    chatTemplate: undefined,
    types: typeHistogram(source),
    metadata: { config, tokenizerFiles: checkpoint.tokenizerFiles },
  };
}
