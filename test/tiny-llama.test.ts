// Slow tier: tiny Llama models written by dusk (F32, F16, Q8_0, Q4_K) load in llama.cpp (node-llama-cpp 3.21.1) and
// generate; llama.cpp's own GGUF reader agrees with ours; our tokenizer round-trips; with the Llama 2 / SOLAR vocabulary
// from ../shared/data, llama.cpp's token ids for its test strings match the .out file (skipped when absent).
//
// Threads: 1. On a 2-core machine that other jobs share, 2 threads made 12 tokens take 3-8 s instead of 25-160 ms
// (llama.cpp's threads spin at barriers), with identical tokens.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metadataArray, openGguf, type QuantizableType } from "../src/formats/index.js";
import { buildTinyVocab, makeTinyModel } from "../src/tiny/index.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sharedVocab = join(resolve(repoRoot, "../shared/data"), "gguf", "ggml-vocab-llama-spm.gguf");
const hasSharedVocab = existsSync(sharedVocab);
if (!hasSharedVocab) console.warn(`[tiny-llama.test] the shared-vocabulary case is skipped: ${sharedVocab} is absent`);

let llama: Llama;
let dir: string;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
  dir = await mkdtemp(join(tmpdir(), "dusk-tiny-llama-"));
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function withModel<T>(path: string, use: (model: LlamaModel) => Promise<T> | T): Promise<T> {
  const model = await llama.loadModel({ modelPath: path });
  try {
    return await use(model);
  } finally {
    await model.dispose();
  }
}

/** Greedy generation of `count` tokens after `prompt`. */
async function generate(model: LlamaModel, prompt: Token[], count: number): Promise<number[]> {
  const context = await model.createContext({ contextSize: 128, threads: 1 });
  try {
    const tokens: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt, { temperature: 0 })) {
      tokens.push(token);
      if (tokens.length >= count) break;
    }
    return tokens;
  } finally {
    await context.dispose();
  }
}

describe("tiny Llama models in llama.cpp", () => {
  it.each(["F32", "F16", "Q8_0", "Q4_K"] as QuantizableType[])("loads a %s model and generates 8 tokens", async (type) => {
    const path = join(dir, `tiny-${type}.gguf`);
    const tiny = await makeTinyModel({ output: path, type, layers: 2, seed: 3 });
    const ours = await openGguf(path);
    await ours.close();
    await withModel(path, async (model) => {
      // llama.cpp's (node-llama-cpp's) own GGUF reader sees what we wrote.
      const info = model.fileInfo;
      expect(info.version).toBe(3);
      expect(info.metadata.general.architecture).toBe("llama");
      expect(info.tensorInfo?.map((t) => t.name)).toEqual(ours.tensors.map((t) => t.name));
      expect(info.tensorInfo?.map((t) => t.dimensions.map(Number))).toEqual(ours.tensors.map((t) => [...t.dims]));
      expect(model.trainContextSize).toBe(tiny.config.context);
      expect(model.tokens.bos).toBe(1);
      const tokens = await generate(model, [model.tokens.bos!, ...model.tokenize("the water is hot")], 8);
      expect(tokens).toHaveLength(8);
      for (const token of tokens) expect(token >= 0 && token < tiny.config.vocab).toBe(true);
    });
  });

  it("tokenizes with dusk's own vocabulary as SentencePiece does, and detokenizes back", async () => {
    const path = join(dir, "tiny-vocab.gguf");
    await makeTinyModel({ output: path, layers: 1, type: "Q8_0" });
    const { tokens: pieces } = buildTinyVocab();
    await withModel(path, (model) => {
      const id = (piece: string): number => pieces.indexOf(piece);
      // Whole words become one piece each (with the SentencePiece space marker), others fall back to smaller pieces.
      expect(model.tokenize("the water is hot")).toEqual([id("▁the"), id("▁water"), id("▁is"), id("▁hot")]);
      expect(model.tokenize("water")).toEqual([id("▁water")]);
      for (const text of ["the water is hot", "Hello, world! 12345", "a  b\tc\nnew line", "ünïcödé ☃ 日本", "Depth up-scaling (SOLAR) 10.7B"]) {
        const tokens = model.tokenize(text);
        expect(tokens.length).toBeGreaterThan(0);
        expect(model.detokenize(tokens)).toBe(text);
      }
      // Characters outside the vocabulary use the byte-fallback tokens <0xNN>.
      const snowman = model.tokenize("☃").filter((t) => /^<0x[0-9A-F]{2}>$/.test(pieces[t] ?? ""));
      expect(snowman.map((t) => pieces[t])).toEqual(["<0xE2>", "<0x98>", "<0x83>"]);
    });
  });

  it.skipIf(!hasSharedVocab)("with the Llama 2 / SOLAR vocabulary copied in, llama.cpp tokenizes its test strings to the ids in the .out file", async () => {
    const path = join(dir, "tiny-spm.gguf");
    const tiny = await makeTinyModel({ output: path, layers: 1, type: "Q8_0", vocabFrom: sharedVocab });
    expect(tiny.config.vocab).toBe(32000);
    const ours = await openGguf(path);
    expect(metadataArray(ours.metadata, "tokenizer.ggml.tokens")?.items).toHaveLength(32000);
    await ours.close();
    const inputs = (await readFile(`${sharedVocab}.inp`, "utf8")).split("\n__ggml_vocab_test__\n").slice(0, -1);
    const lines = (await readFile(`${sharedVocab}.out`, "utf8")).split("\n").slice(0, -1);
    expect(inputs.length).toBe(lines.length);
    expect(inputs.length).toBeGreaterThan(40);
    await withModel(path, async (model) => {
      for (const [i, text] of inputs.entries()) {
        const expected = lines[i]!.trim() === "" ? [] : lines[i]!.trim().split(" ").map(Number);
        expect([...model.tokenize(text)], `test string ${i}: ${JSON.stringify(text)}`).toEqual(expected);
      }
      const tokens = await generate(model, [model.tokens.bos!, ...model.tokenize("Hello world")], 8);
      expect(tokens).toHaveLength(8);
    });
  });
});
