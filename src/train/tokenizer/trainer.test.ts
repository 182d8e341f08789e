// Tests of the BPE trainer: merges worked out by hand, the tie rule, the frequency floor, special tokens that are
// never learned, determinism, and the byte alphabet and pre-tokenizer it builds on.
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../common/index.js";
import { GgufTokenType } from "../../convert/index.js";
import { ALPHABET, BYTE_TO_CHAR, byteEncode, pretokenize } from "./byte-level.js";
import { stripBrownTags } from "./corpus.js";
import { WordCounter, specialTokenStrings, splitOnSpecials, trainByteLevelBpe } from "./trainer.js";

const BASE = 6 + 256;

describe("byte-level alphabet and pre-tokenizer", () => {
  it("maps bytes as GPT-2's bytes_to_unicode: printable Latin-1 to itself, the rest from U+0100 in byte order", () => {
    expect(BYTE_TO_CHAR[0x41]).toBe("A");
    expect(BYTE_TO_CHAR[0x20]).toBe("\u0120"); // Ġ
    expect(BYTE_TO_CHAR[0x0a]).toBe("\u010a"); // Ċ
    expect(BYTE_TO_CHAR[0x00]).toBe("\u0100");
    expect(BYTE_TO_CHAR[0xad]).toBe("\u0143");
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    expect(ALPHABET[0]).toBe("!");
    expect(byteEncode("é ")).toBe("Ã©Ġ");
  });

  it("splits as GPT-2's regex: contractions, letters, numbers, symbols, whitespace runs", () => {
    expect(pretokenize("Hello, world! It's 2024.")).toEqual(["Hello", ",", " world", "!", " It", "'s", " 2024", "."]);
    expect(pretokenize("a   b")).toEqual(["a", "  ", " b"]);
    expect(pretokenize("a\n\n b  ")).toEqual(["a", "\n\n", " b", "  "]);
    expect(pretokenize("x\u00a0y\u0085z\ufeffw")).toEqual(["x", "\u00a0", "y", "\u0085", "z", "\ufeff", "w"]);
    // Contractions are matched case-sensitively, as in GPT-2 and llama.cpp.
    expect(pretokenize("IT'S 'll")).toEqual(["IT", "'", "S", " '", "ll"]);
    const text = "tabs\tand 😀 emoji, 日本語 and Ünïcödé — 3.14";
    expect(pretokenize(text).join("")).toBe(text);
  });

  it("splits text around special tokens so they are not learned as words", () => {
    expect(splitOnSpecials("a<s>b</s><|im_end|>", specialTokenStrings())).toEqual(["a", "b", "", ""]);
    const counter = new WordCounter(specialTokenStrings());
    counter.add("hi<|im_start|>there");
    expect([...counter.counts.keys()]).toEqual(["hi", "there"]);
  });
});

describe("trainByteLevelBpe", () => {
  it("merges the most frequent pair first, updating counts as words change", () => {
    // Pairs: (a,b) 5+2 = 7, (b,c) 2+3 = 5 → "a b"; then (ab,c) 2 and (b,c) 3 → "b c"; then "ab c".
    const vocab = trainByteLevelBpe(new Map([["ab", 5], ["abc", 2], ["bc", 3]]), { vocabSize: BASE + 3 });
    expect(vocab.merges).toEqual(["a b", "b c", "ab c"]);
    expect(vocab.tokens.slice(BASE)).toEqual(["ab", "bc", "abc"]);
    expect(vocab.tokens).toHaveLength(BASE + 3);
  });

  it("breaks ties by the smaller (left id, right id), ids in creation order", () => {
    const vocab = trainByteLevelBpe(new Map([["xy", 2], ["ab", 2], ["ba", 2]]), { vocabSize: BASE + 3 });
    expect(vocab.merges).toEqual(["a b", "b a", "x y"]);
  });

  it("merges overlapping pairs left to right within a word", () => {
    const vocab = trainByteLevelBpe(new Map([["aaa", 4]]), { vocabSize: BASE + 2 });
    // "a a" (count 8) → [aa, a]; then "aa a" (4).
    expect(vocab.merges).toEqual(["a a", "aa a"]);
  });

  it("stops below the requested size when no pair reaches minFrequency", () => {
    const vocab = trainByteLevelBpe(new Map([["ab", 1], ["cd", 3]]), { vocabSize: BASE + 10, minFrequency: 2 });
    expect(vocab.merges).toEqual(["c d"]);
    expect(vocab.tokens).toHaveLength(BASE + 1);
  });

  it("never learns a special token's text as a normal token", () => {
    const vocab = trainByteLevelBpe(new Map([["<s>", 10]]), { vocabSize: BASE + 5 });
    expect(vocab.merges).toEqual(["< s"]);
    expect(vocab.tokens.filter((t) => t === "<s>")).toHaveLength(1);
  });

  it("lays out special tokens, types and ids as llama.cpp expects", () => {
    const vocab = trainByteLevelBpe(new Map([["hello", 3]]), { vocabSize: BASE + 1, chatMarkers: ["<|im_start|>", "<|im_end|>"] });
    expect(vocab.tokens.slice(0, 6)).toEqual(["<unk>", "<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>"]);
    expect(vocab.types.slice(0, 7)).toEqual([3, 3, 3, 3, 3, 3, GgufTokenType.NORMAL]);
    expect([vocab.unkId, vocab.bosId, vocab.eosId, vocab.padId]).toEqual([0, 1, 2, 3]);
    expect(vocab.tokens.slice(6, 6 + 256)).toEqual(ALPHABET);
    expect({ model: vocab.model, pre: vocab.pre, addBos: vocab.addBos, addEos: vocab.addEos }).toEqual({ model: "gpt2", pre: "gpt-2", addBos: true, addEos: false });
  });

  it("is deterministic and independent of word order", () => {
    const words = "the cat sat on the mat with the hat and the bat sat on the cat".split(" ");
    const counter = new WordCounter();
    counter.add(words.join(" "));
    const reversed = new Map([...counter.counts].reverse());
    const a = trainByteLevelBpe(counter.counts, { vocabSize: BASE + 12 });
    const b = trainByteLevelBpe(reversed, { vocabSize: BASE + 12 });
    expect(a.merges).toEqual(b.merges);
    expect(a.merges?.[0]).toBe("a t");
  });

  it("refuses a vocabulary smaller than the special tokens and bytes", () => {
    expect(() => trainByteLevelBpe(new Map(), { vocabSize: 100 })).toThrow(InvalidArgumentError);
    expect(() => trainByteLevelBpe(new Map(), { vocabSize: BASE + 1, chatMarkers: ["<s>"] })).toThrow("distinct special tokens");
  });
});

describe("stripBrownTags", () => {
  it("drops part-of-speech tags, joins quotes and punctuation to their words, one sentence a line", () => {
    const tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, in/in (/( Atlanta's/np$ )/) ./.\n\n\n\tIt/pps ended/vbd ./.\n";
    expect(stripBrownTags(tagged)).toBe('The jury said "no evidence", in (Atlanta\'s).\nIt ended.');
  });
});
