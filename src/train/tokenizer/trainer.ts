// Training a byte-level BPE (GPT-2 style) on text: count the words of the pre-tokenized text once, then merge the
// most frequent adjacent pair of symbols until the vocabulary is full, keeping pair counts up to date
// incrementally (only the words that hold the merged pair are rewritten). Deterministic: ties in frequency go to
// the pair with the smaller (left id, right id), ids being given in order of creation (as Hugging Face's trainer).
import { InvalidArgumentError } from "../../common/index.js";
import { GPT2_PRE, GgufTokenType, type TokenizerVocab } from "../../convert/index.js";
import { ALPHABET, CHAR_TO_BYTE, pretokenize } from "./byte-level.js";
import { MinHeap } from "./heap.js";
import { CORE_SPECIAL_TOKENS, DEFAULT_CHAT_MARKERS } from "./specials.js";

/** Pair keys pack (left, right) ids into one number; ids stay below this. */
const SHIFT = 2 ** 21;
const pairKey = (left: number, right: number): number => left * SHIFT + right;

/** Splits text around any of `specials` (longest first), so that special tokens in text are not learned as words. */
export function splitOnSpecials(text: string, specials: readonly string[]): string[] {
  if (specials.length === 0) return [text];
  const escaped = [...specials].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return text.split(new RegExp(escaped.join("|"), "u"));
}

/** Counts the pre-tokenized words of a corpus, text by text. */
export class WordCounter {
  readonly counts = new Map<string, number>();
  /** Words seen (with repeats). */
  total = 0;

  constructor(private readonly specials: readonly string[] = []) {}

  add(text: string): void {
    for (const part of splitOnSpecials(text, this.specials)) {
      for (const word of pretokenize(part)) {
        this.counts.set(word, (this.counts.get(word) ?? 0) + 1);
        this.total += 1;
      }
    }
  }
}

/** Options of {@link trainByteLevelBpe}. */
export interface TrainBpeOptions {
  /** Vocabulary size in all: special tokens + 256 byte tokens + merges. */
  readonly vocabSize: number;
  /** Chat markers after the core special tokens (<unk>, <s>, </s>, <pad>). Defaults to `<|im_start|>`, `<|im_end|>`. */
  readonly chatMarkers?: readonly string[];
  /** Pairs seen fewer times are never merged (training may then stop below vocabSize). Defaults to 2. */
  readonly minFrequency?: number;
  /** Put BOS before each text when encoding (tokenizer.ggml.add_bos_token). Defaults to true, as Llama. */
  readonly addBos?: boolean;
  /** Called every 256 merges with (merges done, merges wanted). Defaults to none. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The special token strings of a vocabulary with these chat markers, in id order. */
export function specialTokenStrings(chatMarkers: readonly string[] = DEFAULT_CHAT_MARKERS): string[] {
  return [...CORE_SPECIAL_TOKENS.map((t) => t.content), ...chatMarkers];
}

/**
 * Trains a byte-level BPE on counted words. Ids: special tokens first, then the 256 byte characters in code point
 * order, then one per merge (a merge whose result already exists reuses its id, as Hugging Face's trainer does).
 */
export function trainByteLevelBpe(counts: ReadonlyMap<string, number>, { vocabSize, chatMarkers = DEFAULT_CHAT_MARKERS, minFrequency = 2, addBos = true, onProgress }: TrainBpeOptions): TokenizerVocab {
  const specials = specialTokenStrings(chatMarkers);
  if (new Set(specials).size !== specials.length) throw new InvalidArgumentError(`expected distinct special tokens but got ${JSON.stringify(specials)}`);
  const base = specials.length + ALPHABET.length;
  if (!Number.isInteger(vocabSize) || vocabSize < base || vocabSize >= SHIFT) {
    throw new InvalidArgumentError(`expected a vocabulary size between ${base} (${specials.length} special tokens + 256 bytes) and ${SHIFT - 1} but got ${vocabSize}`);
  }
  const tokens: string[] = [...specials, ...ALPHABET];
  const ids = new Map(tokens.map((token, id) => [token, id]));
  const byteId = new Int32Array(256);
  ALPHABET.forEach((char, i) => (byteId[CHAR_TO_BYTE.get(char)!] = specials.length + i));

  // Words as symbol ids, with their counts.
  const encoder = new TextEncoder();
  const words: Int32Array[] = [];
  const wordCounts: number[] = [];
  for (const [word, count] of counts) {
    words.push(Int32Array.from(encoder.encode(word), (b) => byteId[b]!));
    wordCounts.push(count);
  }
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const add = (key: number, delta: number): void => {
    const next = (pairCounts.get(key) ?? 0) + delta;
    if (next === 0) pairCounts.delete(key);
    else pairCounts.set(key, next);
  };
  words.forEach((symbols, w) => {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      add(key, wordCounts[w]!);
      const list = pairWords.get(key);
      if (list) list.push(w);
      else pairWords.set(key, [w]);
    }
  });
  const heap = new MinHeap();
  for (const [key, count] of pairCounts) heap.push(-count, key);

  const merges: string[] = [];
  const banned = new Set(specials);
  const stamp = new Int32Array(words.length).fill(-1);
  const done = new Set<number>();
  let step = 0;
  const wanted = vocabSize - tokens.length;
  while (tokens.length < vocabSize && heap.pop()) {
    const key = heap.top.tie;
    const count = -heap.top.key;
    const current = pairCounts.get(key) ?? 0;
    if (current !== count) {
      if (current > 0) heap.push(-current, key); // counts only fall: re-queue at the true count
      continue;
    }
    if (count < minFrequency) break;
    const left = Math.floor(key / SHIFT);
    const right = key % SHIFT;
    const merged = tokens[left]! + tokens[right]!;
    if (banned.has(merged)) continue; // never learn a special token's text as a normal token
    let id = ids.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      ids.set(merged, id);
    }
    // A pair can come back after its merge when another merge re-creates one of its (reused) tokens: apply it
    // again to the words but list it once (an encoder applies a merge wherever it finds the pair anyway).
    if (!done.has(key)) merges.push(`${tokens[left]} ${tokens[right]}`);
    done.add(key);
    step += 1;
    const fresh = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      if (stamp[w] === step) continue;
      stamp[w] = step;
      const symbols = words[w]!;
      const out: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
          out.push(id);
          i++;
        } else out.push(symbols[i]!);
      }
      if (out.length === symbols.length) continue;
      const c = wordCounts[w]!;
      for (let i = 0; i + 1 < symbols.length; i++) add(pairKey(symbols[i]!, symbols[i + 1]!), -c);
      for (let i = 0; i + 1 < out.length; i++) {
        const pair = pairKey(out[i]!, out[i + 1]!);
        add(pair, c);
        if (out[i] === id || out[i + 1] === id) {
          fresh.add(pair);
          const list = pairWords.get(pair);
          if (list) list.push(w);
          else pairWords.set(pair, [w]);
        }
      }
      words[w] = Int32Array.from(out);
    }
    pairWords.delete(key);
    for (const pair of fresh) {
      const c = pairCounts.get(pair);
      if (c !== undefined) heap.push(-c, pair);
    }
    if (onProgress && step % 256 === 0) onProgress(tokens.length - base, wanted);
  }
  onProgress?.(tokens.length - base, wanted);
  return {
    model: "gpt2",
    pre: GPT2_PRE,
    tokens,
    types: tokens.map((_, id) => (id < specials.length ? GgufTokenType.CONTROL : GgufTokenType.NORMAL)),
    scores: undefined,
    merges,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: 3,
    addBos,
    addEos: false,
    addSpacePrefix: undefined,
    chatTemplate: undefined,
  };
}
