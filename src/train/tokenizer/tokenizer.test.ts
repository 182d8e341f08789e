// Tests of the byte-level BPE encoder/decoder: merges applied by rank, special tokens, BOS/EOS, round trips on
// awkward text, loading from tokenizer.json / tokenizer.gguf, and GPT-2's own vocabulary against the token ids
// llama.cpp produces for its test strings (../shared/data/gguf, skipped when absent).
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnsupportedTokenizerError, writeTokenizerFiles, type TokenizerVocab } from "../../convert/index.js";
import { WordCounter, specialTokenStrings, trainByteLevelBpe } from "./trainer.js";
import { ByteLevelBpeTokenizer, loadTokenizer } from "./tokenizer.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const gpt2Vocab = join(resolve(repoRoot, "../shared/data"), "gguf", "ggml-vocab-gpt-2.gguf");
const hasShared = existsSync(gpt2Vocab);
if (!hasShared) console.warn(`[tokenizer.test] the GPT-2 vocabulary case is skipped: ${gpt2Vocab} is absent`);

const TEXT = `It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.
The year 1775 had 365 days; the   spaces and\ttabs stay.\n\nCall me Ishmael. Some years ago—never mind how long precisely—`;

let vocab: TokenizerVocab;
let tokenizer: ByteLevelBpeTokenizer;
let dir: string;
beforeAll(async () => {
  const counter = new WordCounter(specialTokenStrings());
  counter.add(TEXT.repeat(3));
  vocab = trainByteLevelBpe(counter.counts, { vocabSize: 400 });
  tokenizer = ByteLevelBpeTokenizer.fromVocab(vocab);
  dir = await mkdtemp(join(tmpdir(), "dusk-tokenizer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ByteLevelBpeTokenizer", () => {
  it("encodes learned words as one token and unseen text as bytes", () => {
    const the = tokenizer.tokenId("Ġthe")!;
    expect(the).toBeGreaterThan(261);
    expect(tokenizer.encode(" the")).toEqual([the]);
    // "Q" and "z" were never merged with anything: one byte token each.
    expect(tokenizer.encode("Qz")).toEqual([tokenizer.tokenId("Q"), tokenizer.tokenId("z")]);
    // Four UTF-8 bytes of an emoji, four byte tokens.
    expect(tokenizer.encode("😀")).toHaveLength(4);
  });

  it("applies merges lowest rank first, as in training", () => {
    const merges = vocab.merges!;
    // Re-derive "times" from the merges by hand: apply each merge in rank order to the byte characters.
    let symbols = [..."Ġtimes"];
    for (const merge of merges) {
      const [left = "", right = ""] = merge.split(" ");
      const out: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) {
          out.push(left + right);
          i++;
        } else out.push(symbols[i]!);
      }
      symbols = out;
    }
    expect(tokenizer.encode(" times").map((id) => vocab.tokens[id])).toEqual(symbols);
  });

  it("turns special token texts into their ids unless asked not to, and adds BOS/EOS on request", () => {
    const ids = tokenizer.encode("<|im_start|>user\nhi<|im_end|>", { addBos: true, addEos: true });
    expect(ids[0]).toBe(1);
    expect(ids[1]).toBe(4);
    expect(ids.at(-2)).toBe(5);
    expect(ids.at(-1)).toBe(2);
    const plain = tokenizer.encode("<s>", { specialTokens: false });
    expect(plain).not.toContain(1);
    expect(tokenizer.decode(plain)).toBe("<s>");
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe("user\nhi");
    expect(tokenizer.decode(ids)).toBe("<s><|im_start|>user\nhi<|im_end|></s>");
  });

  it("round-trips awkward text exactly", () => {
    const samples = ["", " ", "   ", "\n", "\t\t", " \n \n", "a  b\n\n\nc", "trailing   ", "Ünïcödé — ½ «quotes»", "日本語のテキスト", "🦙.cpp 😶‍🌫️ 👨‍👩‍👧‍👦", "x\u00a0y\u3000z\u200b", "3.14159 1,000,000 0x1F", "'s't're've'm'll'd", "e\u0301 vs é", TEXT];
    for (const text of samples) expect(tokenizer.decode(tokenizer.encode(text)), JSON.stringify(text)).toBe(text);
  });

  it("refuses ids outside the vocabulary and vocabularies it cannot encode with", () => {
    expect(() => tokenizer.decode([vocab.tokens.length])).toThrow(UnsupportedTokenizerError);
    expect(() => ByteLevelBpeTokenizer.fromVocab({ ...vocab, model: "llama" })).toThrow(UnsupportedTokenizerError);
    expect(() => ByteLevelBpeTokenizer.fromVocab({ ...vocab, tokens: vocab.tokens.slice(0, 100) })).toThrow("byte");
  });

  it("loads the same tokenizer back from tokenizer.json and tokenizer.gguf", async () => {
    const folder = join(dir, "saved");
    expect(await writeTokenizerFiles(folder, vocab)).toEqual(["special_tokens_map.json", "tokenizer.gguf", "tokenizer.json", "tokenizer_config.json"]);
    const fromGguf = await loadTokenizer(join(folder, "tokenizer.gguf"));
    const fromJson = await loadTokenizer(join(folder, "tokenizer.json"));
    const fromFolder = await loadTokenizer(folder);
    for (const loaded of [fromGguf, fromJson, fromFolder]) {
      expect(loaded.vocab.tokens).toEqual(vocab.tokens);
      expect(loaded.vocab.merges).toEqual(vocab.merges);
      expect(loaded.encode(TEXT)).toEqual(tokenizer.encode(TEXT));
    }
    const json = JSON.parse(await readFile(join(folder, "tokenizer.json"), "utf8")) as { model: { type: string; vocab: Record<string, number> }; pre_tokenizer: { type: string } };
    expect(json.model.type).toBe("BPE");
    expect(json.pre_tokenizer.type).toBe("ByteLevel");
    expect(Object.keys(json.model.vocab)).toHaveLength(vocab.tokens.length);
  });
});

describe.skipIf(!hasShared)("GPT-2's vocabulary (llama.cpp's test strings)", () => {
  it("gives the token ids llama.cpp gives for every test string", async () => {
    const gpt2 = await loadTokenizer(gpt2Vocab);
    const inputs = (await readFile(`${gpt2Vocab}.inp`, "utf8")).split("\n__ggml_vocab_test__\n");
    const outputs = (await readFile(`${gpt2Vocab}.out`, "utf8")).split("\n");
    expect(inputs.length).toBeGreaterThan(40);
    inputs.forEach((text, i) => {
      const expected = outputs[i]!.trim() === "" ? [] : outputs[i]!.trim().split(/\s+/).map(Number);
      expect(gpt2.encode(text), JSON.stringify(text)).toEqual(expected);
      expect(gpt2.decode(gpt2.encode(text))).toBe(text);
    });
  });
});
