// Slow tier: `dusk convert` between GGUF and Hugging Face checkpoint folders. GGUF → checkpoint → GGUF gives the same
// tensor bytes and tokenizer; a checkpoint converted to GGUF equals the same weights written directly as GGUF (same
// seed) and scores the same next-token log-probabilities in llama.cpp, while skipping the q/k permutation does not;
// Q8_0 output loads and generates; tokenizer.json (dusk's byte-level BPE, and Llama 2's SentencePiece layout with or
// without tokenizer.model) becomes a GGUF tokenizer that llama.cpp uses as the original.
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertModel, hfTokenizerFiles, vocabFromGgufMetadata, vocabToGgufMetadata, vocabOnlyGguf, vocabToTokenizerConfig, vocabToTokenizerJson, type TokenizerVocab } from "../src/convert/index.js";
import { encodeSentencePieceModel } from "../src/convert/tokenizer/testing.js";
import { dequantize, openCheckpoint, openGguf, writeGguf } from "../src/formats/index.js";
import { makeTinyModel } from "../src/tiny/index.js";
import { ByteLevelBpeTokenizer, WordCounter, readBundledCorpus, specialTokenStrings, trainByteLevelBpe } from "../src/train/index.js";
import { ggufMetadata, ggufTensors, logProbs, maxAbsDifference, tokenizerEntries } from "./support/convert-check.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const spmVocab = join(resolve(repoRoot, "../shared/data"), "gguf", "ggml-vocab-llama-spm.gguf");
const hasSpm = existsSync(spmVocab);
if (!hasSpm) console.warn(`[convert.test] the Llama 2 tokenizer cases are skipped: ${spmVocab} is absent`);

let dir: string;
let llama: Llama;
let vocab: TokenizerVocab;
let tokenizerGguf: string;
const PROMPT = "Call me Ishmael. Some years ago, never mind how long";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-convert-"));
  const counter = new WordCounter(specialTokenStrings());
  for (const text of (await readBundledCorpus("moby-dick")).slice(0, 30)) counter.add(text);
  vocab = trainByteLevelBpe(counter.counts, { vocabSize: 640 });
  tokenizerGguf = join(dir, "tokenizer.gguf");
  await writeFile(tokenizerGguf, vocabOnlyGguf(vocabToGgufMetadata(vocab)));
  llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
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

describe("GGUF → checkpoint → GGUF", () => {
  it.each(["F32", "F16", "BF16"] as const)("keeps every %s tensor byte, the tokenizer and the hyperparameters", async (type) => {
    const original = join(dir, `round-${type}.gguf`);
    await makeTinyModel({ output: original, type, vocabFrom: tokenizerGguf, layers: 2, seed: 3 });
    const folder = join(dir, `round-${type}`);
    const there = await convertModel({ input: original, output: folder });
    expect(there.files.map((f) => f.split("/").pop()).sort()).toEqual(["config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.gguf", "tokenizer.json", "tokenizer_config.json"]);
    expect(there.permuted).toBe(4);
    const back = join(dir, `round-${type}-back.gguf`);
    const summary = await convertModel({ input: folder, output: back });
    expect(summary.tokenizer).toEqual({ model: "gpt2", from: "tokenizer.gguf" });
    const [a, b] = [await ggufTensors(original), await ggufTensors(back)];
    expect(b.names).toEqual(a.names);
    for (const name of a.names) expect(Buffer.compare(a.bytes.get(name)!, b.bytes.get(name)!), name).toBe(0);
    const [metaA, metaB] = [await ggufMetadata(original), await ggufMetadata(back)];
    expect(tokenizerEntries(metaB)).toEqual(tokenizerEntries(metaA));
    for (const [key, value] of metaA) if (key !== "general.name") expect(metaB.get(key), key).toEqual(value);
    const config = JSON.parse(await readFile(join(folder, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: "llama", num_hidden_layers: 2, hidden_size: 64, num_key_value_heads: 2, vocab_size: 640, rms_norm_eps: 1e-5, tie_word_embeddings: false });
  });
});

describe("checkpoint → GGUF", () => {
  it("equals the same weights written directly as GGUF, and llama.cpp scores them the same; unpermuted q/k do not", async () => {
    const folder = join(dir, "direct-hf");
    const direct = join(dir, "direct.gguf");
    await makeTinyModel({ output: folder, vocabFrom: tokenizerGguf, layers: 2, seed: 9 });
    await makeTinyModel({ output: direct, vocabFrom: tokenizerGguf, layers: 2, seed: 9 });
    const converted = join(dir, "converted.gguf");
    await convertModel({ input: folder, output: converted, type: "F32" });
    const [a, b] = [await ggufTensors(direct), await ggufTensors(converted)];
    for (const name of a.names) expect(Buffer.compare(a.bytes.get(name)!, b.bytes.get(name)!), name).toBe(0);
    // A negative control: the same model with q/k rows left in Hugging Face's rope layout.
    const unpermuted = join(dir, "unpermuted.gguf");
    const checkpoint = await openCheckpoint(folder);
    const hfBytes = new Map<string, Uint8Array>();
    for (const n of [0, 1]) for (const [g, h] of [["attn_q", "q_proj"], ["attn_k", "k_proj"]]) hfBytes.set(`blk.${n}.${g}.weight`, await checkpoint.readTensor(`model.layers.${n}.self_attn.${h}.weight`));
    await checkpoint.close();
    const model = await openGguf(direct);
    await writeGguf(unpermuted, { metadata: model.metadata, tensors: model.tensors.map((t) => ({ name: t.name, type: t.type, dims: t.dims, data: hfBytes.get(t.name) ?? a.bytes.get(t.name)! })) });
    await model.close();
    const score = (path: string): Promise<Float64Array[]> => withModel(path, (m) => logProbs(m, [m.tokens.bos!, ...m.tokenize(PROMPT)]));
    const [expected, actual, broken] = [await score(direct), await score(converted), await score(unpermuted)];
    expect(maxAbsDifference(expected, actual)).toBeLessThan(1e-4);
    expect(maxAbsDifference(expected, broken)).toBeGreaterThan(1e-2);
  });

  it("writes Q8_0 that llama.cpp loads and generates with; Q8_0 → checkpoint dequantizes to F32", async () => {
    const folder = join(dir, "q8-hf");
    await makeTinyModel({ output: folder, vocabFrom: tokenizerGguf, layers: 2, seed: 4 });
    const q8 = join(dir, "q8.gguf");
    const summary = await convertModel({ input: folder, output: q8, type: "q8_0" });
    expect(summary.types).toEqual({ F32: 5, Q8_0: 16 });
    const generated = await withModel(q8, async (model) => {
      const context = await model.createContext({ contextSize: 64, threads: 1 });
      try {
        const tokens: Token[] = [];
        for await (const token of context.getSequence().evaluate([model.tokens.bos!, ...model.tokenize(PROMPT)], { temperature: 0 })) {
          tokens.push(token);
          if (tokens.length >= 8) break;
        }
        return tokens;
      } finally {
        await context.dispose();
      }
    });
    expect(generated).toHaveLength(8);
    const back = join(dir, "q8-back");
    const toHf = await convertModel({ input: q8, output: back });
    expect(toHf.types).toEqual({ F32: 21 });
    const [original, restored] = [await openCheckpoint(folder), await openCheckpoint(back)];
    try {
      for (const t of original.tensors) {
        const count = t.shape.reduce((x, y) => x * y, 1);
        const [x, y] = [dequantize(await original.readTensor(t.name), "F32", count), dequantize(await restored.readTensor(t.name), "F32", count)];
        let worst = 0;
        for (let i = 0; i < count; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
        // Q8_0 keeps 8 bits per block of 32: the error is at most half a step (amax / 254), here well under 0.01.
        expect(worst, t.name).toBeLessThan(t.shape.length === 1 ? 1e-7 : 0.01);
      }
    } finally {
      await Promise.all([original.close(), restored.close()]);
    }
  });

  it("reads dusk's tokenizer from tokenizer.json when there is no tokenizer.gguf", async () => {
    const folder = join(dir, "json-tokenizer");
    await makeTinyModel({ output: folder, vocabFrom: tokenizerGguf, layers: 1, seed: 2 });
    await rm(join(folder, "tokenizer.gguf"));
    for (const [name, text] of Object.entries(hfTokenizerFiles(vocab))) await writeFile(join(folder, name), text);
    const output = join(dir, "json-tokenizer.gguf");
    const summary = await convertModel({ input: folder, output });
    expect(summary.tokenizer).toEqual({ model: "gpt2", from: "tokenizer.json" });
    const meta = await ggufMetadata(output);
    expect(tokenizerEntries(meta)).toEqual(tokenizerEntries(vocabToGgufMetadata(vocab)));
    const encoder = ByteLevelBpeTokenizer.fromVocab(vocab);
    await withModel(output, (model) => {
      for (const text of [PROMPT, "  two  spaces\n\tand a tab", "<|im_start|>user\nhi<|im_end|>"]) expect([...model.tokenize(text, true)]).toEqual(encoder.encode(text));
    });
  });
});

describe.skipIf(!hasSpm)("Llama 2's SentencePiece tokenizer.json → GGUF \"llama\" tokenizer", () => {
  let original: TokenizerVocab;
  let folder: string;
  beforeAll(async () => {
    original = vocabFromGgufMetadata(await ggufMetadata(spmVocab));
    folder = join(dir, "llama2-hf");
    await makeTinyModel({ output: folder, vocabFrom: spmVocab, layers: 1, hidden: 32, heads: 2, kvHeads: 1, seed: 6 });
    await rm(join(folder, "tokenizer.gguf"));
    await writeFile(join(folder, "tokenizer.json"), JSON.stringify(vocabToTokenizerJson(original)));
    await writeFile(join(folder, "tokenizer_config.json"), JSON.stringify(vocabToTokenizerConfig(original).tokenizerConfig));
  });

  it("tokenizes llama.cpp's test strings as llama.cpp's own conversion does (from tokenizer.json alone)", async () => {
    const output = join(dir, "llama2-json.gguf");
    const summary = await convertModel({ input: folder, output });
    expect(summary.tokenizer).toEqual({ model: "llama", from: "tokenizer.json" });
    const converted = vocabFromGgufMetadata(await ggufMetadata(output));
    expect(converted.tokens).toEqual(original.tokens);
    expect(converted.types).toEqual(original.types);
    const inputs = (await readFile(`${spmVocab}.inp`, "utf8")).split("\n__ggml_vocab_test__\n");
    const outputs = (await readFile(`${spmVocab}.out`, "utf8")).split("\n");
    await withModel(output, (model) => {
      inputs.forEach((text, i) => {
        const expected = outputs[i]!.trim() === "" ? [] : outputs[i]!.trim().split(/\s+/).map(Number);
        expect([...model.tokenize(text)], JSON.stringify(text)).toEqual(expected);
      });
    });
  });

  it("carries tokens, scores and types exactly when tokenizer.model is there", async () => {
    await cp(folder, join(dir, "llama2-hf-model"), { recursive: true });
    await writeFile(join(dir, "llama2-hf-model", "tokenizer.model"), encodeSentencePieceModel({ pieces: original.tokens, scores: original.scores!, types: original.types }));
    const output = join(dir, "llama2-model.gguf");
    const summary = await convertModel({ input: join(dir, "llama2-hf-model"), output });
    expect(summary.tokenizer.from).toBe("tokenizer.json + tokenizer.model");
    expect(tokenizerEntries(await ggufMetadata(output))).toEqual(tokenizerEntries(await ggufMetadata(spmVocab)));
  });
});
