// Hugging Face checkpoint folders read as one unit: config.json, generation_config.json, tokenizer files and the
// weights (one model.safetensors, or shards listed by model.safetensors.index.json) exposed as one TensorSource.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { FileNotFoundError } from "../../common/index.js";
import { openSafetensors, type SafetensorsFile, type SafetensorsTensorInfo } from "../safetensors/index.js";
import type { StreamTensorOptions, TensorFileRange, TensorSource } from "../tensor.js";
import { parseGenerationConfig, parseLlamaConfig, type GenerationConfig, type LlamaConfig } from "./config.js";
import { CONFIG_NAME, GENERATION_CONFIG_NAME, SAFE_WEIGHTS_INDEX_NAME, SAFE_WEIGHTS_NAME, TOKENIZER_CONFIG_NAME, TOKENIZER_FILES } from "./constants.js";
import {
  CheckpointDuplicateTensorError,
  CheckpointIndexError,
  CheckpointMissingConfigError,
  CheckpointMissingWeightsError,
  CheckpointNotAFolderError,
  CheckpointShardMissingError,
  CheckpointTensorMissingError,
  CheckpointTensorNotFoundError,
  CheckpointTotalSizeError,
  CheckpointUnindexedTensorError,
} from "./errors.js";
import { readJsonObject } from "./json.js";

/** One tensor of a checkpoint, with the weights file that holds it. */
export interface CheckpointTensorInfo extends SafetensorsTensorInfo {
  /** File name (within the folder) of the shard holding the tensor. */
  readonly file: string;
}

/** model.safetensors.index.json as transformers writes it. */
export const SafetensorsIndexSchema = z.object({
  metadata: z.looseObject({ total_size: z.number().int().nonnegative().optional() }).optional(),
  weight_map: z.record(z.string(), z.string()),
});

/** A validated index. */
export type SafetensorsIndex = z.infer<typeof SafetensorsIndexSchema>;

/** An open checkpoint folder. Close it to release the weights files. */
export class Checkpoint implements TensorSource {
  private readonly byName: ReadonlyMap<string, CheckpointTensorInfo>;
  private readonly shardsByFile: ReadonlyMap<string, SafetensorsFile>;

  constructor(
    /** The folder's path. */
    readonly folder: string,
    /** config.json, validated. */
    readonly config: LlamaConfig,
    /** generation_config.json, or undefined when absent. */
    readonly generationConfig: GenerationConfig | undefined,
    /** Tokenizer files present in the folder (names from {@link TOKENIZER_FILES}). */
    readonly tokenizerFiles: readonly string[],
    /** The index, for sharded checkpoints. */
    readonly index: SafetensorsIndex | undefined,
    /** The open weights files, in shard order. */
    readonly shards: readonly SafetensorsFile[],
    /** Their file names, in the same order. */
    readonly weightFiles: readonly string[],
  ) {
    this.shardsByFile = new Map(weightFiles.map((file, i) => [file, shards[i] as SafetensorsFile]));
    const tensors: CheckpointTensorInfo[] = [];
    for (const [i, shard] of shards.entries()) for (const t of shard.tensors) tensors.push({ ...t, file: weightFiles[i] ?? "" });
    this.tensors = tensors;
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  /** Every tensor: shards in order, each shard's tensors in its file order. */
  readonly tensors: readonly CheckpointTensorInfo[];

  /** Sum of the tensors' bytes (what the index calls total_size). */
  get totalSize(): number {
    return this.tensors.reduce((sum, t) => sum + t.byteLength, 0);
  }

  /** Sum of the weights files' sizes. */
  get fileBytes(): number {
    return this.shards.reduce((sum, s) => sum + s.fileBytes, 0);
  }

  tensor(name: string): CheckpointTensorInfo | undefined {
    return this.byName.get(name);
  }

  fileRange(name: string): TensorFileRange | undefined {
    return this.shardOf(name).fileRange(name);
  }

  streamTensor(name: string, options: StreamTensorOptions = {}): AsyncIterable<Uint8Array> {
    return this.shardOf(name).streamTensor(name, options);
  }

  readTensor(name: string): Promise<Uint8Array> {
    return this.shardOf(name).readTensor(name);
  }

  /** The open shard holding `name`. */
  shardOf(name: string): SafetensorsFile {
    const info = this.byName.get(name);
    const shard = info === undefined ? undefined : this.shardsByFile.get(info.file);
    if (shard === undefined) throw new CheckpointTensorNotFoundError(this.folder, name);
    return shard;
  }

  /**
   * Reads tokenizer_config.json (where `chat_template` lives), or undefined when the folder has none.
   * Read on demand: opening a checkpoint does not parse tokenizer files.
   */
  async readTokenizerConfig(): Promise<Record<string, unknown> | undefined> {
    if (!this.tokenizerFiles.includes(TOKENIZER_CONFIG_NAME)) return undefined;
    return readJsonObject(join(this.folder, TOKENIZER_CONFIG_NAME));
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}

async function readIndex(path: string): Promise<SafetensorsIndex> {
  const raw = await readJsonObject(path);
  const parsed = SafetensorsIndexSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CheckpointIndexError(path, "{metadata: {total_size: integer}, weight_map: {tensor: file}}", `a problem at "${issue?.path.join(".") ?? ""}": ${issue?.message ?? "invalid"}`);
  }
  for (const file of new Set(Object.values(parsed.data.weight_map))) {
    if (file === "" || file === "." || file === ".." || /[\\/]/.test(file)) throw new CheckpointIndexError(path, "weight_map values to be file names within the folder", JSON.stringify(file));
  }
  return parsed.data;
}

/** Opens shards one after another; closes the opened ones if any fails. */
async function openShards(folder: string, files: readonly string[]): Promise<SafetensorsFile[]> {
  const opened: SafetensorsFile[] = [];
  try {
    for (const file of files) opened.push(await openSafetensors(join(folder, file)));
    return opened;
  } catch (error) {
    await Promise.all(opened.map((s) => s.close()));
    throw error;
  }
}

/** Checks that the index and the shards agree: same tensors, same places, one shard each, total_size right. */
function checkIndex(folder: string, index: SafetensorsIndex, files: readonly string[], shards: readonly SafetensorsFile[]): void {
  const holder = new Map<string, string>();
  let total = 0;
  for (const [i, shard] of shards.entries()) {
    const file = files[i] ?? "";
    for (const tensor of shard.tensors) {
      const previous = holder.get(tensor.name);
      if (previous !== undefined) throw new CheckpointDuplicateTensorError(folder, tensor.name, previous, file);
      holder.set(tensor.name, file);
      total += tensor.byteLength;
    }
  }
  for (const [name, file] of Object.entries(index.weight_map)) {
    if (holder.get(name) !== file) throw new CheckpointTensorMissingError(folder, name, file);
  }
  for (const [name, file] of holder) {
    const indexed = index.weight_map[name];
    if (indexed !== file) throw new CheckpointUnindexedTensorError(folder, name, file, indexed);
  }
  const declared = index.metadata?.total_size;
  if (declared !== undefined && declared !== total) throw new CheckpointTotalSizeError(folder, declared, total);
}

/**
 * Opens a Hugging Face checkpoint folder (like transformers' `from_pretrained` on a local path, without loading):
 * validates config.json, reads generation_config.json when present, lists the tokenizer files, and opens the
 * safetensors weights, checking that a sharded checkpoint's index and shards agree. Tensor data is read on demand.
 */
export async function openCheckpoint(folder: string): Promise<Checkpoint> {
  const info = await stat(folder).catch((error: unknown) => {
    throw new FileNotFoundError(folder, { cause: error });
  });
  if (!info.isDirectory()) throw new CheckpointNotAFolderError(folder);
  const names = new Set(await readdir(folder));

  if (!names.has(CONFIG_NAME)) throw new CheckpointMissingConfigError(folder);
  const configPath = join(folder, CONFIG_NAME);
  const config = parseLlamaConfig(await readJsonObject(configPath), configPath);
  const generationPath = join(folder, GENERATION_CONFIG_NAME);
  const generationConfig = names.has(GENERATION_CONFIG_NAME) ? parseGenerationConfig(await readJsonObject(generationPath), generationPath) : undefined;
  const tokenizerFiles = TOKENIZER_FILES.filter((name) => names.has(name));

  if (names.has(SAFE_WEIGHTS_NAME)) {
    const shards = await openShards(folder, [SAFE_WEIGHTS_NAME]);
    return new Checkpoint(folder, config, generationConfig, tokenizerFiles, undefined, shards, [SAFE_WEIGHTS_NAME]);
  }
  if (!names.has(SAFE_WEIGHTS_INDEX_NAME)) throw new CheckpointMissingWeightsError(folder, [...names].sort());

  const index = await readIndex(join(folder, SAFE_WEIGHTS_INDEX_NAME));
  const files = [...new Set(Object.values(index.weight_map))].sort();
  for (const file of files) {
    if (!names.has(file)) {
      const tensor = Object.entries(index.weight_map).find(([, f]) => f === file)?.[0] ?? "";
      throw new CheckpointShardMissingError(folder, file, tensor);
    }
  }
  const shards = await openShards(folder, files);
  try {
    checkIndex(folder, index, files, shards);
  } catch (error) {
    await Promise.all(shards.map((s) => s.close()));
    throw error;
  }
  return new Checkpoint(folder, config, generationConfig, tokenizerFiles, index, shards, files);
}
