// Checks for merge outputs, independent of the planner: every output tensor's bytes against the donor tensor it
// must come from (by a layer map the test states), metadata values compared by their encoded bytes, and folder
// listings (nothing left behind).
import { readdir } from "node:fs/promises";
import { expect } from "vitest";
import { ByteSink, openGguf, type GgufMetadata, type GgufModel, type GgufValue } from "../../src/formats/index.js";

/** Output layer i comes from donor `layerMap[i][0]`, layer `layerMap[i][1]`. */
export type LayerMap = readonly (readonly [donor: number, layer: number])[];

/** The SOLAR layer map for n layers and m: [0, n-m) then [m, n). */
export function solarMap(n: number, m: number, donor = 0): LayerMap {
  return [...Array.from({ length: n - m }, (_, i) => [donor, i] as const), ...Array.from({ length: n - m }, (_, i) => [donor, m + i] as const)];
}

/** The layer map of half-open slices [start, end) of donors, stacked in order. */
export function slicesMap(slices: readonly (readonly [donor: number, start: number, end: number])[]): LayerMap {
  return slices.flatMap(([donor, start, end]) => Array.from({ length: end - start }, (_, i) => [donor, start + i] as const));
}

const LAYER = /^blk\.(\d+)\.(.+)$/;

/** The encoded bytes of a metadata value (type tag and payload), to compare values byte for byte. */
export function valueBytes(value: GgufValue | undefined): Uint8Array {
  if (!value) return new Uint8Array();
  const sink = new ByteSink();
  sink.value(value);
  return sink.result();
}

/** Asserts that two metadata values are byte-identical once encoded. */
export function expectSameValue(actual: GgufValue | undefined, expected: GgufValue | undefined, key: string): void {
  expect(actual, `metadata ${key}`).toBeDefined();
  expect(Buffer.from(valueBytes(actual)).equals(Buffer.from(valueBytes(expected))), `metadata ${key} differs`).toBe(true);
}

/** The tokenizer.* keys of a model's metadata. */
export function tokenizerKeys(metadata: GgufMetadata): string[] {
  return [...metadata.keys()].filter((key) => key.startsWith("tokenizer."));
}

/** Options of {@link expectStack}. */
export interface StackCheck {
  /** The output model (any shard of a split model). */
  readonly output: string;
  /** Donor model paths, indexed by the layer map. */
  readonly donors: readonly string[];
  readonly layerMap: LayerMap;
  /** Donor whose global tensors (embeddings, final norm, output head) the output holds. Defaults to 0. */
  readonly globalsFrom?: number;
}

/**
 * Asserts that the output holds exactly: the globals of one donor and, for each output layer i, every tensor of
 * donor layer layerMap[i] renamed to layer i, with the same type, dimensions and bytes; layers in ascending order.
 * Returns the output's metadata.
 */
export async function expectStack({ output, donors, layerMap, globalsFrom = 0 }: StackCheck): Promise<GgufMetadata> {
  const model = await openGguf(output);
  const sources = await Promise.all(donors.map((path) => openGguf(path)));
  try {
    const perLayer = sources[globalsFrom]!.tensors.filter((t) => t.name.startsWith("blk.0.")).map((t) => t.name.slice("blk.0.".length));
    const globals = sources[globalsFrom]!.tensors.filter((t) => !LAYER.test(t.name)).map((t) => t.name);
    expect(model.tensors).toHaveLength(globals.length + layerMap.length * perLayer.length);
    let lastLayer = -1;
    for (const tensor of model.tensors) {
      const match = LAYER.exec(tensor.name);
      let from: GgufModel;
      let sourceName: string;
      if (match) {
        const layer = Number(match[1]);
        expect(layer, `${tensor.name} comes after layer ${lastLayer}`).toBeGreaterThanOrEqual(lastLayer);
        lastLayer = layer;
        const [donor, sourceLayer] = layerMap[layer] ?? [-1, -1];
        expect(donor, `output layer ${layer} is in the layer map`).toBeGreaterThanOrEqual(0);
        from = sources[donor]!;
        sourceName = `blk.${sourceLayer}.${match[2]}`;
      } else {
        from = sources[globalsFrom]!;
        sourceName = tensor.name;
      }
      const source = from.tensor(sourceName);
      expect(source, `${tensor.name} ← ${sourceName}`).toBeDefined();
      expect(tensor.type).toBe(source!.type);
      expect(tensor.dims).toEqual(source!.dims);
      const [a, b] = await Promise.all([model.readTensor(tensor.name), from.readTensor(sourceName)]);
      expect(Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length)), `${tensor.name} bytes equal ${sourceName}`).toBe(true);
    }
    for (let layer = 0; layer < layerMap.length; layer++) {
      for (const suffix of perLayer) expect(model.tensor(`blk.${layer}.${suffix}`), `blk.${layer}.${suffix}`).toBeDefined();
    }
    return model.metadata;
  } finally {
    await Promise.all([model, ...sources].map((source) => source.close()));
  }
}

/** The names in a folder, sorted (to show that nothing was added or left behind). */
export async function listing(folder: string): Promise<string[]> {
  return (await readdir(folder)).sort();
}
