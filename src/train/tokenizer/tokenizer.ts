// dusk's byte-level BPE tokenizer: encode text to token ids and decode ids to text exactly as llama.cpp does for a
// GGUF "gpt2" tokenizer with the "gpt-2" pre-tokenizer (special tokens split out first, longest first; each word's
// bytes merged by merge rank, lowest first, leftmost among equals), so training data and inference agree.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { openGguf } from "../../formats/index.js";
import {
  GGUF_TOKENIZER_FILE,
  GPT2_PRE,
  GgufTokenType,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_JSON_FILE,
  UnsupportedTokenizerError,
  vocabFromGgufMetadata,
  vocabFromHfTokenizer,
  type TokenizerVocab,
} from "../../convert/index.js";
import { BYTE_TO_CHAR, CHAR_TO_BYTE, pretokenize } from "./byte-level.js";
import { MinHeap } from "./heap.js";

const SHIFT = 2 ** 21;
const CACHE_LIMIT = 100_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Options of {@link ByteLevelBpeTokenizer.encode}. */
export interface EncodeOptions {
  /** Put BOS first. Defaults to false (as node-llama-cpp's tokenize; the vocabulary's addBos says what models expect). */
  addBos?: boolean;
  /** Put EOS last. Defaults to false. */
  addEos?: boolean;
  /** Turn special token texts in the input (e.g. "<|im_end|>") into their ids. Defaults to true. */
  specialTokens?: boolean;
}

/** Options of {@link ByteLevelBpeTokenizer.decode}. */
export interface DecodeOptions {
  /** Leave special tokens out of the text. Defaults to false. */
  skipSpecialTokens?: boolean;
}

/** A byte-level BPE tokenizer built from a GGUF-style vocabulary ("gpt2" model, "gpt-2" pre-tokenizer). */
export class ByteLevelBpeTokenizer {
  private readonly ids = new Map<string, number>();
  private readonly byteIds = new Int32Array(256);
  /** Pair key → merge rank and → merged token id. */
  private readonly ranks = new Map<number, number>();
  private readonly results = new Map<number, number>();
  private readonly special: { id: number; text: string }[];
  private readonly specialIds: Set<number>;
  private readonly tokenBytes: Uint8Array[];
  private readonly cache = new Map<string, readonly number[]>();

  private constructor(readonly vocab: TokenizerVocab) {
    const { tokens, types, merges } = vocab;
    tokens.forEach((token, id) => {
      if (!this.ids.has(token)) this.ids.set(token, id);
    });
    for (let byte = 0; byte < 256; byte++) {
      const id = this.ids.get(BYTE_TO_CHAR[byte]!);
      if (id === undefined) throw new UnsupportedTokenizerError(`expected a token for every byte but byte ${byte} (${JSON.stringify(BYTE_TO_CHAR[byte])}) has none`);
      this.byteIds[byte] = id;
    }
    (merges ?? []).forEach((merge, rank) => {
      const at = merge.indexOf(" ", 1);
      const left = this.ids.get(merge.slice(0, at));
      const right = this.ids.get(merge.slice(at + 1));
      const result = this.ids.get(merge.slice(0, at) + merge.slice(at + 1));
      if (at < 0 || left === undefined || right === undefined || result === undefined) {
        throw new UnsupportedTokenizerError(`expected merge ${rank} ${JSON.stringify(merge)} to join two tokens into a third but its parts are not all in the vocabulary`);
      }
      const key = left * SHIFT + right;
      if (!this.ranks.has(key)) {
        this.ranks.set(key, rank);
        this.results.set(key, result);
      }
    });
    // Special tokens as llama.cpp finds them in text: control and user-defined tokens, longest first.
    this.special = tokens
      .map((text, id) => ({ id, text, type: types[id] }))
      .filter((t) => t.type === GgufTokenType.CONTROL || t.type === GgufTokenType.USER_DEFINED || t.type === GgufTokenType.UNKNOWN)
      .sort((a, b) => b.text.length - a.text.length || a.id - b.id)
      .map(({ id, text }) => ({ id, text }));
    this.specialIds = new Set(this.special.map((t) => t.id));
    this.tokenBytes = tokens.map((token, id) => {
      if (this.specialIds.has(id)) return encoder.encode(token);
      const bytes: number[] = [];
      for (const char of token) {
        const byte = CHAR_TO_BYTE.get(char);
        if (byte === undefined) bytes.push(...encoder.encode(char));
        else bytes.push(byte);
      }
      return Uint8Array.from(bytes);
    });
  }

  /** A tokenizer for a "gpt2" vocabulary with GPT-2's pre-tokenizer. */
  static fromVocab(vocab: TokenizerVocab): ByteLevelBpeTokenizer {
    if (vocab.model !== "gpt2" || (vocab.pre !== undefined && vocab.pre !== GPT2_PRE && vocab.pre !== "default")) {
      throw new UnsupportedTokenizerError(`expected a byte-level BPE ("gpt2" with pre-tokenizer "${GPT2_PRE}") but found "${vocab.model}"${vocab.pre ? ` with "${vocab.pre}"` : ""}`, "dusk's encoder handles its own tokenizers and GPT-2 style ones");
    }
    return new ByteLevelBpeTokenizer(vocab);
  }

  get size(): number {
    return this.vocab.tokens.length;
  }
  get bosId(): number | undefined {
    return this.vocab.bosId;
  }
  get eosId(): number | undefined {
    return this.vocab.eosId;
  }
  get padId(): number | undefined {
    return this.vocab.padId;
  }

  /** The id of a token's text, or undefined. */
  tokenId(text: string): number | undefined {
    return this.ids.get(text);
  }

  /** Whether an id is a special token. */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** Encodes text to token ids. */
  encode(text: string, { addBos = false, addEos = false, specialTokens = true }: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if (addBos && this.vocab.bosId !== undefined) out.push(this.vocab.bosId);
    for (const part of specialTokens ? this.splitSpecial(text) : [text]) {
      if (typeof part === "number") out.push(part);
      else for (const word of pretokenize(part)) for (const id of this.encodeWord(word)) out.push(id);
    }
    if (addEos && this.vocab.eosId !== undefined) out.push(this.vocab.eosId);
    return out;
  }

  /** Decodes token ids to text (bytes that are not valid UTF-8 become U+FFFD). */
  decode(ids: readonly number[], { skipSpecialTokens = false }: DecodeOptions = {}): string {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const id of ids) {
      const bytes = this.tokenBytes[id];
      if (bytes === undefined) throw new UnsupportedTokenizerError(`expected token ids below ${this.size} but got ${id}`, "the ids come from another tokenizer");
      if (skipSpecialTokens && this.specialIds.has(id)) continue;
      parts.push(bytes);
      length += bytes.length;
    }
    const all = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    return decoder.decode(all);
  }

  /** Splits text into plain parts and special token ids, as llama.cpp's tokenizer_st_partition does. */
  private splitSpecial(text: string): (string | number)[] {
    let parts: (string | number)[] = [text];
    for (const { id, text: special } of this.special) {
      if (!text.includes(special)) continue;
      const next: (string | number)[] = [];
      for (const part of parts) {
        if (typeof part === "number") {
          next.push(part);
          continue;
        }
        const pieces = part.split(special);
        pieces.forEach((piece, i) => {
          if (i > 0) next.push(id);
          if (piece.length > 0) next.push(piece);
        });
      }
      parts = next;
    }
    return parts;
  }

  /** The ids of one pre-tokenized word: its bytes, merged lowest rank first (leftmost among equal ranks). */
  private encodeWord(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const bytes = encoder.encode(word);
    const n = bytes.length;
    const ids = Int32Array.from(bytes, (b) => this.byteIds[b]!);
    const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const heap = new MinHeap();
    const offer = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const rank = this.ranks.get(ids[left]! * SHIFT + ids[right]!);
      if (rank !== undefined) heap.push(rank, left, right, ids[left]! * SHIFT + ids[right]!);
    };
    for (let i = 0; i + 1 < n; i++) offer(i, i + 1);
    while (heap.pop()) {
      const { tie: left, a: right, b: key } = heap.top;
      // Stale when either side has merged since: the pair at (left, right) is no longer the one queued.
      if (next[left] !== right || ids[left]! * SHIFT + ids[right]! !== key) continue;
      ids[left] = this.results.get(key)!;
      const after = next[right]!;
      next[left] = after;
      if (after >= 0) prev[after] = left;
      ids[right] = -1;
      offer(prev[left]!, left);
      offer(left, after);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
    if (n === 0) out.length = 0;
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, out);
    return out;
  }
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/**
 * Loads a byte-level BPE tokenizer from a .gguf file (its tokenizer metadata), a tokenizer.json file, or a folder
 * holding tokenizer.gguf or tokenizer.json (with tokenizer_config.json).
 */
export async function loadTokenizer(path: string): Promise<ByteLevelBpeTokenizer> {
  const info = await stat(path);
  if (info.isDirectory()) {
    if (await exists(join(path, GGUF_TOKENIZER_FILE))) return loadTokenizer(join(path, GGUF_TOKENIZER_FILE));
    const configPath = join(path, TOKENIZER_CONFIG_FILE);
    const tokenizerConfig = (await exists(configPath)) ? (JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>) : undefined;
    const tokenizerJson: unknown = JSON.parse(await readFile(join(path, TOKENIZER_JSON_FILE), "utf8"));
    return ByteLevelBpeTokenizer.fromVocab(vocabFromHfTokenizer({ tokenizerJson, tokenizerConfig }, join(path, TOKENIZER_JSON_FILE)));
  }
  if (/\.json$/i.test(path)) return ByteLevelBpeTokenizer.fromVocab(vocabFromHfTokenizer({ tokenizerJson: JSON.parse(await readFile(path, "utf8")) as unknown }, path));
  const model = await openGguf(path);
  try {
    return ByteLevelBpeTokenizer.fromVocab(vocabFromGgufMetadata(model.metadata, path));
  } finally {
    await model.close();
  }
}
