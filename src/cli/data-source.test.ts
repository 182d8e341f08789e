// Picking a split's files from a Hub dataset's data files by their names.
import { describe, expect, it } from "vitest";
import { pickSplit, splitOfFile } from "./data-source.js";

describe("splitOfFile", () => {
  it("names the split of the Hub's usual file names", () => {
    expect(splitOfFile("data/train-00000-of-00003.parquet")).toBe("train");
    expect(splitOfFile("data/train_prefs-00000-of-00001.parquet")).toBe("train_prefs");
    expect(splitOfFile("orca_rlhf.jsonl")).toBe("orca_rlhf");
    expect(splitOfFile("default/test/0000.parquet")).toBe("0000");
  });
});

describe("pickSplit", () => {
  const ultrafeedback = ["data/train_prefs-00000-of-00001.parquet", "data/test_prefs-00000-of-00001.parquet", "data/train_sft-00000-of-00001.parquet"];
  it("takes the files named for the split, or the split's folder", () => {
    expect(pickSplit(["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet", "data/test-00000-of-00001.parquet"], undefined, "x")).toEqual(["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]);
    expect(pickSplit(ultrafeedback, "train_prefs", "x")).toEqual(["data/train_prefs-00000-of-00001.parquet"]);
    expect(pickSplit(["default/train/0000.parquet", "default/test/0000.parquet"], "test", "x")).toEqual(["default/test/0000.parquet"]);
  });
  it("takes every file of a dataset with one unnamed split, and lists the splits when the asked one is missing", () => {
    expect(pickSplit(["orca_rlhf.jsonl"], undefined, "Intel/orca_dpo_pairs")).toEqual(["orca_rlhf.jsonl"]);
    expect(() => pickSplit(ultrafeedback, undefined, "HuggingFaceH4/ultrafeedback_binarized")).toThrow(/expected a "train" split in HuggingFaceH4\/ultrafeedback_binarized but its data files name test_prefs, train_prefs, train_sft/);
    expect(() => pickSplit(["orca_rlhf.jsonl"], "test", "Intel/orca_dpo_pairs")).toThrow(/expected a "test" split in Intel\/orca_dpo_pairs but its data files name orca_rlhf/);
  });
});
