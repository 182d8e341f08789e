// Opening donor models: each reference becomes an open tensor source plus the facts planning needs (Donor).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError } from "../common/index.js";
import { ByteSink, GgufValueType, Keys, archKey, metadataArray, metadataNumber, metadataString, openModel, type Checkpoint, type GgufMetadata, type GgufModel, type TensorSource } from "../formats/index.js";
import type { Donor } from "./plan.js";

/** A donor that is open for reading. */
export interface OpenDonor {
  readonly donor: Donor;
  readonly source: TensorSource;
  /** The GGUF model, for GGUF donors. */
  readonly gguf: GgufModel | undefined;
  /** The checkpoint folder, for safetensors donors. */
  readonly checkpoint: Checkpoint | undefined;
}

/** The first value of a scalar-or-per-layer-array metadata key. */
function firstNumber(metadata: GgufMetadata, key: string): number | undefined {
  const array = metadataArray(metadata, key);
  if (array && array.itemType !== GgufValueType.STRING && array.itemType !== GgufValueType.ARRAY) return Number(array.items[0]);
  return metadataNumber(metadata, key);
}

/** sha256 of the tokenizer.* metadata, in key order-independent form. */
export function ggufTokenizerDigest(metadata: GgufMetadata): string {
  const hash = createHash("sha256");
  for (const key of [...metadata.keys()].filter((k) => k.startsWith("tokenizer.")).sort()) {
    const sink = new ByteSink();
    sink.string(key);
    sink.value(metadata.get(key)!);
    hash.update(sink.result());
  }
  return hash.digest("hex");
}

function ggufDonor(ref: string, model: GgufModel): Donor {
  const meta = model.metadata;
  const arch = metadataString(meta, Keys.GENERAL_ARCHITECTURE);
  if (!arch) throw new InvalidArgumentError(`expected general.architecture in ${ref} but found none`, { hint: "is this a model file (not a vocabulary-only file)?" });
  const key = (template: string): string => archKey(template, arch);
  const layers = metadataNumber(meta, key(Keys.BLOCK_COUNT));
  if (!layers) throw new InvalidArgumentError(`expected ${key(Keys.BLOCK_COUNT)} in ${ref} but found none`);
  const heads = firstNumber(meta, key(Keys.HEAD_COUNT)) ?? 0;
  return {
    ref,
    format: "gguf",
    architecture: arch,
    layers,
    hidden: metadataNumber(meta, key(Keys.EMBEDDING_LENGTH)) ?? 0,
    heads,
    kvHeads: firstNumber(meta, key(Keys.HEAD_COUNT_KV)) ?? heads,
    vocab: metadataArray(meta, Keys.TOKENIZER_TOKENS)?.items.length ?? model.tensor("token_embd.weight")?.shape[0] ?? 0,
    tokenizerDigest: ggufTokenizerDigest(meta),
    tensors: model.tensors,
  };
}

/** sha256 of a checkpoint's tokenizer files (tokenizer.json, tokenizer.model, …), in name order. */
export async function checkpointTokenizerDigest(checkpoint: Checkpoint): Promise<string> {
  const hash = createHash("sha256");
  for (const name of [...checkpoint.tokenizerFiles].sort()) {
    hash.update(name);
    hash.update(await readFile(join(checkpoint.folder, name)));
  }
  return hash.digest("hex");
}

async function checkpointDonor(ref: string, checkpoint: Checkpoint): Promise<Donor> {
  const config = checkpoint.config;
  return {
    ref,
    format: "safetensors",
    architecture: typeof config.model_type === "string" ? config.model_type : (config.architectures?.[0] ?? "llama"),
    layers: config.num_hidden_layers,
    hidden: config.hidden_size,
    heads: config.num_attention_heads,
    kvHeads: config.num_key_value_heads ?? config.num_attention_heads,
    vocab: config.vocab_size,
    tokenizerDigest: await checkpointTokenizerDigest(checkpoint),
    tensors: checkpoint.tensors,
  };
}

/** Opens one donor by local path (Hub references are resolved to paths before this). */
export async function openDonor(ref: string, path: string): Promise<OpenDonor> {
  const opened = await openModel(path);
  try {
    if (opened.format === "gguf") return { donor: ggufDonor(ref, opened.model), source: opened.model, gguf: opened.model, checkpoint: undefined };
    if (opened.format === "checkpoint") return { donor: await checkpointDonor(ref, opened.model), source: opened.model, gguf: undefined, checkpoint: opened.model };
    throw new InvalidArgumentError(`expected a GGUF file or a checkpoint folder (with config.json) for ${ref} but got a lone .safetensors file`, {
      hint: "merges need the model's config: give the checkpoint folder that holds the .safetensors file",
    });
  } catch (error) {
    await opened.model.close();
    throw error;
  }
}
