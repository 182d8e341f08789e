// How CLI commands accept a model: a local path passes through; a Hub id (org/name[:file-or-quant][@revision]) is
// pulled into the Hugging Face cache on first use.
import { resolveModelReference } from "../hub/index.js";

/** Resolves a model reference to a local path, pulling Hub ids on first use. */
export async function resolveModel(ref: string): Promise<string> {
  return (await resolveModelReference(ref)).path;
}
