// Writing Hugging Face checkpoint folders: plan the shards (pure data), then stream every tensor into them, write
// the index, config.json and copied tokenizer files into a temporary folder that is renamed into place.
import { copyFile, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError, writeAtomically } from "../../common/index.js";
import { SafetensorsWriter, UnknownSafetensorsDtypeError, isSafetensorsDtype } from "../safetensors/index.js";
import type { TensorInfo, TensorSource } from "../tensor.js";
import { parseGenerationConfig, parseLlamaConfig, type GenerationConfig, type LlamaConfig } from "./config.js";
import {
  CONFIG_NAME,
  DEFAULT_MAX_SHARD_BYTES,
  DEFAULT_SHARD_METADATA,
  GENERATION_CONFIG_NAME,
  SAFE_WEIGHTS_INDEX_NAME,
  TOKENIZER_FILES,
  shardFileName,
} from "./constants.js";
import { toCheckpointJson } from "./json.js";

/** One planned weights file. */
export interface ShardPlan {
  /** File name within the folder. */
  readonly file: string;
  /** Tensors in the order they are written. */
  readonly tensors: readonly TensorInfo[];
  /** Sum of their bytes. */
  readonly bytes: number;
}

/**
 * Splits tensors into shards as huggingface_hub's `split_state_dict_into_shards_factory` does: in order, starting
 * a new shard when the next tensor would push the current one past `maxShardBytes`; a tensor larger than the limit
 * gets a shard of its own at once (so it comes before the shard being filled).
 */
export function planShards(tensors: readonly TensorInfo[], maxShardBytes: number = DEFAULT_MAX_SHARD_BYTES): ShardPlan[] {
  if (!Number.isSafeInteger(maxShardBytes) || maxShardBytes <= 0) {
    throw new InvalidArgumentError(`expected the shard size limit to be a positive number of bytes but got ${maxShardBytes}`);
  }
  const groups: TensorInfo[][] = [];
  let current: TensorInfo[] = [];
  let currentBytes = 0;
  for (const tensor of tensors) {
    if (tensor.byteLength > maxShardBytes) {
      groups.push([tensor]);
      continue;
    }
    if (currentBytes + tensor.byteLength > maxShardBytes) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(tensor);
    currentBytes += tensor.byteLength;
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);
  return groups.map((group, i) => ({
    file: shardFileName(i, groups.length),
    tensors: group,
    bytes: group.reduce((sum, t) => sum + t.byteLength, 0),
  }));
}

/** Options of {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  /** config.json contents (validated before anything is written; unknown fields kept). */
  config: Readonly<Record<string, unknown>> | LlamaConfig;
  /** The tensors to write, streamed one at a time, in its order. Their types must be safetensors dtypes. */
  source: Pick<TensorSource, "tensors" | "streamTensor">;
  /** Largest shard in bytes (a larger tensor gets a shard of its own). Defaults to 5 GB, as transformers. */
  maxShardBytes?: number;
  /** A checkpoint folder to copy tokenizer files and generation_config.json from. Defaults to none. */
  copyFrom?: string | undefined;
  /** generation_config.json contents; overrides a copied one. Defaults to the copied one, if any. */
  generationConfig?: Readonly<Record<string, unknown>> | GenerationConfig | undefined;
  /** Metadata in each shard's header. Defaults to `{format: "pt"}`, as transformers writes. */
  shardMetadata?: Readonly<Record<string, string>>;
  /** Chunk size for streaming tensor data. Defaults to the source's default. */
  chunkBytes?: number;
  /** More text files to write into the folder (name → contents), e.g. a README.md model card. Defaults to none. */
  extraFiles?: Readonly<Record<string, string | Uint8Array>>;
}

/** What {@link writeCheckpoint} wrote. */
export interface WrittenCheckpoint {
  readonly folder: string;
  readonly shards: readonly ShardPlan[];
  /** Sum of the tensors' bytes. */
  readonly totalSize: number;
  /** Every file in the folder. */
  readonly files: readonly string[];
}

/**
 * Writes a Hugging Face checkpoint folder (like transformers' `save_pretrained`): safetensors shards named as
 * transformers names them (`model.safetensors` when one), `model.safetensors.index.json` when sharded, config.json,
 * and tokenizer and generation files copied from `copyFrom`. The folder is built beside `folder` and renamed into
 * place; an existing folder there is replaced only when the new one is complete.
 */
export async function writeCheckpoint(
  folder: string,
  { config, source, maxShardBytes = DEFAULT_MAX_SHARD_BYTES, copyFrom, generationConfig, shardMetadata = DEFAULT_SHARD_METADATA, chunkBytes, extraFiles = {} }: WriteCheckpointOptions,
): Promise<WrittenCheckpoint> {
  const validConfig = parseLlamaConfig(config);
  const validGeneration = generationConfig === undefined ? undefined : parseGenerationConfig(generationConfig);
  for (const tensor of source.tensors) {
    if (!isSafetensorsDtype(tensor.type)) {
      throw new UnknownSafetensorsDtypeError(folder, tensor.name, tensor.type, "safetensors stores plain dtypes: dequantize the model (to F32, F16 or BF16) before writing a checkpoint");
    }
  }
  const shards = planShards(source.tensors, maxShardBytes);
  const copied = copyFrom === undefined ? [] : await filesToCopy(copyFrom, validGeneration === undefined);
  const streamOptions = chunkBytes === undefined ? {} : { chunkBytes };

  return writeAtomically(folder, async (temporary) => {
    await mkdir(temporary);
    for (const shard of shards) {
      const writer = new SafetensorsWriter(join(temporary, shard.file), { metadata: shardMetadata });
      for (const t of shard.tensors) writer.addTensor({ name: t.name, dtype: t.type, shape: t.shape });
      try {
        await writer.begin();
        for (const t of shard.tensors) await writer.writeTensor(t.name, source.streamTensor(t.name, streamOptions));
        await writer.finish();
      } finally {
        await writer.abort();
      }
    }
    const totalSize = shards.reduce((sum, s) => sum + s.bytes, 0);
    if (shards.length > 1) {
      const weightMap = Object.fromEntries(shards.flatMap((shard) => shard.tensors.map((t) => [t.name, shard.file])));
      await writeFile(join(temporary, SAFE_WEIGHTS_INDEX_NAME), toCheckpointJson({ metadata: { total_size: totalSize }, weight_map: weightMap }));
    }
    await writeFile(join(temporary, CONFIG_NAME), toCheckpointJson(validConfig));
    for (const name of copied) await copyFile(join(copyFrom ?? "", name), join(temporary, name));
    if (validGeneration !== undefined) await writeFile(join(temporary, GENERATION_CONFIG_NAME), toCheckpointJson(validGeneration));
    for (const [name, text] of Object.entries(extraFiles)) await writeFile(join(temporary, name), text);
    return { folder, shards, totalSize, files: (await readdir(temporary)).sort() };
  });
}

/** The tokenizer files (and generation_config.json, when wanted) present in `folder`. */
async function filesToCopy(folder: string, withGeneration: boolean): Promise<string[]> {
  const present = new Set(await readdir(folder));
  const wanted: string[] = [...TOKENIZER_FILES, ...(withGeneration ? [GENERATION_CONFIG_NAME] : [])];
  return wanted.filter((name) => present.has(name));
}
