// Tests of file selection: quantization tokens, split GGUFs, defaults, include globs and companions.
import { describe, expect, it } from "vitest";
import { AmbiguousSelectionError, HubNotFoundError, NoMatchingFilesError } from "./errors.js";
import { closeMatches, globToRegExp, hasQuantization, listQuantizations, selectFiles, splitPart } from "./select.js";

/** A listing shaped like a popular GGUF repository. */
const ggufRepo = [
  "README.md",
  "Model-Q4_K_M.gguf",
  "Model-Q4_K_L.gguf",
  "Model-Q4_K_S.gguf",
  "Model-IQ4_XS.gguf",
  "Model-Q8_0.gguf",
  "Model-Q4_0_4_4.gguf",
  "Model-f16/Model-f16-00001-of-00002.gguf",
  "Model-f16/Model-f16-00002-of-00002.gguf",
  "mmproj-Model-f16.gguf",
];

/** A listing shaped like a transformers checkpoint. */
const checkpointRepo = [
  ".gitattributes",
  "README.md",
  "config.json",
  "generation_config.json",
  "model-00001-of-00002.safetensors",
  "model-00002-of-00002.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "special_tokens_map.json",
  "tokenizer.json",
  "tokenizer.model",
  "tokenizer_config.json",
  "original/consolidated.00.pth",
];

describe("hasQuantization", () => {
  it("matches whole tokens only, case-insensitively", () => {
    expect(hasQuantization("solar-10.7b-instruct-v1.0.Q4_K_M.gguf", "Q4_K_M")).toBe(true);
    expect(hasQuantization("x-q4_k_m-00001-of-00002.gguf", "Q4_K_M")).toBe(true);
    expect(hasQuantization("Q8_0/x.gguf", "q8_0")).toBe(true);
    expect(hasQuantization("x-Q4_K_M_L.gguf", "Q4_K_M")).toBe(false);
    expect(hasQuantization("x-Q4_K_M.gguf", "Q4_K")).toBe(false);
    expect(hasQuantization("x-IQ4_XS.gguf", "Q4_XS")).toBe(false);
    expect(hasQuantization("x-BF16.gguf", "F16")).toBe(false);
    expect(hasQuantization("x-Q4_0_4_4.gguf", "Q4_0")).toBe(false);
  });
});

describe("splitPart and listQuantizations", () => {
  it("reads gguf-split names and collects quantization tokens", () => {
    expect(splitPart("a/Model-f16-00002-of-00005.gguf")).toEqual({ base: "a/Model-f16", index: 2, count: 5 });
    expect(splitPart("Model-f16.gguf")).toBeUndefined();
    expect(listQuantizations(ggufRepo)).toEqual(["F16", "IQ4_XS", "Q4_0_4_4", "Q4_K_L", "Q4_K_M", "Q4_K_S", "Q8_0"]);
  });
});

describe("selectFiles", () => {
  it("picks one quantization, and every part of a split one (never the mmproj)", () => {
    expect(selectFiles("o/n", ggufRepo, { selector: { kind: "quant", quant: "Q4_K_M" } })).toEqual(["Model-Q4_K_M.gguf"]);
    expect(selectFiles("o/n", ggufRepo, { selector: { kind: "quant", quant: "F16" } })).toEqual([
      "Model-f16/Model-f16-00001-of-00002.gguf",
      "Model-f16/Model-f16-00002-of-00002.gguf",
    ]);
  });

  it("names what exists when a quantization matches nothing", () => {
    expect(() => selectFiles("o/n", ggufRepo, { selector: { kind: "quant", quant: "Q4_0" } })).toThrow(NoMatchingFilesError);
    expect(() => selectFiles("o/n", ggufRepo, { selector: { kind: "quant", quant: "Q4_0" } })).toThrow(/Q4_0_4_4, Q4_K_L, Q4_K_M/);
  });

  it("refuses to guess between two models of one quantization", () => {
    expect(() => selectFiles("o/n", ["a.Q4_K_M.gguf", "b.Q4_K_M.gguf"], { selector: { kind: "quant", quant: "Q4_K_M" } })).toThrow(AmbiguousSelectionError);
  });

  it("requires every part of a split model", () => {
    expect(() => selectFiles("o/n", ["m-00001-of-00003.gguf", "m-00003-of-00003.gguf"], { selector: { kind: "file", path: "m-00001-of-00003.gguf" } })).toThrow(
      /m-00002-of-00003\.gguf/,
    );
  });

  it("finds exact files, also by a unique base name, and suggests close names otherwise", () => {
    expect(selectFiles("o/n", ggufRepo, { selector: { kind: "file", path: "model-q8_0.gguf" } })).toEqual(["Model-Q8_0.gguf"]);
    expect(selectFiles("o/n", ggufRepo, { selector: { kind: "file", path: "Model-f16-00002-of-00002.gguf" } })).toHaveLength(2);
    try {
      selectFiles("o/n", ggufRepo, { selector: { kind: "file", path: "Model-Q5_K_M.gguf" } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(HubNotFoundError);
      expect((error as HubNotFoundError).closeMatches).toContain("Model-Q4_K_M.gguf");
    }
  });

  it("defaults to the only GGUF, else Q4_K_M, else refuses", () => {
    expect(selectFiles("o/n", ["README.md", "only.Q2_K.gguf", "mmproj-f16.gguf"])).toEqual(["only.Q2_K.gguf"]);
    expect(selectFiles("o/n", ggufRepo)).toEqual(["Model-Q4_K_M.gguf"]);
    expect(() => selectFiles("o/n", ["a.Q2_K.gguf", "a.Q8_0.gguf"])).toThrow(AmbiguousSelectionError);
  });

  it("defaults to safetensors with config and tokenizer files for a checkpoint", () => {
    expect(selectFiles("o/n", checkpointRepo)).toEqual([
      "config.json",
      "generation_config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "special_tokens_map.json",
      "tokenizer.json",
      "tokenizer.model",
      "tokenizer_config.json",
    ]);
    expect(selectFiles("o/n", checkpointRepo, { include: ["*.safetensors"], companions: false })).toEqual([
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
    ]);
    expect(() => selectFiles("o/n", ["README.md", "model.bin"])).toThrow(NoMatchingFilesError);
  });

  it("adds --include matches to a selector and refuses globs that match nothing", () => {
    expect(selectFiles("o/n", ggufRepo, { selector: { kind: "quant", quant: "Q8_0" }, include: ["README*"] })).toEqual(["Model-Q8_0.gguf", "README.md"]);
    expect(() => selectFiles("o/n", ggufRepo, { include: ["*.safetensors"] })).toThrow(/--include '\*\.safetensors'/);
  });
});

describe("globToRegExp", () => {
  it("follows fnmatch: * crosses folders, ? is one character, [!...] negates, a trailing / means the folder", () => {
    expect(globToRegExp("*.gguf").test("dir/x.gguf")).toBe(true);
    expect(globToRegExp("model-0000?-of-00002.safetensors").test("model-00001-of-00002.safetensors")).toBe(true);
    expect(globToRegExp("[!a]*.json").test("config.json")).toBe(true);
    expect(globToRegExp("[!c]*.json").test("config.json")).toBe(false);
    expect(globToRegExp("original/").test("original/consolidated.00.pth")).toBe(true);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });
});

describe("closeMatches", () => {
  it("ranks names by edit distance and leaves out unrelated ones", () => {
    expect(closeMatches("modle.Q4_K_M.gguf", ["model.Q4_K_M.gguf", "model.Q8_0.gguf", "README.md"])).toEqual(["model.Q4_K_M.gguf", "model.Q8_0.gguf"]);
  });
});
