// The token cache, the held-out split, seeded batches and model configurations of `dusk train pretrain`.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../common/index.js";
import { loadTokenizer, trainTokenizer, type ByteLevelBpeTokenizer } from "../tokenizer/index.js";
import { PRETRAIN_PRESETS, hfConfigFromLlama, llamaConfigFromHf, resolveModelConfig } from "./config.js";
import { TokenDataset, loadTokenCorpus } from "./data.js";
import { CorpusTooSmallError } from "./errors.js";

let dir: string;
let text: string;
let tokenizer: ByteLevelBpeTokenizer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-pretrain-data-"));
  text = join(dir, "a.txt");
  const words = ["sea", "whale", "ship", "captain", "harpoon", "deck", "wind", "sail"];
  const lines = Array.from({ length: 400 }, (_, i) => `The ${words[i % 8]!} and the ${words[(i * 3) % 8]!} met ${i} times.`);
  await writeFile(text, lines.join("\n"));
  await trainTokenizer({ corpus: [text], vocabSize: 300, output: join(dir, "tok") });
  tokenizer = await loadTokenizer(join(dir, "tok"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("token cache", () => {
  it("tokenizes once as <s> text </s> and reads the cache afterwards", async () => {
    const cacheDir = join(dir, "cache");
    const first = await loadTokenCorpus({ sources: [text], tokenizer, cacheDir });
    expect(first.cached).toBe(false);
    expect(first.info.dtype).toBe("uint16");
    expect(first.tokens[0]).toBe(tokenizer.vocab.bosId);
    expect(first.tokens.at(-1)).toBe(tokenizer.vocab.eosId);
    expect(tokenizer.decode([...first.tokens], { skipSpecialTokens: true })).toBe(await readFile(text, "utf8"));
    const second = await loadTokenCorpus({ sources: [text], tokenizer, cacheDir });
    expect(second.cached).toBe(true);
    expect(second.path).toBe(first.path);
    expect([...second.tokens]).toEqual([...first.tokens]);
    // Different text → a different cache entry.
    const other = join(dir, "b.txt");
    await writeFile(other, "Another text entirely, with other words.");
    const third = await loadTokenCorpus({ sources: [other], tokenizer, cacheDir });
    expect(third.cached).toBe(false);
    expect(third.path).not.toBe(first.path);
  });
});

describe("TokenDataset", () => {
  const tokens = Uint16Array.from({ length: 1000 }, (_, i) => i % 97);

  it("holds out the last fraction and draws seeded, shifted batches", () => {
    const data = new TokenDataset(tokens, { heldOut: 0.1, batchSize: 3, seqLen: 16, seed: 5 });
    expect(data.train.length).toBe(900);
    expect(data.heldOut[0]).toBe(tokens[900]);
    const a = data.batch(7, 1);
    expect(a.batchSize).toBe(3);
    const t = a.tokens as Int32Array, y = a.targets as Int32Array;
    for (let i = 0; i < 48; i++) expect(y[i]).toBe((t[i]! + 1) % 97);
    expect([...(data.batch(7, 1).tokens as Int32Array)]).toEqual([...t]);
    expect([...(data.batch(8, 1).tokens as Int32Array)]).not.toEqual([...t]);
    expect([...(data.batch(7, 0).tokens as Int32Array)]).not.toEqual([...t]);
    const reseeded = new TokenDataset(tokens, { heldOut: 0.1, batchSize: 3, seqLen: 16, seed: 6 });
    expect([...(reseeded.batch(7, 1).tokens as Int32Array)]).not.toEqual([...t]);
  });

  it("evaluates on consecutive held-out windows", () => {
    const data = new TokenDataset(tokens, { heldOut: 0.1, batchSize: 2, seqLen: 16 });
    const batches = data.evalBatches(100);
    // 100 held-out tokens → 6 windows of 16 (+1 target) → batches of 2, 2, 2.
    expect(batches.map((b) => b.batchSize)).toEqual([2, 2, 2]);
    expect([...(batches[1]!.tokens as Int32Array)].slice(0, 3)).toEqual([...data.heldOut.subarray(32, 35)]);
    expect(data.evalBatches(2)).toHaveLength(2);
  });

  it("refuses a corpus too small for the batch shape", () => {
    expect(() => new TokenDataset(tokens.subarray(0, 20), { batchSize: 1, seqLen: 64 })).toThrow(CorpusTooSmallError);
  });
});

describe("model configurations", () => {
  it("has the bench model as `small` and maps config.json both ways", async () => {
    expect(PRETRAIN_PRESETS.small).toMatchObject({ layers: 4, hidden: 256, heads: 4, kvHeads: 2, ffn: 688, vocab: 4096 });
    const small = PRETRAIN_PRESETS.small!;
    expect(llamaConfigFromHf(hfConfigFromLlama(small))).toEqual(small);
    const file = join(dir, "config.json");
    await writeFile(file, JSON.stringify({ ...hfConfigFromLlama(small), num_hidden_layers: 2 }));
    expect((await resolveModelConfig(file)).config.layers).toBe(2);
    await expect(resolveModelConfig("huge")).rejects.toThrow(InvalidArgumentError);
  });
});
