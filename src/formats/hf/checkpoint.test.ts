// Tests of Hugging Face checkpoint folders: writing single and sharded folders, reading them back as one source,
// byte-identical round trips, and the errors for configs and indexes that disagree with their shards.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileNotFoundError, InvalidArgumentError } from "../../common/index.js";
import { UnknownSafetensorsDtypeError, saveSafetensors } from "../safetensors/index.js";
import type { TensorInfo, TensorSource } from "../tensor.js";
import { openCheckpoint } from "./checkpoint.js";
import {
  CheckpointConfigError,
  CheckpointDuplicateTensorError,
  CheckpointIndexError,
  CheckpointJsonError,
  CheckpointMissingConfigError,
  CheckpointMissingWeightsError,
  CheckpointNotAFolderError,
  CheckpointShardMissingError,
  CheckpointTensorMissingError,
  CheckpointTensorNotFoundError,
  CheckpointTotalSizeError,
  CheckpointUnindexedTensorError,
} from "./errors.js";
import { planShards, writeCheckpoint } from "./write.js";

/** A tiny Llama config: 2 layers, hidden 4, 2 heads, vocabulary 6. */
const config = {
  architectures: ["LlamaForCausalLM"],
  model_type: "llama",
  num_hidden_layers: 2,
  hidden_size: 4,
  intermediate_size: 8,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  vocab_size: 6,
  max_position_embeddings: 32,
  tie_word_embeddings: false,
  torch_dtype: "float32",
  custom_field: { kept: [1, "two"] },
};

/** name, dtype, shape, bytes per element. */
type Spec = readonly [string, string, readonly number[], number];

/** An in-memory tensor source with deterministic bytes. */
function memorySource(specs: readonly Spec[]): TensorSource & { data: Map<string, Uint8Array> } {
  const data = new Map<string, Uint8Array>();
  const tensors: TensorInfo[] = specs.map(([name, type, shape, bytesPerElement], k) => {
    const byteLength = shape.reduce((a, b) => a * b, 1) * bytesPerElement;
    data.set(name, Uint8Array.from({ length: byteLength }, (_, i) => (i * 13 + k * 7) & 0xff));
    return { name, type, shape, byteLength };
  });
  return {
    data,
    tensors,
    tensor: (name) => tensors.find((t) => t.name === name),
    async *streamTensor(name, { chunkBytes = 5 } = {}) {
      const bytes = data.get(name) ?? new Uint8Array();
      for (let i = 0; i < bytes.length; i += chunkBytes) {
        await new Promise((resolve) => setImmediate(resolve));
        yield bytes.slice(i, i + chunkBytes);
      }
    },
    readTensor: (name) => Promise.resolve(data.get(name) ?? new Uint8Array()),
    close: () => Promise.resolve(),
  };
}

const llamaTensors: readonly Spec[] = [
  ["model.embed_tokens.weight", "F32", [6, 4], 4],
  ...[0, 1].flatMap((i): Spec[] => [
    [`model.layers.${i}.input_layernorm.weight`, "F32", [4], 4],
    [`model.layers.${i}.self_attn.q_proj.weight`, "F16", [4, 4], 2],
    [`model.layers.${i}.self_attn.k_proj.weight`, "F16", [2, 4], 2],
    [`model.layers.${i}.mlp.down_proj.weight`, "BF16", [4, 8], 2],
  ]),
  ["model.norm.weight", "F32", [4], 4],
  ["lm_head.weight", "F32", [6, 4], 4],
];

let root: string;
let tokenizerFolder: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "dusk-hf-"));
  tokenizerFolder = join(root, "tokenizer-source");
  await mkdir(tokenizerFolder);
  await writeFile(join(tokenizerFolder, "tokenizer.json"), '{"model": {"type": "BPE"}}');
  await writeFile(join(tokenizerFolder, "tokenizer_config.json"), '{"chat_template": "{{ messages }}"}');
  await writeFile(join(tokenizerFolder, "generation_config.json"), '{"bos_token_id": 1, "eos_token_id": 2}');
  await writeFile(join(tokenizerFolder, "unrelated.txt"), "not copied");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("planShards", () => {
  const t = (name: string, byteLength: number): TensorInfo => ({ name, type: "U8", shape: [byteLength], byteLength });
  it("fills shards greedily in order and gives an oversized tensor its own shard", () => {
    const plan = planShards([t("a", 4), t("b", 4), t("c", 3), t("big", 20), t("d", 1)], 10);
    // huggingface_hub's order: the oversized tensor's shard is added at once, before the shard being filled.
    expect(plan.map((s) => [s.file, s.tensors.map((x) => x.name), s.bytes])).toEqual([
      ["model-00001-of-00003.safetensors", ["a", "b"], 8],
      ["model-00002-of-00003.safetensors", ["big"], 20],
      ["model-00003-of-00003.safetensors", ["c", "d"], 4],
    ]);
  });
  it("names a single shard model.safetensors, even when empty", () => {
    expect(planShards([t("a", 4)], 10).map((s) => s.file)).toEqual(["model.safetensors"]);
    expect(planShards([], 10)).toEqual([{ file: "model.safetensors", tensors: [], bytes: 0 }]);
  });
  it("refuses a limit that is not a positive integer", () => {
    expect(() => planShards([], 0)).toThrow(InvalidArgumentError);
  });
});

describe("writeCheckpoint and openCheckpoint", () => {
  it("writes and reads a single-file checkpoint with tokenizer and generation files", async () => {
    const folder = join(root, "single");
    const source = memorySource(llamaTensors);
    const written = await writeCheckpoint(folder, { config, source, copyFrom: tokenizerFolder });
    expect(written.files).toEqual(["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]);
    expect(await readFile(join(folder, "tokenizer.json"), "utf8")).toBe('{"model": {"type": "BPE"}}');
    const configText = await readFile(join(folder, "config.json"), "utf8");
    expect(configText.startsWith('{\n  "architectures": [\n    "LlamaForCausalLM"\n  ],\n  "custom_field": {')).toBe(true);
    expect(configText.endsWith("}\n")).toBe(true);

    const checkpoint = await openCheckpoint(folder);
    try {
      expect(checkpoint.folder).toBe(folder);
      expect(checkpoint.config).toEqual(config);
      expect(checkpoint.generationConfig).toEqual({ bos_token_id: 1, eos_token_id: 2 });
      expect(checkpoint.tokenizerFiles).toEqual(["tokenizer.json", "tokenizer_config.json"]);
      expect(checkpoint.weightFiles).toEqual(["model.safetensors"]);
      expect(checkpoint.index).toBeUndefined();
      expect(checkpoint.tensors.map((t) => t.name)).toEqual(llamaTensors.map(([name]) => name));
      expect(checkpoint.tensor("model.layers.1.mlp.down_proj.weight")).toMatchObject({ type: "BF16", shape: [4, 8], byteLength: 64, file: "model.safetensors" });
      for (const [name] of llamaTensors) expect(await checkpoint.readTensor(name)).toEqual(source.data.get(name));
      expect(checkpoint.shardOf("lm_head.weight").metadata).toEqual({ format: "pt" });
      expect(await checkpoint.readTokenizerConfig()).toEqual({ chat_template: "{{ messages }}" });
      expect(() => checkpoint.shardOf("nope")).toThrow(CheckpointTensorNotFoundError);
    } finally {
      await checkpoint.close();
    }
  });

  it("writes a sharded checkpoint with an index, reads it as one source, and round-trips it byte for byte", async () => {
    const folder = join(root, "sharded");
    const source = memorySource(llamaTensors);
    const written = await writeCheckpoint(folder, { config, source, maxShardBytes: 120, copyFrom: tokenizerFolder, generationConfig: { bos_token_id: 1, do_sample: false } });
    // Shards of at most 120 bytes: [embed 96 + norm 16], [q 32 + k 16 + down 64], [norm 16 + q 32 + k 16], [down 64 + norm 16], [lm_head 96].
    expect(written.shards.map((s) => s.bytes)).toEqual([112, 112, 64, 80, 96]);
    expect(written.files).toEqual([
      "config.json",
      "generation_config.json",
      "model-00001-of-00005.safetensors",
      "model-00002-of-00005.safetensors",
      "model-00003-of-00005.safetensors",
      "model-00004-of-00005.safetensors",
      "model-00005-of-00005.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    const index = JSON.parse(await readFile(join(folder, "model.safetensors.index.json"), "utf8")) as { metadata: { total_size: number }; weight_map: Record<string, string> };
    const expectedTotal = source.tensors.reduce((sum, t) => sum + t.byteLength, 0);
    expect(index.metadata.total_size).toBe(expectedTotal);
    expect(Object.keys(index.weight_map)).toEqual(llamaTensors.map(([name]) => name).sort());
    expect(index.weight_map["lm_head.weight"]).toBe("model-00005-of-00005.safetensors");

    const checkpoint = await openCheckpoint(folder);
    const copy = join(root, "sharded-copy");
    try {
      expect(checkpoint.generationConfig).toEqual({ bos_token_id: 1, do_sample: false });
      expect(checkpoint.index?.metadata?.total_size).toBe(expectedTotal);
      expect(checkpoint.tensors.map((t) => t.name)).toEqual(llamaTensors.map(([name]) => name));
      expect(checkpoint.totalSize).toBe(expectedTotal);
      expect(new Set(checkpoint.tensors.map((t) => t.file)).size).toBe(5);
      for (const [name] of llamaTensors) expect(await checkpoint.readTensor(name)).toEqual(source.data.get(name));
      await writeCheckpoint(copy, { config: checkpoint.config, source: checkpoint, maxShardBytes: 120, copyFrom: folder, chunkBytes: 3 });
    } finally {
      await checkpoint.close();
    }
    expect(await readdir(copy)).toEqual(await readdir(folder));
    for (const file of await readdir(folder)) {
      expect(Buffer.compare(await readFile(join(copy, file)), await readFile(join(folder, file))), file).toBe(0);
    }
  });

  it("refuses quantized types and bad configs before writing, leaving the destination as it was", async () => {
    const folder = join(root, "refused");
    await mkdir(folder);
    await writeFile(join(folder, "old.txt"), "old");
    const quantized = memorySource([["w", "Q8_0", [32], 1]]);
    await expect(writeCheckpoint(folder, { config, source: quantized })).rejects.toThrow(UnknownSafetensorsDtypeError);
    await expect(writeCheckpoint(folder, { config: { ...config, hidden_size: "4" }, source: memorySource([]) })).rejects.toThrow(
      'expected field "hidden_size" to be a number but found "4"',
    );
    expect(await readdir(folder)).toEqual(["old.txt"]);
    expect((await readdir(root)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });
});

describe("openCheckpoint errors", () => {
  /** A fresh sharded folder (3 shards of 2, 2 and 1 tensors) to damage. */
  async function shardedFolder(name: string): Promise<string> {
    const folder = join(root, name);
    const tensors = [["a", "U8", [4], 1], ["b", "U8", [4], 1], ["c", "U8", [4], 1], ["d", "U8", [4], 1], ["e", "U8", [4], 1]] as const;
    await writeCheckpoint(folder, { config, source: memorySource(tensors), maxShardBytes: 8 });
    return folder;
  }
  const indexPath = (folder: string): string => join(folder, "model.safetensors.index.json");
  async function editIndex(folder: string, edit: (index: { metadata: { total_size: number }; weight_map: Record<string, string> }) => void): Promise<void> {
    const index = JSON.parse(await readFile(indexPath(folder), "utf8")) as { metadata: { total_size: number }; weight_map: Record<string, string> };
    edit(index);
    await writeFile(indexPath(folder), JSON.stringify(index));
  }

  it("names missing folders, files and config", async () => {
    await expect(openCheckpoint(join(root, "absent"))).rejects.toThrow(FileNotFoundError);
    await writeFile(join(root, "file.json"), "{}");
    await expect(openCheckpoint(join(root, "file.json"))).rejects.toThrow(CheckpointNotAFolderError);
    const empty = join(root, "empty");
    await mkdir(empty);
    await expect(openCheckpoint(empty)).rejects.toThrow(CheckpointMissingConfigError);
    await writeFile(join(empty, "config.json"), JSON.stringify(config));
    await writeFile(join(empty, "pytorch_model.bin"), "");
    await expect(openCheckpoint(empty)).rejects.toThrow(CheckpointMissingWeightsError);
    await expect(openCheckpoint(empty)).rejects.toMatchObject({ hint: expect.stringContaining("convert the PyTorch .bin") as unknown });
  });

  it("refuses config.json that is not JSON, has a key twice or lacks Llama fields", async () => {
    const folder = await shardedFolder("bad-config");
    const configPath = join(folder, "config.json");
    await writeFile(configPath, "{ nope");
    await expect(openCheckpoint(folder)).rejects.toThrow(CheckpointJsonError);
    await writeFile(configPath, '{"num_hidden_layers": 2, "num_hidden_layers": 3}');
    await expect(openCheckpoint(folder)).rejects.toThrow('the key "num_hidden_layers" twice in the top level');
    const { num_hidden_layers: _, ...withoutLayers } = config;
    await writeFile(configPath, JSON.stringify(withoutLayers));
    await expect(openCheckpoint(folder)).rejects.toThrow(CheckpointConfigError);
    await expect(openCheckpoint(folder)).rejects.toThrow('expected field "num_hidden_layers" to be a number but found nothing');
    await writeFile(configPath, JSON.stringify({ ...config, num_key_value_heads: 3, num_attention_heads: 4, hidden_size: 8 }));
    await expect(openCheckpoint(folder)).rejects.toThrow('expected field "num_key_value_heads" to be a divisor of num_attention_heads (4) but found 3');
  });

  it("refuses an index of the wrong shape", async () => {
    const folder = await shardedFolder("bad-index");
    await writeFile(indexPath(folder), '{"metadata": {}}');
    await expect(openCheckpoint(folder)).rejects.toThrow(CheckpointIndexError);
    await writeFile(indexPath(folder), '{"weight_map": {"a": "../model-00001-of-00003.safetensors"}}');
    await expect(openCheckpoint(folder)).rejects.toThrow("file names within the folder");
    await writeFile(indexPath(folder), '{"weight_map": {"a": "model-00001-of-00003.safetensors", "a": "model-00002-of-00003.safetensors"}}');
    await expect(openCheckpoint(folder)).rejects.toThrow(CheckpointJsonError);
  });

  it("refuses a missing shard", async () => {
    const folder = await shardedFolder("missing-shard");
    await rm(join(folder, "model-00002-of-00003.safetensors"));
    await expect(openCheckpoint(folder)).rejects.toThrow(CheckpointShardMissingError);
    await expect(openCheckpoint(folder)).rejects.toThrow('expected shard model-00002-of-00003.safetensors (holding "c")');
  });

  it("refuses an index entry whose shard lacks the tensor", async () => {
    const folder = await shardedFolder("moved-tensor");
    await editIndex(folder, (index) => {
      index.weight_map["a"] = "model-00002-of-00003.safetensors";
    });
    await expect(openCheckpoint(folder)).rejects.toThrow(CheckpointTensorMissingError);
    await expect(openCheckpoint(folder)).rejects.toThrow('expected tensor "a" in model-00002-of-00003.safetensors as the index says');
  });

  it("refuses a tensor the index does not list", async () => {
    const folder = await shardedFolder("unindexed");
    await editIndex(folder, (index) => {
      delete index.weight_map["d"];
    });
    await expect(openCheckpoint(folder)).rejects.toThrow(CheckpointUnindexedTensorError);
    await expect(openCheckpoint(folder)).rejects.toThrow('expected tensor "d" of model-00002-of-00003.safetensors to be in the index');
  });

  it("refuses a tensor held by two shards", async () => {
    const folder = await shardedFolder("duplicate");
    await saveSafetensors(join(folder, "model-00003-of-00003.safetensors"), [
      { name: "e", dtype: "U8", shape: [4], data: new Uint8Array(4) },
      { name: "a", dtype: "U8", shape: [4], data: new Uint8Array(4) },
    ]);
    await expect(openCheckpoint(folder)).rejects.toThrow(CheckpointDuplicateTensorError);
    await expect(openCheckpoint(folder)).rejects.toThrow('expected tensor "a" in one shard but found it in model-00001-of-00003.safetensors and model-00003-of-00003.safetensors');
  });

  it("refuses a total_size that differs from the shards", async () => {
    const folder = await shardedFolder("total-size");
    await editIndex(folder, (index) => {
      index.metadata.total_size = 21;
    });
    await expect(openCheckpoint(folder)).rejects.toThrow(CheckpointTotalSizeError);
    await expect(openCheckpoint(folder)).rejects.toThrow("expected the shards' tensors to total 21 bytes (index metadata.total_size) but they total 20");
  });

  it("passes a damaged shard's own typed error through", async () => {
    const folder = await shardedFolder("damaged-shard");
    await writeFile(join(folder, "model-00001-of-00003.safetensors"), Uint8Array.of(1, 2));
    await expect(openCheckpoint(folder)).rejects.toThrow("expected 8 bytes for the header length");
  });
});
