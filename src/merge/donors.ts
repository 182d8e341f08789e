// Opening donor models: each reference becomes an open tensor source plus the facts planning needs (Donor).
import { createHash } from "node:crypto";
import { InvalidArgumentError } from "../common/index.js";
import { ByteSink, GgufValueType, Keys, archKey, metadataArray, metadataNumber, metadataString, openModel, type GgufMetadata, type GgufModel, type TensorSource } from "../formats/index.js";
import type { Donor } from "./plan.js";

/** A donor that is open for reading. */
export interface OpenDonor {
  readonly donor: Donor;
  readonly source: TensorSource;
  /** GGUF metadata, for GGUF donors. */
  readonly gguf: GgufModel | undefined;
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

/** Opens one donor by local path (Hub references are resolved to paths before this). */
export async function openDonor(ref: string, path: string): Promise<OpenDonor> {
  const opened = await openModel(path);
  try {
    return { donor: ggufDonor(ref, opened.model), source: opened.model, gguf: opened.model };
  } catch (error) {
    await opened.model.close();
    throw error;
  }
}
