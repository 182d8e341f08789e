// `dusk convert`: one entry point that reads what the input is (a checkpoint folder or a GGUF file) and converts it
// to the other format, returning a summary for people and programs.
import { stat } from "node:fs/promises";
import { FileNotFoundError, InvalidArgumentError } from "../common/index.js";
import { ConvertOutputError } from "./errors.js";
import { CONVERT_TYPES, type ConvertType } from "./tensors.js";
import { ggufToCheckpoint, type CheckpointType } from "./to-checkpoint.js";
import { checkpointToGguf } from "./to-gguf.js";

/** Options of {@link convertModel}. */
export interface ConvertModelOptions {
  /** A Hugging Face checkpoint folder or a .gguf file. */
  readonly input: string;
  /** A .gguf path (from a folder) or a folder (from a GGUF). */
  readonly output: string;
  /** Output type: F32, F16, BF16 or Q8_0 for GGUF; F32, F16 or BF16 for a checkpoint. Defaults to the input's own types (Q8_0 becomes F32 in a checkpoint). */
  readonly type?: string | undefined;
  /** `general.name` of a GGUF output. Defaults to the input folder's name. */
  readonly name?: string | undefined;
  /** Largest safetensors shard of a checkpoint output, in bytes. Defaults to 5 GB. */
  readonly shardMaxBytes?: number | undefined;
  /** Show progress on stderr. Defaults to false. */
  readonly progress?: boolean;
}

/** A summary of a conversion. */
export interface ConvertSummary {
  readonly direction: "checkpoint-to-gguf" | "gguf-to-checkpoint";
  readonly input: string;
  readonly output: string;
  readonly tensors: number;
  /** Bytes of tensor data written. */
  readonly bytes: number;
  /** Output type of each tensor, counted. */
  readonly types: Readonly<Record<string, number>>;
  /** Tensors whose q/k rows were permuted between the rope layouts. */
  readonly permuted: number;
  /** The tokenizer model ("gpt2", "llama") and where it was read from or what was written. */
  readonly tokenizer: { readonly model: string; readonly from: string };
  readonly files: readonly string[];
  readonly warnings: readonly string[];
}

function countTypes(steps: readonly { type: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const step of steps) counts[step.type] = (counts[step.type] ?? 0) + 1;
  return counts;
}

/** Converts a Llama model between a Hugging Face checkpoint folder and GGUF, in whichever direction the input asks. */
export async function convertModel({ input, output, type, name, shardMaxBytes, progress = false }: ConvertModelOptions): Promise<ConvertSummary> {
  const info = await stat(input).catch((error: unknown) => {
    throw new FileNotFoundError(input, { hint: "give a Hugging Face checkpoint folder or a .gguf file", cause: error });
  });
  const wanted = type?.toUpperCase();
  if (info.isDirectory()) {
    if (!/\.gguf$/i.test(output)) throw new ConvertOutputError(`expected a .gguf output for a checkpoint folder input but got ${output}`, "name the output file.gguf");
    if (wanted !== undefined && !(CONVERT_TYPES as readonly string[]).includes(wanted)) {
      throw new InvalidArgumentError(`expected the GGUF type to be one of ${CONVERT_TYPES.join(", ")} but got "${type}"`);
    }
    const { plan } = await checkpointToGguf({ input, output, type: wanted as ConvertType | undefined, name, progress });
    return {
      direction: "checkpoint-to-gguf",
      input,
      output,
      tensors: plan.steps.length,
      bytes: plan.totalBytes,
      types: countTypes(plan.steps),
      permuted: plan.steps.filter((s) => s.permute).length,
      tokenizer: { model: plan.tokenizerModel, from: plan.tokenizerSource },
      files: [output],
      warnings: [],
    };
  }
  if (/\.gguf$/i.test(output)) throw new ConvertOutputError(`expected a folder output for a GGUF input but got ${output}`, "give a folder path for the Hugging Face checkpoint");
  if (wanted !== undefined && !["F32", "F16", "BF16"].includes(wanted)) {
    throw new InvalidArgumentError(`expected the checkpoint type to be F32, F16 or BF16 but got "${type}"`, { hint: "safetensors checkpoints hold float weights; Q8_0 exists only in GGUF" });
  }
  const result = await ggufToCheckpoint({ input, output, type: wanted as CheckpointType | undefined, shardMaxBytes, progress });
  const plan = result.plan;
  return {
    direction: "gguf-to-checkpoint",
    input,
    output,
    tensors: plan.steps.length,
    bytes: plan.totalBytes,
    types: countTypes(plan.steps),
    permuted: plan.steps.filter((s) => s.permute).length,
    tokenizer: { model: plan.tokenizerModel, from: Object.keys(plan.tokenizerFiles).sort().join(", ") || "none" },
    files: result.files,
    warnings: plan.warnings,
  };
}
