// Merge configurations: mergekit passthrough YAML (the SOLAR config, a Goliath-style interleave, dtype), the refusals
// users meet first (each naming what is supported), `--layers` lists and the `--m` bounds of the SOLAR recipe.
import { describe, expect, it } from "vitest";
import { SUPPORTED_METHODS, parseLayerList, parseMergeYaml, upscaleConfig, type MergeConfig, type PassthroughConfig } from "./config.js";
import { MergeConfigError } from "./errors.js";

/** Runs `action` and returns the MergeConfigError it throws (failing the test when it throws nothing else). */
function configError(action: () => unknown): MergeConfigError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MergeConfigError);
    return error as MergeConfigError;
  }
  throw new Error("expected a MergeConfigError but nothing was thrown");
}

/** Narrows a parsed configuration to passthrough (linear configurations are tested in linear.test.ts). */
function passthrough(config: MergeConfig): PassthroughConfig {
  if (config.method !== "passthrough") throw new Error(`expected a passthrough configuration but got ${config.method}`);
  return config;
}

const SOLAR_YAML = `
slices:
  - sources:
      - model: mistralai/Mistral-7B-v0.1
        layer_range: [0, 24]
  - sources:
      - model: mistralai/Mistral-7B-v0.1
        layer_range: [8, 32]
merge_method: passthrough
dtype: bfloat16
`;

/** Goliath-120B's recipe shape: two donors, overlapping slices taken in turn. */
const GOLIATH_YAML = `
slices:
  - sources:
    - model: Xwin-LM/Xwin-LM-70B-V0.1
      layer_range: [0, 16]
  - sources:
    - model: Sao10K/Euryale-1.3-L2-70B
      layer_range: [8, 24]
  - sources:
    - model: Xwin-LM/Xwin-LM-70B-V0.1
      layer_range: [17, 32]
  - sources:
    - model: Sao10K/Euryale-1.3-L2-70B
      layer_range: [25, 40]
merge_method: passthrough
dtype: float16
`;

/** The same configuration with its slices spelled as mergekit YAML by hand. */
function yamlOf(slices: readonly { model: string; range: string }[], extra = "merge_method: passthrough"): string {
  return ["slices:", ...slices.flatMap((s) => ["  - sources:", `      - model: ${s.model}`, `        layer_range: ${s.range}`]), extra, ""].join("\n");
}

describe("parseMergeYaml", () => {
  it("reads the SOLAR configuration: two slices of one model, and the dtype", () => {
    const config = passthrough(parseMergeYaml(SOLAR_YAML));
    expect(config.method).toBe("passthrough");
    expect(config.dtype).toBe("bfloat16");
    expect(config.slices).toEqual([
      { model: "mistralai/Mistral-7B-v0.1", start: 0, end: 24 },
      { model: "mistralai/Mistral-7B-v0.1", start: 8, end: 32 },
    ]);
  });

  it("reads a Goliath-style interleave of two donors in slice order", () => {
    const config = passthrough(parseMergeYaml(GOLIATH_YAML));
    expect(config.dtype).toBe("float16");
    expect(config.slices.map((s) => [s.model.split("/")[0], s.start, s.end])).toEqual([
      ["Xwin-LM", 0, 16],
      ["Sao10K", 8, 24],
      ["Xwin-LM", 17, 32],
      ["Sao10K", 25, 40],
    ]);
    expect(config.slices.reduce((sum, s) => sum + s.end - s.start, 0)).toBe(16 + 16 + 15 + 15);
  });

  it("leaves dtype undefined when absent and accepts each mergekit float dtype", () => {
    expect(parseMergeYaml(yamlOf([{ model: "a.gguf", range: "[0, 4]" }])).dtype).toBeUndefined();
    for (const dtype of ["float32", "float16", "bfloat16"] as const) {
      expect(parseMergeYaml(yamlOf([{ model: "a.gguf", range: "[0, 4]" }], `merge_method: passthrough\ndtype: ${dtype}`)).dtype).toBe(dtype);
    }
  });

  it("refuses an unknown dtype, naming the field", () => {
    const error = configError(() => parseMergeYaml(yamlOf([{ model: "a.gguf", range: "[0, 4]" }], "merge_method: passthrough\ndtype: float8")));
    expect(error.message).toMatch(/dtype/);
    expect(error.message).toMatch(/float32|bfloat16/);
  });

  it("accepts the optional base_model and name keys", () => {
    const config = passthrough(parseMergeYaml(yamlOf([{ model: "a.gguf", range: "[0, 4]" }], "merge_method: passthrough\nbase_model: a.gguf\nname: my-merge")));
    expect(config.slices).toEqual([{ model: "a.gguf", start: 0, end: 4 }]);
  });

  it("records the configuration as YAML that reads back to the same slices and dtype", () => {
    for (const text of [SOLAR_YAML, GOLIATH_YAML, yamlOf([{ model: '"dir with: colon/model.gguf"', range: "[2, 6]" }])]) {
      const config = passthrough(parseMergeYaml(text));
      const again = passthrough(parseMergeYaml(config.yaml));
      expect(again.slices).toEqual(config.slices);
      expect(again.dtype).toBe(config.dtype);
      expect(config.yaml).toMatch(/merge_method: passthrough/);
    }
  });

  it("refuses an unknown top-level key and lists the supported keys", () => {
    const error = configError(() => parseMergeYaml(`${SOLAR_YAML}tokenizer_source: union\n`));
    expect(error.message).toMatch(/"tokenizer_source"/);
    for (const key of ["merge_method", "slices", "dtype", "base_model", "name"]) expect(error.message).toContain(key);
    expect(error.hint).toBeTruthy();
  });

  it("refuses an unknown key inside a source", () => {
    const error = configError(() => parseMergeYaml(yamlOf([{ model: "a.gguf", range: "[0, 4]\n        weight: 0.5" }])));
    expect(error.message).toMatch(/"weight"/);
    expect(error.message).toMatch(/layer_range/);
  });

  it("refuses an unknown merge_method and lists the supported methods", () => {
    for (const method of ["slerp", "ties", "task_arithmetic"]) {
      const error = configError(() => parseMergeYaml(yamlOf([{ model: "a.gguf", range: "[0, 4]" }], `merge_method: ${method}`)));
      expect(error.message).toContain(`"${method}"`);
      for (const supported of SUPPORTED_METHODS) expect(error.message).toContain(supported);
    }
  });

  it("refuses `models:` (a weighted-merge layout) and points at slices", () => {
    const error = configError(() => parseMergeYaml("models:\n  - model: a.gguf\n  - model: b.gguf\nmerge_method: passthrough\n"));
    expect(error.message).toMatch(/slices/);
    expect(error.message).toMatch(/models/);
    expect(error.hint).toMatch(/layer_range/);
  });

  it("refuses two sources in one slice, naming the slice", () => {
    const text = "slices:\n  - sources:\n      - model: a.gguf\n        layer_range: [0, 4]\n  - sources:\n      - model: a.gguf\n        layer_range: [0, 4]\n      - model: b.gguf\n        layer_range: [0, 4]\nmerge_method: passthrough\n";
    const error = configError(() => parseMergeYaml(text));
    expect(error.message).toMatch(/one source/);
    expect(error.message).toMatch(/slice 1/);
    expect(error.message).toMatch(/got 2/);
  });

  it("refuses an empty and a reversed layer range", () => {
    const empty = configError(() => parseMergeYaml(yamlOf([{ model: "a.gguf", range: "[0, 4]" }, { model: "a.gguf", range: "[5, 5]" }])));
    expect(empty.message).toMatch(/slice 1/);
    expect(empty.message).toContain("[5, 5)");
    const reversed = configError(() => parseMergeYaml(yamlOf([{ model: "a.gguf", range: "[10, 5]" }])));
    expect(reversed.message).toMatch(/slice 0/);
    expect(reversed.message).toContain("[10, 5)");
  });

  it("refuses non-integer, negative and malformed layer ranges, naming the field", () => {
    for (const range of ["[0, 2.5]", "[-1, 4]", "[0]", "[0, 4, 8]", '["0", "4"]', "0-4"]) {
      const error = configError(() => parseMergeYaml(yamlOf([{ model: "a.gguf", range }])));
      expect(error.message, range).toMatch(/layer_range/);
    }
  });

  it("refuses a configuration without slices, with an empty slice list, or that is not YAML", () => {
    expect(configError(() => parseMergeYaml("merge_method: passthrough\n")).message).toMatch(/slices/);
    expect(configError(() => parseMergeYaml("slices: []\nmerge_method: passthrough\n")).message).toMatch(/slices/);
    expect(configError(() => parseMergeYaml("slices: [\n  - sources: {")).message).toMatch(/YAML/);
    expect(configError(() => parseMergeYaml("just a string")).message).toMatch(/configuration/);
  });
});

describe("parseLayerList (--layers)", () => {
  it("reads the SOLAR slices", () => {
    expect(parseLayerList("m.gguf", "0-24,8-32")).toEqual([
      { model: "m.gguf", start: 0, end: 24 },
      { model: "m.gguf", start: 8, end: 32 },
    ]);
  });

  it("reads three overlapping slices, with spaces", () => {
    expect(parseLayerList("m.gguf", "0-16, 8-24 ,16-32").map((s) => [s.start, s.end])).toEqual([
      [0, 16],
      [8, 24],
      [16, 32],
    ]);
  });

  it("refuses text that is not a list of ranges, quoting the bad part", () => {
    for (const [text, part] of [
      ["0-24;8-32", "0-24;8-32"],
      ["0-24,x", "x"],
      ["0-", "0-"],
      ["", ""],
      ["0-24,,8-32", ""],
      ["-3-5", "-3-5"],
      ["1.5-4", "1.5-4"],
    ] as const) {
      const error = configError(() => parseLayerList("m.gguf", text));
      expect(error.message, text).toContain(`"${part}"`);
      expect(error.message).toMatch(/0-24,8-32/);
    }
  });
});

describe("upscaleConfig (--m, --layers)", () => {
  it("gives [0, n-m) then [m, n) for m = 8 on 32 layers (48 layers)", () => {
    const config = upscaleConfig({ model: "base.gguf", layers: 32, m: 8 });
    expect(config.slices).toEqual([
      { model: "base.gguf", start: 0, end: 24 },
      { model: "base.gguf", start: 8, end: 32 },
    ]);
    expect(config.slices.reduce((sum, s) => sum + s.end - s.start, 0)).toBe(2 * (32 - 8));
    expect(passthrough(parseMergeYaml(config.yaml)).slices).toEqual(config.slices);
  });

  it("accepts every m from 1 to n - 1", () => {
    for (let m = 1; m < 6; m++) {
      const config = upscaleConfig({ model: "base.gguf", layers: 6, m });
      expect(config.slices.map((s) => [s.start, s.end])).toEqual([
        [0, 6 - m],
        [m, 6],
      ]);
    }
  });

  it("refuses m = 0, m = n, m > n, negative and fractional m, naming the allowed range", () => {
    for (const m of [0, 32, 40, -8, 2.5]) {
      const error = configError(() => upscaleConfig({ model: "base.gguf", layers: 32, m }));
      expect(error.message, String(m)).toContain("between 1 and 31");
      expect(error.message).toContain(`got ${m}`);
    }
  });

  it("asks for --m or --layers when given neither", () => {
    expect(configError(() => upscaleConfig({ model: "base.gguf", layers: 32 })).message).toMatch(/--m.*--layers/);
  });

  it("uses --layers instead of m, and refuses empty or reversed ranges in it", () => {
    expect(upscaleConfig({ model: "b.gguf", layers: 32, layerList: "0-16,8-24,16-32", dtype: "float16" })).toMatchObject({
      dtype: "float16",
      slices: [
        { start: 0, end: 16 },
        { start: 8, end: 24 },
        { start: 16, end: 32 },
      ],
    });
    expect(configError(() => upscaleConfig({ model: "b.gguf", layers: 32, layerList: "0-8,5-5" })).message).toContain("[5, 5)");
    expect(configError(() => upscaleConfig({ model: "b.gguf", layers: 32, layerList: "24-8" })).message).toContain("[24, 8)");
  });
});
