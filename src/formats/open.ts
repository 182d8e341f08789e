// Opens any model file dusk reads by looking at what the path is: a GGUF file (or shard), a .safetensors file,
// or a Hugging Face checkpoint folder.
import { stat } from "node:fs/promises";
import { FileNotFoundError, InvalidArgumentError } from "../common/index.js";
import { describeGguf, type ModelDescription } from "./describe.js";
import { openGguf, type GgufModel } from "./gguf/index.js";

/** An opened model of either format. */
export type OpenedModel = { format: "gguf"; model: GgufModel };

/** Options of {@link inspectModel}. */
export interface InspectOptions {
  /** Items shown of long metadata arrays. Defaults to 8. */
  arrayLimit?: number;
}

/** Opens a model path as the format it is. */
export async function openModel(path: string): Promise<OpenedModel> {
  const info = await stat(path).catch((error: unknown) => {
    throw new FileNotFoundError(path, { hint: "give a .gguf file, a .safetensors file or a checkpoint folder", cause: error });
  });
  if (info.isDirectory() || path.endsWith(".safetensors")) {
    throw new InvalidArgumentError(`expected a GGUF file but ${path} is a safetensors checkpoint, which this build cannot open yet`);
  }
  return { format: "gguf", model: await openGguf(path) };
}

/** Describes a model from its metadata only. */
export async function inspectModel(path: string, { arrayLimit = 8 }: InspectOptions = {}): Promise<ModelDescription> {
  const opened = await openModel(path);
  try {
    return describeGguf(path, opened.model, arrayLimit);
  } finally {
    await opened.model.close();
  }
}
