// Tests of tokenizer conversion between GGUF metadata and Hugging Face files: merges derived from SentencePiece
// scores (worked out by hand), tokenizer.model parsing, round trips of byte-level and SentencePiece vocabularies
// (the real GPT-2 and Llama 2 vocabularies from ../shared/data when present), and the errors for what dusk cannot
// convert.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openGguf } from "../../formats/index.js";
import { UnsupportedTokenizerError } from "../errors.js";
import { GgufTokenType } from "./constants.js";
import { checkpointTokenizerFiles } from "./files.js";
import { vocabFromHfTokenizer } from "./from-hf.js";
import { generateMerges, parseSentencePieceModel, scoresFromMerges } from "./sentencepiece.js";
import { encodeSentencePieceModel } from "./testing.js";
import { vocabToTokenizerConfig, vocabToTokenizerJson } from "./to-hf.js";
import { vocabFromGgufMetadata, vocabToGgufMetadata, type TokenizerVocab } from "./vocab.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const shared = join(resolve(repoRoot, "../shared/data"), "gguf");
const hasShared = existsSync(join(shared, "ggml-vocab-llama-spm.gguf"));
if (!hasShared) console.warn(`[tokenizer-files.test] the real-vocabulary cases are skipped: ${shared} is absent`);

async function sharedVocab(name: string): Promise<TokenizerVocab> {
  const model = await openGguf(join(shared, name));
  try {
    return vocabFromGgufMetadata(model.metadata, name);
  } finally {
    await model.close();
  }
}

/** Reads a vocabulary back from the HF files written for it (tokenizer.json given when already built). */
function throughHf(vocab: TokenizerVocab, sentencePieceModel?: Uint8Array, json: unknown = vocabToTokenizerJson(vocab)): TokenizerVocab {
  const tokenizerJson = JSON.parse(JSON.stringify(json)) as unknown;
  const tokenizerConfig = JSON.parse(JSON.stringify(vocabToTokenizerConfig(vocab).tokenizerConfig)) as Record<string, unknown>;
  return vocabFromHfTokenizer({ tokenizerJson, tokenizerConfig, sentencePieceModel });
}

const tiny: TokenizerVocab = {
  model: "llama",
  pre: "default",
  tokens: ["<unk>", "<s>", "</s>", "<0x41>", "a", "b", "c", "ab", "bc", "abc", "\u2581a"],
  types: [2, 3, 3, 6, 1, 1, 1, 1, 1, 1, 1],
  scores: [0, 0, 0, 0, -7, -8, -9, -1, -2, -3, -4],
  merges: undefined,
  bosId: 1,
  eosId: 2,
  unkId: 0,
  padId: undefined,
  addBos: true,
  addEos: false,
  addSpacePrefix: undefined,
  chatTemplate: undefined,
};

describe("SentencePiece merges and scores", () => {
  it("derives merges as transformers does: every split, by score, then longer left and right parts first", () => {
    // "ab" (-1) ← a+b; "bc" (-2) ← b+c; "abc" (-3) ← a+bc and ab+c (ab+c first: longer left part); "▁a" (-4): ▁ is no piece.
    expect(generateMerges(tiny.tokens, tiny.scores!)).toEqual([["a", "b"], ["b", "c"], ["ab", "c"], ["a", "bc"]]);
  });

  it("derives scores back from merge order, keeping that order for llama.cpp", () => {
    const merges = generateMerges(tiny.tokens, tiny.scores!);
    const scores = scoresFromMerges(tiny.tokens, tiny.types, merges);
    expect(scores).toEqual([0, 0, 0, 0, -4, -4, -4, -0, -1, -2, -4]);
  });

  it("reads pieces, scores, types and add_dummy_prefix from a serialized tokenizer.model", () => {
    const bytes = encodeSentencePieceModel({ pieces: tiny.tokens, scores: tiny.scores!, types: tiny.types, addDummyPrefix: false });
    expect(parseSentencePieceModel(bytes)).toEqual({ pieces: tiny.tokens, scores: tiny.scores, types: tiny.types, addDummyPrefix: false });
    expect(() => parseSentencePieceModel(bytes.subarray(0, 7))).toThrow(UnsupportedTokenizerError);
  });
});

describe("vocabularies through Hugging Face files", () => {
  it("keeps a byte-level BPE exactly (tokens, types, merges, special ids and flags)", () => {
    const vocab: TokenizerVocab = {
      model: "gpt2",
      pre: "gpt-2",
      tokens: ["<unk>", "<s>", "</s>", "<pad>", "a", "b", "Ġ", "ab", "Ġab"],
      types: [3, 3, 3, 3, 1, 1, 1, 1, 1],
      scores: undefined,
      merges: ["a b", "Ġ ab"],
      bosId: 1,
      eosId: 2,
      unkId: 0,
      padId: 3,
      addBos: true,
      addEos: false,
      addSpacePrefix: undefined,
      chatTemplate: "{{ messages }}",
    };
    expect(throughHf(vocab)).toEqual(vocab);
    expect(vocabFromGgufMetadata(vocabToGgufMetadata(vocab))).toEqual(vocab);
    const config = vocabToTokenizerConfig(vocab);
    expect(config.specialTokensMap).toEqual({ bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", pad_token: "<pad>" });
    expect(config.tokenizerConfig.chat_template).toBe("{{ messages }}");
  });

  it("keeps a SentencePiece vocabulary's tokens and types; its scores exactly when tokenizer.model is given", () => {
    const viaJson = throughHf(tiny);
    expect(viaJson.tokens).toEqual(tiny.tokens);
    expect(viaJson.types).toEqual(tiny.types);
    expect([viaJson.bosId, viaJson.eosId, viaJson.unkId, viaJson.addBos, viaJson.addEos]).toEqual([1, 2, 0, true, false]);
    const model = encodeSentencePieceModel({ pieces: tiny.tokens, scores: tiny.scores!, types: tiny.types });
    expect(throughHf(tiny, model)).toEqual(tiny);
    const noPrefix = throughHf({ ...tiny, addSpacePrefix: false });
    expect(noPrefix.addSpacePrefix).toBe(false);
  });

  it.skipIf(!hasShared)("keeps GPT-2's real vocabulary", async () => {
    const gpt2 = await sharedVocab("ggml-vocab-gpt-2.gguf");
    const back = throughHf(gpt2);
    expect(back.tokens).toEqual(gpt2.tokens);
    expect(back.types).toEqual(gpt2.types);
    expect(back.merges).toEqual(gpt2.merges);
    expect(back.pre).toBe("gpt-2");
  });

  it.skipIf(!hasShared)("keeps Llama 2's real vocabulary: tokens and types always, scores exactly with tokenizer.model", async () => {
    const llama = await sharedVocab("ggml-vocab-llama-spm.gguf");
    const json = vocabToTokenizerJson(llama) as { model: { merges: string[]; byte_fallback: boolean } };
    expect(json.model.byte_fallback).toBe(true);
    expect(json.model.merges.slice(0, 3)).toEqual(["▁ t", "e r", "i n"]);
    const viaJson = throughHf(llama, undefined, json);
    expect(viaJson.tokens).toEqual(llama.tokens);
    expect(viaJson.types).toEqual(llama.types);
    // Without tokenizer.model the scores are rebuilt from the merge order: the same order for every merged piece.
    const merged = llama.tokens.map((_, id) => id).filter((id) => llama.types[id] === GgufTokenType.NORMAL && [...llama.tokens[id]!].length > 1);
    const byOriginal = [...merged].sort((a, b) => llama.scores![b]! - llama.scores![a]! || a - b);
    const byDerived = [...merged].sort((a, b) => viaJson.scores![b]! - viaJson.scores![a]! || a - b);
    const rank = new Map(byDerived.map((id, i) => [id, i]));
    let inversions = 0;
    for (let i = 1; i < byOriginal.length; i++) if (llama.scores![byOriginal[i - 1]!] !== llama.scores![byOriginal[i]!] && rank.get(byOriginal[i - 1]!)! > rank.get(byOriginal[i]!)!) inversions++;
    expect(inversions).toBe(0);
    const model = encodeSentencePieceModel({ pieces: llama.tokens, scores: llama.scores!, types: llama.types });
    const exact = throughHf(llama, model, json);
    expect(exact).toEqual({ ...llama, pre: "default" });
    expect(vocabToGgufMetadata(exact)).toEqual(vocabToGgufMetadata(llama));
  });
});

describe("what dusk does not convert", () => {
  it("names the tokenizer it cannot read", () => {
    expect(() => vocabFromHfTokenizer({ tokenizerJson: { model: { type: "WordPiece", vocab: {} } } })).toThrow('found model type "WordPiece"');
    expect(() => vocabFromHfTokenizer({ tokenizerJson: { model: { type: "BPE", vocab: { a: 0 }, merges: [] } } })).toThrow("neither");
    expect(() => vocabFromHfTokenizer({ tokenizerJson: { model: { type: "BPE", vocab: { a: 0 }, merges: [] }, pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Split", pattern: { Regex: "\\d" } }, { type: "ByteLevel", use_regex: false }] } } })).toThrow(UnsupportedTokenizerError);
    expect(() => vocabFromHfTokenizer({ tokenizerJson: "nope" })).toThrow(UnsupportedTokenizerError);
    expect(() => vocabFromGgufMetadata(new Map())).toThrow('tokenizer.ggml.model "gpt2" or "llama" but found none');
  });

  it("keeps a tokenizer without a tokenizer.json form in tokenizer.gguf, with a warning", () => {
    const llama3 = vocabToGgufMetadata({ ...tiny, model: "gpt2", pre: "llama-bpe", merges: ["a b"], scores: undefined });
    const { files, warnings } = checkpointTokenizerFiles(llama3);
    expect(Object.keys(files)).toEqual(["tokenizer.gguf"]);
    expect(warnings[0]).toContain('"llama-bpe"');
  });
});
