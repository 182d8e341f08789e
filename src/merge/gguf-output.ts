// GGUF output of a merge: the metadata of the merged model (block count, per-layer arrays remapped, name, size
// label, lineage, the configuration as YAML) and the split-file layout of `--split-max-size`.
import { formatParameterCount } from "../common/index.js";
import { isPerLayerKey } from "../arch/index.js";
import { GgufValueType, Keys, archKey, gguf, metadataNumber, metadataString, type GgufArray, type GgufMetadata } from "../formats/index.js";
import { contributingDonors, type MergePlan } from "./plan-common.js";

/** Options of {@link mergedGgufMetadata}. */
export interface MergedMetadataOptions {
  readonly plan: MergePlan;
  /** GGUF metadata of each donor (same order as plan.donors). */
  readonly donorMetadata: readonly GgufMetadata[];
  /** `general.name` of the result. Defaults to "<base name> (<layers>-layer merge)", or "(linear merge of N models)". */
  readonly name?: string;
}

const HUB_ID = /^[\w.-]+\/[\w.-]+$/;
/** llama.cpp's `general.file_type` (LLAMA_FTYPE_ALL_F32, MOSTLY_F16, MOSTLY_BF16) of a linear merge written in a mergekit dtype. */
const FILE_TYPE = { float32: 0, float16: 1, bfloat16: 32 } as const;

function pickItems(array: GgufArray, indices: readonly number[], sources: readonly GgufArray[]): GgufArray {
  // Per-layer arrays: item i of the result is item layerMap[i].layer of its donor's array.
  const pick = <T>(items: ArrayLike<T>[], make: (values: T[]) => GgufArray): GgufArray => make(indices.map((layer, i) => items[i]![layer]!));
  const itemsOf = sources.map((source) => source.items as ArrayLike<unknown>);
  switch (array.itemType) {
    case GgufValueType.UINT32: return pick(itemsOf as ArrayLike<number>[], (v) => ({ itemType: array.itemType, items: Uint32Array.from(v) }));
    case GgufValueType.INT32: return pick(itemsOf as ArrayLike<number>[], (v) => ({ itemType: array.itemType, items: Int32Array.from(v) }));
    case GgufValueType.FLOAT32: return pick(itemsOf as ArrayLike<number>[], (v) => ({ itemType: array.itemType, items: Float32Array.from(v) }));
    case GgufValueType.UINT8: case GgufValueType.BOOL: return pick(itemsOf as ArrayLike<number>[], (v) => ({ itemType: array.itemType, items: Uint8Array.from(v) }));
    case GgufValueType.INT8: return pick(itemsOf as ArrayLike<number>[], (v) => ({ itemType: array.itemType, items: Int8Array.from(v) }));
    case GgufValueType.UINT16: return pick(itemsOf as ArrayLike<number>[], (v) => ({ itemType: array.itemType, items: Uint16Array.from(v) }));
    case GgufValueType.INT16: return pick(itemsOf as ArrayLike<number>[], (v) => ({ itemType: array.itemType, items: Int16Array.from(v) }));
    case GgufValueType.FLOAT64: return pick(itemsOf as ArrayLike<number>[], (v) => ({ itemType: array.itemType, items: Float64Array.from(v) }));
    case GgufValueType.UINT64: return pick(itemsOf as ArrayLike<bigint>[], (v) => ({ itemType: array.itemType, items: BigUint64Array.from(v) }));
    case GgufValueType.INT64: return pick(itemsOf as ArrayLike<bigint>[], (v) => ({ itemType: array.itemType, items: BigInt64Array.from(v) }));
    case GgufValueType.STRING: return pick(itemsOf as ArrayLike<string>[], (v) => ({ itemType: array.itemType, items: v }));
    case GgufValueType.ARRAY: return pick(itemsOf as ArrayLike<GgufArray>[], (v) => ({ itemType: array.itemType, items: v }));
  }
}

/** The merged model's metadata: the base donor's keys in order, with what the merge changes. */
export function mergedGgufMetadata({ plan, donorMetadata, name }: MergedMetadataOptions): GgufMetadata {
  const baseIndex = plan.layerMap[0]!.donor;
  const base = donorMetadata[baseIndex]!;
  const arch = plan.donors[baseIndex]!.architecture;
  const layers = plan.layerMap.length;
  const blockCountKey = archKey(Keys.BLOCK_COUNT, arch);
  const out: GgufMetadata = new Map();
  for (const [key, value] of base) {
    if (key.startsWith("split.") || key.startsWith("general.base_model.") || key === "dusk.merge.config") continue;
    if (key === blockCountKey) {
      out.set(key, { type: value.type, value: layers } as typeof value);
    } else if (value.type === GgufValueType.ARRAY && isPerLayerKey(key, arch) && value.value.items.length === plan.donors[baseIndex]!.layers) {
      // A per-layer array (e.g. head_count_kv per layer): remap it with the layers, each from its own donor.
      const sources = plan.layerMap.map(({ donor }) => {
        const entry = donorMetadata[donor]!.get(key);
        return entry?.type === GgufValueType.ARRAY ? entry.value : value.value;
      });
      out.set(key, { type: GgufValueType.ARRAY, value: pickItems(value.value, plan.layerMap.map((entry) => entry.layer), sources) });
    } else {
      out.set(key, value);
    }
  }
  const baseName = metadataString(base, Keys.GENERAL_NAME) ?? plan.donors[baseIndex]!.ref;
  out.set(Keys.GENERAL_NAME, gguf.str(name ?? mergeTitle(plan, baseName)));
  const parameters = plan.tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
  out.set(Keys.GENERAL_SIZE_LABEL, gguf.str(formatParameterCount(parameters)));
  const distinct = contributingDonors(plan);
  out.set(Keys.GENERAL_BASE_MODEL_COUNT, gguf.u32(distinct.length));
  distinct.forEach((donorIndex, i) => {
    const donor = plan.donors[donorIndex]!;
    out.set(`general.base_model.${i}.name`, gguf.str(metadataString(donorMetadata[donorIndex]!, Keys.GENERAL_NAME) ?? donor.ref));
    if (HUB_ID.test(donor.ref)) {
      out.set(`general.base_model.${i}.organization`, gguf.str(donor.ref.split("/")[0]!));
      out.set(`general.base_model.${i}.repo_url`, gguf.str(`https://huggingface.co/${donor.ref}`));
    }
  });
  if (plan.config.method === "linear" && plan.config.dtype) out.set(Keys.GENERAL_FILE_TYPE, gguf.u32(FILE_TYPE[plan.config.dtype]));
  out.set("dusk.merge.config", gguf.str(plan.config.yaml));
  if (metadataNumber(out, blockCountKey) === undefined) out.set(blockCountKey, gguf.u32(layers));
  return out;
}

/** The default name of a merged model, after its base model's name. */
export function mergeTitle(plan: MergePlan, baseName: string): string {
  return plan.config.method === "linear" ? `${baseName} (linear merge of ${plan.config.models.length} models)` : `${baseName} (${plan.layerMap.length}-layer merge)`;
}

/** Splits tensors (in order) into shards of at most `maxBytes` of data each (at least one tensor per shard). */
export function shardTensors<T extends { bytes: number }>(tensors: readonly T[], maxBytes: number | undefined): T[][] {
  if (!maxBytes) return [[...tensors]];
  const shards: T[][] = [[]];
  let size = 0;
  for (const tensor of tensors) {
    const current = shards.at(-1)!;
    if (current.length > 0 && size + tensor.bytes > maxBytes) {
      shards.push([tensor]);
      size = tensor.bytes;
    } else {
      current.push(tensor);
      size += tensor.bytes;
    }
  }
  return shards;
}
