// A tokenizer as GGUF stores it (tokenizer.ggml.*), in typed form: the pivot between GGUF metadata, Hugging Face
// tokenizer files and dusk's own byte-level BPE. Reading and writing the GGUF keys.
import { GgufValueType, gguf, ggufStringText, metadataArray, metadataNumber, metadataString, type GgufMetadata, type GgufValue } from "../../formats/index.js";
import { UnsupportedTokenizerError } from "../errors.js";
import { GgufTokenType, TOKENIZER_MODELS, TokenizerKeys, type TokenizerModel } from "./constants.js";

/** A tokenizer vocabulary with what llama.cpp needs to tokenize like the original. */
export interface TokenizerVocab {
  /** "gpt2" (byte-level BPE with merges) or "llama" (SentencePiece BPE with scores). */
  readonly model: TokenizerModel;
  /** llama.cpp's pre-tokenizer name (`tokenizer.ggml.pre`): "gpt-2" for GPT-2's regex, "default" for "llama". */
  readonly pre: string | undefined;
  /** Token texts by id ("gpt2": byte-level characters, "llama": pieces with ▁ for spaces). */
  readonly tokens: readonly string[];
  /** Token types by id ({@link GgufTokenType}). */
  readonly types: readonly number[];
  /** Piece scores by id ("llama"; higher merges first). */
  readonly scores: readonly number[] | undefined;
  /** Merges in rank order, each "left right" ("gpt2"). */
  readonly merges: readonly string[] | undefined;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly unkId: number | undefined;
  readonly padId: number | undefined;
  /** Whether BOS is put before each text. */
  readonly addBos: boolean;
  /** Whether EOS is put after each text. */
  readonly addEos: boolean;
  /** "llama": whether a space is put before the text (SentencePiece's add_dummy_prefix). */
  readonly addSpacePrefix: boolean | undefined;
  /** A Jinja chat template, if any. */
  readonly chatTemplate: string | undefined;
}

function stringItems(meta: GgufMetadata, key: string): string[] | undefined {
  const array = metadataArray(meta, key);
  if (!array) return undefined;
  if (array.itemType !== GgufValueType.STRING) throw new UnsupportedTokenizerError(`expected ${key} to be an array of strings but found item type ${array.itemType}`);
  return array.items.map(ggufStringText);
}

function numberItems(meta: GgufMetadata, key: string): number[] | undefined {
  const array = metadataArray(meta, key);
  if (!array) return undefined;
  if (array.itemType === GgufValueType.STRING || array.itemType === GgufValueType.ARRAY) throw new UnsupportedTokenizerError(`expected ${key} to be a numeric array but found strings or arrays`);
  return Array.from(array.items as ArrayLike<number | bigint>, Number);
}

function bool(meta: GgufMetadata, key: string): boolean | undefined {
  const entry = meta.get(key);
  return entry?.type === GgufValueType.BOOL ? entry.value : undefined;
}

/** Reads the `tokenizer.*` metadata of a GGUF; `where` names the file in errors. */
export function vocabFromGgufMetadata(meta: GgufMetadata, where = "the GGUF"): TokenizerVocab {
  const model = metadataString(meta, TokenizerKeys.MODEL);
  if (model === undefined || !(TOKENIZER_MODELS as readonly string[]).includes(model)) {
    throw new UnsupportedTokenizerError(`expected ${where} to have tokenizer.ggml.model "gpt2" or "llama" but found ${model === undefined ? "none" : `"${model}"`}`);
  }
  const tokens = stringItems(meta, TokenizerKeys.TOKENS);
  if (!tokens || tokens.length === 0) throw new UnsupportedTokenizerError(`expected ${where} to have tokenizer.ggml.tokens but found none`);
  const types = numberItems(meta, TokenizerKeys.TOKEN_TYPE) ?? tokens.map(() => GgufTokenType.NORMAL);
  const scores = numberItems(meta, TokenizerKeys.SCORES);
  const merges = stringItems(meta, TokenizerKeys.MERGES);
  if (types.length !== tokens.length || (scores && scores.length !== tokens.length)) {
    throw new UnsupportedTokenizerError(`expected ${where} to have one token type${scores ? " and score" : ""} per token (${tokens.length}) but found ${types.length}${scores ? ` and ${scores.length}` : ""}`);
  }
  if (model === "gpt2" && !merges) throw new UnsupportedTokenizerError(`expected ${where} to have tokenizer.ggml.merges for a "gpt2" tokenizer but found none`);
  const id = (key: string): number | undefined => metadataNumber(meta, key);
  return {
    model: model as TokenizerModel,
    pre: metadataString(meta, TokenizerKeys.PRE),
    tokens,
    types,
    scores,
    merges,
    bosId: id(TokenizerKeys.BOS_ID),
    eosId: id(TokenizerKeys.EOS_ID),
    unkId: id(TokenizerKeys.UNK_ID),
    padId: id(TokenizerKeys.PAD_ID),
    // llama.cpp's defaults when the keys are absent: "llama" adds BOS, "gpt2" does not.
    addBos: bool(meta, TokenizerKeys.ADD_BOS) ?? model === "llama",
    addEos: bool(meta, TokenizerKeys.ADD_EOS) ?? false,
    addSpacePrefix: bool(meta, TokenizerKeys.ADD_SPACE_PREFIX),
    chatTemplate: metadataString(meta, TokenizerKeys.CHAT_TEMPLATE),
  };
}

/** The `tokenizer.*` metadata of a vocabulary, in the order llama.cpp's writer uses. */
export function vocabToGgufMetadata(vocab: TokenizerVocab): GgufMetadata {
  const entries: [string, GgufValue | undefined][] = [
    [TokenizerKeys.MODEL, gguf.str(vocab.model)],
    [TokenizerKeys.PRE, vocab.pre === undefined ? undefined : gguf.str(vocab.pre)],
    [TokenizerKeys.TOKENS, gguf.strings([...vocab.tokens])],
    [TokenizerKeys.SCORES, vocab.scores === undefined ? undefined : gguf.f32s(vocab.scores)],
    [TokenizerKeys.TOKEN_TYPE, gguf.i32s(vocab.types)],
    [TokenizerKeys.MERGES, vocab.merges === undefined ? undefined : gguf.strings([...vocab.merges])],
    [TokenizerKeys.BOS_ID, vocab.bosId === undefined ? undefined : gguf.u32(vocab.bosId)],
    [TokenizerKeys.EOS_ID, vocab.eosId === undefined ? undefined : gguf.u32(vocab.eosId)],
    [TokenizerKeys.UNK_ID, vocab.unkId === undefined ? undefined : gguf.u32(vocab.unkId)],
    [TokenizerKeys.PAD_ID, vocab.padId === undefined ? undefined : gguf.u32(vocab.padId)],
    [TokenizerKeys.ADD_BOS, gguf.bool(vocab.addBos)],
    [TokenizerKeys.ADD_EOS, gguf.bool(vocab.addEos)],
    [TokenizerKeys.ADD_SPACE_PREFIX, vocab.addSpacePrefix === undefined ? undefined : gguf.bool(vocab.addSpacePrefix)],
    [TokenizerKeys.CHAT_TEMPLATE, vocab.chatTemplate === undefined ? undefined : gguf.str(vocab.chatTemplate)],
  ];
  return new Map(entries.filter((entry): entry is [string, GgufValue] => entry[1] !== undefined));
}

/** The ids of tokens that Hugging Face lists as added tokens: control, unknown and user-defined ones. */
export function addedTokenIds(vocab: TokenizerVocab): number[] {
  const ids: number[] = [];
  vocab.types.forEach((type, id) => {
    if (type === GgufTokenType.CONTROL || type === GgufTokenType.UNKNOWN || type === GgufTokenType.USER_DEFINED) ids.push(id);
  });
  return ids;
}
