// Carrying out a merge plan: the only part of merge/ that touches files. Streams tensor by tensor from the open
// donors into the output (temporary files beside the destination, renamed into place when all are complete).
import { rename, rm } from "node:fs/promises";
import { Progress, formatBytes, temporaryPathFor, translateWriteError } from "../common/index.js";
import { GgufWriter, Keys, gguf, splitPath, type GgufMetadata } from "../formats/index.js";
import { transformTensor } from "./convert.js";
import type { OpenDonor } from "./donors.js";
import { UnsupportedConversionError } from "./errors.js";
import { mergedGgufMetadata, shardTensors } from "./gguf-output.js";
import type { MergePlan, TensorStep } from "./plan.js";

/** Options of {@link executeMerge}. */
export interface ExecuteMergeOptions {
  readonly plan: MergePlan;
  readonly donors: readonly OpenDonor[];
  /** Output: a `.gguf` path, or a folder for safetensors. */
  readonly output: string;
  /** Largest GGUF shard (data bytes); writes `-0000K-of-0000N.gguf` files when set. Defaults to one file. */
  readonly splitMaxBytes?: number;
  /** `general.name` of the result. */
  readonly name?: string;
  /** Show progress on stderr. Defaults to true. */
  readonly progress?: boolean;
}

/** What a merge wrote. */
export interface MergeResult {
  readonly files: readonly string[];
  readonly bytes: number;
  readonly layers: number;
  readonly tensors: number;
}

function stepData(donors: readonly OpenDonor[], step: TensorStep): AsyncIterable<Uint8Array> {
  return transformTensor(step, donors[step.donor]!.source.streamTensor(step.source));
}

async function writeGgufShards({ plan, donors, output, splitMaxBytes, name, progress = true }: ExecuteMergeOptions): Promise<MergeResult> {
  const donorMetadata = donors.map((d) => d.gguf?.metadata ?? (new Map() as GgufMetadata));
  const metadata = mergedGgufMetadata({ plan, donorMetadata, ...(name !== undefined ? { name } : {}) });
  const shards = shardTensors(plan.tensors, splitMaxBytes);
  const prefix = output.replace(/\.gguf$/i, "");
  const finals = shards.length === 1 ? [output] : shards.map((_, index) => splitPath(prefix, index, shards.length));
  const temporaries = finals.map(temporaryPathFor);
  const bar = new Progress({ label: "merge", total: plan.totalBytes, unit: "", formatCount: formatBytes, silent: !progress });
  try {
    for (let index = 0; index < shards.length; index++) {
      const writer = new GgufWriter();
      if (index === 0) writer.setAllMetadata(metadata);
      else {
        const alignment = metadata.get(Keys.GENERAL_ALIGNMENT);
        if (alignment) writer.setMetadata(Keys.GENERAL_ALIGNMENT, alignment);
      }
      if (shards.length > 1) {
        writer.setMetadata(Keys.SPLIT_NO, gguf.u16(index));
        writer.setMetadata(Keys.SPLIT_COUNT, gguf.u16(shards.length));
        writer.setMetadata(Keys.SPLIT_TENSORS_COUNT, gguf.i32(plan.tensors.length));
      }
      for (const step of shards[index]!) writer.addTensor({ name: step.output, type: step.type, dims: [...step.shape].reverse() });
      try {
        await writer.begin(temporaries[index]!);
        for (const step of shards[index]!) {
          await writer.writeTensorData(step.output, stepData(donors, step));
          bar.tick(step.bytes);
        }
        await writer.finish();
      } catch (error) {
        await writer.abort();
        throw error;
      }
    }
    for (let index = 0; index < finals.length; index++) await rename(temporaries[index]!, finals[index]!);
    bar.finish();
  } catch (error) {
    await Promise.all(temporaries.map((path) => rm(path, { force: true })));
    throw translateWriteError(error, output);
  }
  return { files: finals, bytes: plan.totalBytes, layers: plan.layerMap.length, tensors: plan.tensors.length };
}

/** Executes a merge plan. */
export async function executeMerge(options: ExecuteMergeOptions): Promise<MergeResult> {
  if (options.plan.format === "gguf") return writeGgufShards(options);
  throw new UnsupportedConversionError("safetensors output is not available in this build");
}
