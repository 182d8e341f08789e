// Slow tier: a byte-level BPE trained by dusk on a bundled corpus, written into a tiny GGUF model, tokenizes in
// llama.cpp (node-llama-cpp 3.21.1) exactly as dusk's own encoder does, on a few hundred strings (whitespace runs,
// newlines, tabs, digits, punctuation, accents, CJK, emoji, special tokens, chat markers), with and without special
// token parsing; our decoder round-trips each string; `dusk train tokenizer` writes the files and fails cleanly.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register as registerTrain } from "../src/cli/commands/train.js";
import { DuskError } from "../src/common/index.js";
import { metadataArray, metadataString, openGguf } from "../src/formats/index.js";
import { makeTinyModel, seededRandom } from "../src/tiny/index.js";
import { ByteLevelBpeTokenizer, readBundledCorpus, trainTokenizer } from "../src/train/index.js";
import { runCommand } from "./support/cli.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const gpt2Strings = join(resolve(repoRoot, "../shared/data"), "gguf", "ggml-vocab-gpt-2.gguf.inp");

let llama: Llama;
let model: LlamaModel;
let tokenizer: ByteLevelBpeTokenizer;
let dir: string;
let corpus: string[];
let trainSeconds: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-tokenizer-llamacpp-"));
  const trained = await trainTokenizer({ corpus: ["moby-dick"], vocabSize: 2048, output: join(dir, "tokenizer") });
  trainSeconds = trained.seconds;
  tokenizer = ByteLevelBpeTokenizer.fromVocab(trained.vocab);
  corpus = await readBundledCorpus("moby-dick");
  await makeTinyModel({ output: join(dir, "tiny.gguf"), vocabFrom: join(dir, "tokenizer", "tokenizer.gguf"), layers: 1, hidden: 32, heads: 2, kvHeads: 1 });
  llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: join(dir, "tiny.gguf") });
});
afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const EDGE_CASES = [
  "", " ", "  ", "   ", "\n", "\n\n", "\t", "\t\t", "\r\n", " \n ", "\n \n", "a  b", "a\n\nb", "a \n b", "  leading", "trailing  ", "mid   dle",
  "3", "33", "333", "1234567890", "3.14", "1,000,000", "2024-01-01", "v1.2.3", "0x1F", "½ ¾ ² ³",
  "!!!", "...", "?!", "--", "—", "(parens)", "[brackets]", "{braces}", "\"quoted\"", "'single'", "a/b\\c", "#hash @at $5 %p ^c &a *s", "<>", "< s>",
  "it's", "don't", "we're", "they've", "I'm", "you'll", "he'd", "IT'S", "'s", "'S", "y'all",
  "café", "naïve", "Äpfel", "Ünïcödé", "São Paulo", "Ελληνικά", "русский язык", "עברית", "العربية", "हिन्दी", "ภาษาไทย", "한국어",
  "日本語", "中文字符", "我想在apple工作1314151天～", "🦙", "😀😀", "👍🏽", "👨‍👩‍👧‍👦", "😶‍🌫️", "🚀 (normal) ✅",
  "\u00a0", "a\u00a0b", "\u3000x", "a\u0085b", "x\ufeffy", "zero\u200bwidth", "e\u0301", "\u2028\u2029",
  "<s>", "</s>", "<unk>", "<pad>", "<s>hello</s>", "x<s>y", "<s><s>", "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n", "<|im_end|>",
  "### System:\nYou are helpful.\n\n### User:\nWhat is 2+2?\n\n### Assistant:\n4",
];

/** Random mixtures of awkward pieces (seeded, so the same strings every run). */
function randomStrings(count: number): string[] {
  const pieces = ["a", "the", "Ship", " ", "  ", "   ", "\n", "\n\n", "\t", "\r\n", "0", "7", "42", "1999", ".", ",", "!", "?", "'", "'s", "'ll", "\"", "(", ")", "-", "—", "é", "ü", "ß", "ñ", "日", "本", "語", "😀", "🦙", "👍🏽", "\u00a0", "\u3000", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<pad>", "### User:", "\u0301", "ب", "й", "whale", " Ahab"];
  const random = seededRandom(11);
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(random.uniform() * 12) }, () => pieces[Math.floor(random.uniform() * pieces.length)]!).join(""));
}

/** Slices of the corpus, cut at random places (so words and whitespace are split mid-way). */
function corpusSlices(count: number): string[] {
  const random = seededRandom(5);
  return Array.from({ length: count }, () => {
    const text = corpus[Math.floor(random.uniform() * corpus.length)]!;
    const start = Math.floor(random.uniform() * Math.max(1, text.length - 400));
    return text.slice(start, start + 1 + Math.floor(random.uniform() * 400));
  });
}

/** llama.cpp's own tokenizer test strings (../shared/data), when present. */
function llamaCppTestStrings(): string[] {
  if (!existsSync(gpt2Strings)) {
    console.warn(`[tokenizer-llamacpp.test] llama.cpp's test strings are left out: ${gpt2Strings} is absent`);
    return [];
  }
  return readFileSync(gpt2Strings, "utf8").split("\n__ggml_vocab_test__\n");
}

describe("dusk's byte-level BPE in llama.cpp", () => {
  it("trains a 2048-token vocabulary on Moby-Dick in seconds", () => {
    expect(tokenizer.size).toBe(2048);
    expect(trainSeconds).toBeLessThan(30);
    expect(model.tokens.bos).toBe(1);
    expect(model.tokens.eos).toBe(2);
  });

  it("gives the same token ids as llama.cpp on a few hundred strings, with and without special tokens", () => {
    const strings = [...EDGE_CASES, ...randomStrings(150), ...corpusSlices(100), ...llamaCppTestStrings()];
    expect(strings.length).toBeGreaterThanOrEqual(300);
    const mismatches: string[] = [];
    for (const text of strings) {
      for (const specialTokens of [true, false]) {
        const ours = tokenizer.encode(text, { specialTokens });
        const theirs = [...model.tokenize(text, specialTokens)];
        if (JSON.stringify(ours) !== JSON.stringify(theirs)) mismatches.push(`${JSON.stringify(text)} (special ${specialTokens}): ours ${JSON.stringify(ours)}, llama.cpp ${JSON.stringify(theirs)}`);
      }
      expect(tokenizer.decode(tokenizer.encode(text)), JSON.stringify(text)).toBe(text);
    }
    expect(mismatches).toEqual([]);
  });

  it("maps special tokens and chat markers to single control tokens in both", () => {
    const ids = tokenizer.encode("<|im_start|>user\nhi<|im_end|>");
    expect(ids[0]).toBe(4);
    expect(ids.at(-1)).toBe(5);
    expect([...model.tokenize("<|im_end|>", true)]).toEqual([5]);
    // Without special-token parsing the marker is ordinary text: several tokens, none of them a control token.
    const plain = tokenizer.encode("<|im_end|>", { specialTokens: false });
    expect(plain.length).toBeGreaterThan(1);
    expect(plain.some((id) => tokenizer.isSpecial(id))).toBe(false);
  });
});

/** Runs `dusk ...` in-process with only this command registered. */
const dusk = (...args: string[]): ReturnType<typeof runCommand> => runCommand(registerTrain, ...args);

describe("dusk train tokenizer", () => {
  it("trains on text files and writes tokenizer.json, its config files and tokenizer.gguf", async () => {
    const text = join(dir, "notes.txt");
    await writeFile(text, corpus.slice(0, 20).join("\n\n"));
    const output = join(dir, "cli-tokenizer");
    const { stdout, error } = await dusk("train", "tokenizer", "--corpus", text, "--vocab-size", "500", "--chat-markers", "", "-o", output, "--json");
    expect(error).toBeUndefined();
    const summary = JSON.parse(stdout) as { vocabSize: number; merges: number; specialTokens: string[]; files: string[] };
    expect(summary.vocabSize).toBe(500);
    expect(summary.specialTokens).toEqual(["<unk>", "<s>", "</s>", "<pad>"]);
    expect(summary.merges).toBe(500 - 4 - 256);
    expect((await readdir(output)).sort()).toEqual(["special_tokens_map.json", "tokenizer.gguf", "tokenizer.json", "tokenizer_config.json"]);
    const gguf = await openGguf(join(output, "tokenizer.gguf"));
    try {
      expect(metadataString(gguf.metadata, "tokenizer.ggml.model")).toBe("gpt2");
      expect(metadataString(gguf.metadata, "tokenizer.ggml.pre")).toBe("gpt-2");
      expect(metadataArray(gguf.metadata, "tokenizer.ggml.tokens")?.items).toHaveLength(500);
      expect(metadataArray(gguf.metadata, "tokenizer.ggml.merges")?.items).toHaveLength(240);
    } finally {
      await gguf.close();
    }
  });

  it("prints a summary for people", async () => {
    const { stdout, error } = await dusk("train", "tokenizer", "--corpus", "moby-dick", "--vocab-size", "300", "-o", join(dir, "people"));
    expect(error).toBeUndefined();
    expect(stdout).toContain("moby-dick");
    expect(stdout).toMatch(/trained 300 tokens: 6 special \(<unk> <s> <\/s> <pad> <\|im_start\|> <\|im_end\|>\), 256 bytes, 38 merges/);
  });

  it("fails with a typed error for a missing file or a vocabulary too small", async () => {
    const missing = await dusk("train", "tokenizer", "--corpus", join(dir, "absent.txt"), "-o", join(dir, "x"));
    expect(missing.error).toBeInstanceOf(DuskError);
    expect((missing.error as DuskError).code).toBe("FILE_NOT_FOUND");
    const small = await dusk("train", "tokenizer", "--corpus", "moby-dick", "--vocab-size", "100", "-o", join(dir, "y"));
    expect(small.error).toBeInstanceOf(DuskError);
    expect((small.error as DuskError).message).toContain("expected a vocabulary size between 262");
  });
});
