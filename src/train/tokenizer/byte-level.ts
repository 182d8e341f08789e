// GPT-2's byte-level alphabet and pre-tokenizer. Every byte maps to one printable character (bytes_to_unicode:
// printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards in byte order), so a vocabulary
// of strings covers all bytes. Text is split into words with GPT-2's regex exactly as llama.cpp's "gpt-2"
// pre-tokenizer does (unicode.cpp, unicode_regex_split_custom_gpt2): whitespace is Unicode White_Space (what
// llama.cpp's table lists, unlike JavaScript's \s, which adds U+FEFF and omits U+0085).

/** The character each byte stands for (index = byte). */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const chars: string[] = [];
  let next = 0;
  for (let b = 0; b < 256; b++) chars.push(String.fromCodePoint(printable(b) ? b : 256 + next++));
  return chars;
})();

/** The byte each alphabet character stands for. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((char, byte) => [char, byte]));

/** The 256 alphabet characters in code point order (the order base tokens get their ids, as in GPT-2). */
export const ALPHABET: readonly string[] = [...BYTE_TO_CHAR].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);

/**
 * GPT-2's split regex with Unicode White_Space for \s: contractions, an optional space plus letters, plus numbers,
 * plus other symbols, whitespace not followed by a non-space, and any remaining whitespace.
 */
const SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** Splits text into words as GPT-2 (and llama.cpp's "gpt-2" pre-tokenizer) does. The words concatenate to the text. */
export function pretokenize(text: string): string[] {
  return text.match(SPLIT) ?? [];
}

const encoder = new TextEncoder();

/** A word as alphabet characters (its UTF-8 bytes mapped through {@link BYTE_TO_CHAR}). */
export function byteEncode(word: string): string {
  let out = "";
  for (const byte of encoder.encode(word)) out += BYTE_TO_CHAR[byte]!;
  return out;
}
