// Opens any model file dusk reads by looking at what the path is: a GGUF file (or shard), a .safetensors file,
// or a Hugging Face checkpoint folder.
import { stat } from "node:fs/promises";
import { FileNotFoundError, InvalidArgumentError } from "../common/index.js";
import { describeGguf, describeSafetensors, type ModelDescription } from "./describe.js";
import { openGguf, type GgufModel } from "./gguf/index.js";
import { openCheckpoint, type Checkpoint } from "./hf/index.js";
import { openSafetensors, type SafetensorsFile } from "./safetensors/index.js";

/** An opened model of either format: a GGUF file, a checkpoint folder, or one .safetensors file. */
export type OpenedModel =
  | { format: "gguf"; model: GgufModel }
  | { format: "checkpoint"; model: Checkpoint }
  | { format: "safetensors"; model: SafetensorsFile };

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
  if (info.isDirectory()) return { format: "checkpoint", model: await openCheckpoint(path) };
  if (/\.safetensors$/i.test(path)) return { format: "safetensors", model: await openSafetensors(path) };
  if (!/\.gguf$/i.test(path) && !info.isFile()) throw new InvalidArgumentError(`expected a model file or checkpoint folder at ${path}`);
  return { format: "gguf", model: await openGguf(path) };
}

/** Describes a model from its metadata only. */
export async function inspectModel(path: string, { arrayLimit = 8 }: InspectOptions = {}): Promise<ModelDescription> {
  const opened = await openModel(path);
  try {
    if (opened.format === "gguf") return describeGguf(path, opened.model, arrayLimit);
    const description = describeSafetensors(path, opened);
    if (opened.format !== "checkpoint") return description;
    const template = (await opened.model.readTokenizerConfig())?.chat_template;
    return typeof template === "string" ? { ...description, chatTemplate: template } : description;
  } finally {
    await opened.model.close();
  }
}
