// Planning a merge: from a configuration and what each donor model holds (names, types, shapes; no data), the list
// of output tensors with where each comes from and how it is carried. Pure data: `--dry-run` prints it and
// execute.ts carries it out. Planning does no I/O. This file plans slice merges (passthrough) and dispatches
// linear merges to plan-linear.ts; the shared types live in plan-common.ts.
import { parseLayerIndex } from "../arch/index.js";
import type { TensorInfo } from "../formats/index.js";
import type { MergeConfig, PassthroughConfig } from "./config.js";
import { MergeConfigError } from "./errors.js";
import { FLOAT_DTYPES, checkDonors, outputName, outputType, type Donor, type MergePlan, type OutputFormat, type TensorStep } from "./plan-common.js";
import { planLinear } from "./plan-linear.js";

export { checkDonors, contributingDonors, type Donor, type MergePlan, type MixTerm, type OutputFormat, type TensorStep } from "./plan-common.js";
export { planLinear } from "./plan-linear.js";

/**
 * Plans a merge of either method; throws before anything is written when the configuration and the donors do not
 * fit together.
 */
export function planMerge(config: MergeConfig, donors: readonly Donor[], format: OutputFormat): MergePlan {
  return config.method === "linear" ? planLinear(config, donors, format) : planPassthrough(config, donors, format);
}

/**
 * Plans a passthrough merge: output layers are the configured slices in order; embeddings, final norm and output
 * head come from the first slice's model. Checks ranges, donors and formats; throws before anything is written.
 */
export function planPassthrough(config: PassthroughConfig, donors: readonly Donor[], format: OutputFormat): MergePlan {
  const byRef = new Map(donors.map((donor, index) => [donor.ref, index]));
  const layerMap: { donor: number; layer: number }[] = [];
  config.slices.forEach((slice, index) => {
    const donorIndex = byRef.get(slice.model);
    if (donorIndex === undefined) throw new MergeConfigError(`slice ${index} names model "${slice.model}" which was not opened`);
    const donor = donors[donorIndex]!;
    if (slice.end > donor.layers) {
      throw new MergeConfigError(`expected slice ${index} [${slice.start}, ${slice.end}) within the ${donor.layers} layers of ${slice.model} but it ends at ${slice.end}`, "layer ranges are half-open: [0, 24) is layers 0..23; the end may be at most the layer count");
    }
    for (let layer = slice.start; layer < slice.end; layer++) layerMap.push({ donor: donorIndex, layer });
  });
  checkDonors([...new Set(layerMap.map((entry) => entry.donor))].map((index) => donors[index]!));

  const base = layerMap[0]!.donor;
  const baseDonor = donors[base]!;
  const byLayer = (donor: Donor): Map<number, TensorInfo[]> => {
    const map = new Map<number, TensorInfo[]>();
    for (const tensor of donor.tensors) {
      const parsed = parseLayerIndex(tensor.name);
      if (parsed) map.set(parsed.index, [...(map.get(parsed.index) ?? []), tensor]);
    }
    return map;
  };
  const layersOf = donors.map(byLayer);
  const step = (donorIndex: number, tensor: TensorInfo, outputLayer: number | undefined): TensorStep => {
    const donor = donors[donorIndex]!;
    const renamed = outputLayer === undefined ? tensor.name : parseLayerIndex(tensor.name)!.rename(outputLayer);
    const { name, permute } = outputName(renamed, donor.format, format);
    const type = outputType({ source: tensor.name, sourceType: tensor.type }, donor.format, format, config.dtype);
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    const bytes = FLOAT_DTYPES[type] && type !== tensor.type ? elements * FLOAT_DTYPES[type].bytes : tensor.byteLength;
    return {
      output: name,
      donor: donorIndex,
      source: tensor.name,
      sourceType: tensor.type,
      type,
      shape: tensor.shape,
      sourceBytes: tensor.byteLength,
      bytes,
      layer: outputLayer,
      permute: permute ? { kind: format === "gguf" ? "to-gguf" : "to-hf", heads: permute === "q" ? donor.heads : donor.kvHeads } : undefined,
      mix: undefined,
    };
  };

  const globals = baseDonor.tensors.filter((tensor) => !parseLayerIndex(tensor.name));
  const firstLayerPosition = baseDonor.tensors.findIndex((tensor) => parseLayerIndex(tensor.name));
  const leading = globals.filter((tensor) => firstLayerPosition < 0 || baseDonor.tensors.indexOf(tensor) < firstLayerPosition);
  const trailing = globals.filter((tensor) => !leading.includes(tensor));
  const tensors: TensorStep[] = leading.map((tensor) => step(base, tensor, undefined));
  layerMap.forEach(({ donor, layer }, outputLayer) => {
    const sourceTensors = layersOf[donor]!.get(layer);
    if (!sourceTensors?.length) throw new MergeConfigError(`expected tensors for layer ${layer} in ${donors[donor]!.ref} but found none`);
    for (const tensor of sourceTensors) tensors.push(step(donor, tensor, outputLayer));
  });
  for (const tensor of trailing) tensors.push(step(base, tensor, undefined));
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.output)) throw new MergeConfigError(`the plan writes tensor "${t.output}" twice`);
    names.add(t.output);
  }
  return { config, format, donors, layerMap, tensors, totalBytes: tensors.reduce((sum, t) => sum + t.bytes, 0) };
}

/** The plan as rows for `--dry-run`: output tensor ← donor (or weighted donors), source tensor, type, bytes. */
export function planRows(plan: MergePlan): string[][] {
  const from = (t: TensorStep): string => (t.mix ? t.mix.map((term) => `${formatWeight(term.weight)}×${plan.donors[term.donor]!.ref}`).join(" + ") : plan.donors[t.donor]!.ref);
  return plan.tensors.map((t) => [t.output, "←", from(t), t.source, t.sourceType === t.type ? t.type : `${t.sourceType}→${t.type}`, String(t.bytes), t.permute ? `rope ${t.permute.kind}` : ""]);
}

/** A coefficient as people read it: up to 6 significant digits. */
export function formatWeight(weight: number): string {
  return String(Number(weight.toPrecision(6)));
}
