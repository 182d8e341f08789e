// A small SentencePiece-style vocabulary that dusk builds itself, so tiny test models tokenize real text without
// any third-party file: <unk>, <s>, </s>, the 256 byte-fallback tokens, every printable ASCII character, and the
// prefixes of a few hundred common English words (so llama.cpp's SPM merges find them). Written as GGUF
// `tokenizer.ggml.*` metadata with model "llama".
import { gguf, type GgufMetadata } from "../formats/index.js";

/** llama.cpp token types (enum llama_token_type / gguf-py TokenType). */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

const WORDS = (
  "the of and to a in is it you that he was for on are with as I his they be at one have this from or had by hot word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find any new work part take get place made live where after back little only round man year came show every good me give our under name very through just form sentence great think say help low line differ turn cause much mean before move right boy old too same tell does set three want air well also play small end put home read hand port large spell add even land here must big high such follow act why ask men change went light kind off need house picture try us again animal point mother world near build self earth father " +
  "User Assistant System ### answer question model layer scale depth solar llama token train"
).split(" ");

/** Builds the vocabulary: tokens, scores and types, in id order. */
export function buildTinyVocab(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TokenType.BYTE);
  }
  const pieces = new Set<string>();
  for (let code = 33; code < 127; code++) pieces.add(String.fromCharCode(code));
  pieces.add("\u2581");
  for (const word of WORDS) {
    const piece = `\u2581${word}`;
    for (let length = 2; length <= piece.length; length++) pieces.add(piece.slice(0, length));
  }
  const scores: number[] = tokens.map(() => 0);
  // Longer pieces get higher scores so that SPM prefers merging into whole words.
  const ordered = [...pieces].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  ordered.forEach((piece, rank) => {
    tokens.push(piece);
    scores.push(-ordered.length + rank);
    types.push(TokenType.NORMAL);
  });
  return { tokens, scores, types };
}

/** The vocabulary as GGUF tokenizer metadata (SPM, BOS added, EOS not). */
export function tinyTokenizerMetadata(): GgufMetadata {
  const { tokens, scores, types } = buildTinyVocab();
  return new Map([
    ["tokenizer.ggml.model", gguf.str("llama")],
    ["tokenizer.ggml.pre", gguf.str("default")],
    ["tokenizer.ggml.tokens", gguf.strings(tokens)],
    ["tokenizer.ggml.scores", gguf.f32s(scores)],
    ["tokenizer.ggml.token_type", gguf.i32s(types)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(1)],
    ["tokenizer.ggml.eos_token_id", gguf.u32(2)],
    ["tokenizer.ggml.unknown_token_id", gguf.u32(0)],
    ["tokenizer.ggml.add_bos_token", gguf.bool(true)],
    ["tokenizer.ggml.add_eos_token", gguf.bool(false)],
  ]);
}
