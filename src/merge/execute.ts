// Carrying out a merge plan: the only part of merge/ that touches files. Streams tensor by tensor from the open
// donors into the output (temporary files beside the destination, renamed into place when all are complete).
import { rename, rm } from "node:fs/promises";
import { Progress, ensureParentFolder, formatBytes, temporaryPathFor, translateWriteError } from "../common/index.js";
import { GgufWriter, Keys, encodeGgufHeader, gguf, metadataString, splitPath, writeCheckpoint, type GgufMetadata, type TensorInfo, type TensorFileRange } from "../formats/index.js";
import { GGUF_TOKENIZER_FILE, ggufMetadataFromCheckpoint, mergedCheckpointConfig, modelCard, tokenizerOnlyMetadata } from "./checkpoint-output.js";
import { transformTensor } from "./convert.js";
import type { OpenDonor } from "./donors.js";
import { mergeTitle, mergedGgufMetadata, shardTensors } from "./gguf-output.js";
import { mixTensor } from "./mix.js";
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
  /** Largest safetensors shard in bytes. Defaults to the input checkpoint's largest shard, else 5 GB. */
  readonly shardMaxBytes?: number;
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
  if (!step.mix) return transformTensor(step, donors[step.donor]!.source.streamTensor(step.source));
  // Linear: the weighted sum arrives as float32, then is converted (and permuted) like a copied F32 tensor.
  const elements = step.shape.reduce((a, b) => a * b, 1);
  const inputs = step.mix.map((term) => ({ chunks: donors[term.donor]!.source.streamTensor(step.source), type: step.sourceType, weight: term.weight }));
  return transformTensor({ ...step, sourceType: "F32", sourceBytes: elements * 4 }, mixTensor({ inputs, elements }));
}

/** The file range to copy unchanged for a step that only moves bytes (no conversion, permutation or mixing). */
function unchangedRange(donors: readonly OpenDonor[], step: TensorStep): TensorFileRange | undefined {
  if (step.mix || step.permute || step.sourceType !== step.type) return undefined;
  return donors[step.donor]!.source.fileRange?.(step.source);
}

async function writeGgufShards({ plan, donors, output, splitMaxBytes, name, progress = true }: ExecuteMergeOptions): Promise<MergeResult> {
  const donorMetadata: GgufMetadata[] = [];
  for (const donor of donors) donorMetadata.push(donor.gguf?.metadata ?? (donor.checkpoint ? await ggufMetadataFromCheckpoint(donor.checkpoint, donor.donor.ref) : (new Map() as GgufMetadata)));
  const metadata = mergedGgufMetadata({ plan, donorMetadata, ...(name !== undefined ? { name } : {}) });
  const shards = shardTensors(plan.tensors, splitMaxBytes);
  const prefix = output.replace(/\.gguf$/i, "");
  const finals = shards.length === 1 ? [output] : shards.map((_, index) => splitPath(prefix, index, shards.length));
  const temporaries = finals.map(temporaryPathFor);
  await ensureParentFolder(output);
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
        // Runs of tensors carried unchanged are copied together (one kernel copy per contiguous run).
        let run: { name: string; range: TensorFileRange; bytes: number }[] = [];
        const flush = async (): Promise<void> => {
          if (run.length === 0) return;
          await writer.copyTensorsData(run);
          bar.tick(run.reduce((sum, entry) => sum + entry.bytes, 0));
          run = [];
        };
        for (const step of shards[index]!) {
          const range = unchangedRange(donors, step);
          if (range) {
            run.push({ name: step.output, range, bytes: step.bytes });
            continue;
          }
          await flush();
          await writer.writeTensorData(step.output, stepData(donors, step));
          bar.tick(step.bytes);
        }
        await flush();
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

async function writeCheckpointOutput({ plan, donors, output, name, shardMaxBytes, progress = true }: ExecuteMergeOptions): Promise<MergeResult> {
  const base = donors[plan.layerMap[0]!.donor]!;
  const config = mergedCheckpointConfig(plan, { ...(base.gguf ? { gguf: base.gguf.metadata } : {}), ...(base.checkpoint ? { checkpoint: base.checkpoint } : {}) });
  const title = name ?? mergeTitle(plan, base.gguf ? (metadataString(base.gguf.metadata, Keys.GENERAL_NAME) ?? base.donor.ref) : base.donor.ref);
  const steps = new Map(plan.tensors.map((step) => [step.output, step]));
  const tensors: TensorInfo[] = plan.tensors.map((step) => ({ name: step.output, type: step.type, shape: step.shape, byteLength: step.bytes }));
  const bar = new Progress({ label: "merge", total: plan.totalBytes, unit: "", formatCount: formatBytes, silent: !progress });
  const source = {
    tensors,
    async *streamTensor(tensorName: string): AsyncIterable<Uint8Array> {
      const step = steps.get(tensorName)!;
      yield* stepData(donors, step);
      bar.tick(step.bytes);
    },
  };
  const inputShard = base.checkpoint && base.checkpoint.shards.length > 1 ? Math.max(...base.checkpoint.shards.map((s) => s.fileBytes)) : undefined;
  const maxShardBytes = shardMaxBytes ?? inputShard;
  const extraFiles: Record<string, string | Uint8Array> = { "README.md": modelCard(plan, title) };
  if (base.gguf) extraFiles[GGUF_TOKENIZER_FILE] = encodeGgufHeader(3, tokenizerOnlyMetadata(base.gguf.metadata), []);
  const written = await writeCheckpoint(output, {
    config,
    source,
    ...(maxShardBytes !== undefined ? { maxShardBytes } : {}),
    ...(base.checkpoint ? { copyFrom: base.checkpoint.folder } : {}),
    extraFiles,
  });
  bar.finish();
  return { files: written.files.map((file) => `${output}/${file}`), bytes: written.totalSize, layers: plan.layerMap.length, tensors: plan.tensors.length };
}

/** Executes a merge plan. */
export async function executeMerge(options: ExecuteMergeOptions): Promise<MergeResult> {
  return options.plan.format === "gguf" ? writeGgufShards(options) : writeCheckpointOutput(options);
}
