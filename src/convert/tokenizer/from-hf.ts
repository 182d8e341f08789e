// A GGUF vocabulary from Hugging Face tokenizer files: tokenizer.json (byte-level BPE → "gpt2"; SentencePiece-style
// BPE with byte fallback, as Llama 2 checkpoints ship it → "llama"), with tokenizer_config.json for the special
// tokens and, for "llama", the exact scores and types of tokenizer.model when the folder has one.
import { UnsupportedTokenizerError } from "../errors.js";
import { GPT2_PRE, GPT2_SPLIT_REGEX, GgufTokenType, SPIECE_UNDERLINE } from "./constants.js";
import { parseSentencePieceModel, scoresFromMerges } from "./sentencepiece.js";
import type { TokenizerVocab } from "./vocab.js";

/** The tokenizer files of a checkpoint folder, parsed. */
export interface HfTokenizerFiles {
  /** tokenizer.json, parsed. */
  readonly tokenizerJson: unknown;
  /** tokenizer_config.json, parsed, if present. */
  readonly tokenizerConfig?: Readonly<Record<string, unknown>> | undefined;
  /** tokenizer.model bytes, if present. */
  readonly sentencePieceModel?: Uint8Array | undefined;
  /** config.json's bos_token_id / eos_token_id, used when tokenizer_config.json does not name the tokens. */
  readonly modelConfig?: { readonly bos_token_id?: unknown; readonly eos_token_id?: unknown } | undefined;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** The components of a (possibly Sequence) pre-tokenizer, normalizer or decoder. */
function components(value: unknown, listKey: string): Json[] {
  if (!isObject(value)) return [];
  if (value.type === "Sequence" && Array.isArray(value[listKey])) return (value[listKey] as unknown[]).filter(isObject);
  return [value];
}

/** The text of a special token as tokenizer_config.json names it (a string or an AddedToken object). */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (isObject(value) && typeof value.content === "string") return value.content;
  return undefined;
}

/** Which GGUF pre-tokenizer a byte-level BPE's pre_tokenizer is, or an error naming what was found. */
function bytePre(preTokenizer: unknown): string {
  const parts = components(preTokenizer, "pretokenizers");
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only && only.type === "ByteLevel" && only.use_regex !== false) return GPT2_PRE;
  if (parts.length === 2 && parts[0]?.type === "Split" && parts[1]?.type === "ByteLevel" && parts[1].use_regex === false) {
    const pattern = parts[0].pattern;
    if (isObject(pattern) && pattern.Regex === GPT2_SPLIT_REGEX) return GPT2_PRE;
  }
  throw new UnsupportedTokenizerError(`expected a byte-level BPE whose pre_tokenizer is GPT-2's (ByteLevel with use_regex) but found ${JSON.stringify(preTokenizer).slice(0, 160)}`);
}

/** The merges of tokenizer.json (strings "a b" or pairs ["a", "b"]) as GGUF strings "a b". */
function mergeStrings(merges: unknown): string[] {
  if (!Array.isArray(merges)) throw new UnsupportedTokenizerError(`expected tokenizer.json model.merges to be an array but found ${typeof merges}`);
  return merges.map((merge, index) => {
    if (typeof merge === "string") return merge;
    if (Array.isArray(merge) && merge.length === 2 && typeof merge[0] === "string" && typeof merge[1] === "string") {
      if (merge[0].includes(" ") || merge[0] === "") throw new UnsupportedTokenizerError(`expected merge ${index} to have a left part without spaces (GGUF stores "left right") but found ${JSON.stringify(merge)}`);
      return `${merge[0]} ${merge[1]}`;
    }
    throw new UnsupportedTokenizerError(`expected merge ${index} to be "left right" or ["left", "right"] but found ${JSON.stringify(merge).slice(0, 80)}`);
  });
}

interface Collected {
  tokens: string[];
  added: Map<number, { special: boolean }>;
  /** Ids that neither the vocab nor the added tokens name. */
  gaps: Set<number>;
}

/** Tokens by id from the BPE vocab and the added tokens; gaps are filled with "[PAD{id}]" (as llama.cpp does). */
function collectTokens(model: Json, addedList: unknown): Collected {
  const vocab = model.vocab;
  if (!isObject(vocab)) throw new UnsupportedTokenizerError("expected tokenizer.json model.vocab to be an object of token → id but found none");
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(vocab)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) throw new UnsupportedTokenizerError(`expected the id of token ${JSON.stringify(token)} to be a non-negative integer but found ${JSON.stringify(id)}`);
    byId.set(id, token);
  }
  const added = new Map<number, { special: boolean }>();
  for (const entry of Array.isArray(addedList) ? addedList : []) {
    if (!isObject(entry) || typeof entry.id !== "number" || typeof entry.content !== "string") continue;
    const existing = byId.get(entry.id);
    if (existing !== undefined && existing !== entry.content) {
      throw new UnsupportedTokenizerError(`expected added token ${entry.id} to be ${JSON.stringify(existing)} as in the vocab but found ${JSON.stringify(entry.content)}`);
    }
    byId.set(entry.id, entry.content);
    added.set(entry.id, { special: entry.special === true });
  }
  let size = 0;
  for (const id of byId.keys()) size = Math.max(size, id + 1);
  const gaps = new Set<number>();
  const tokens = Array.from({ length: size }, (_, id) => {
    const token = byId.get(id);
    if (token !== undefined) return token;
    gaps.add(id);
    return `[PAD${id}]`;
  });
  return { tokens, added, gaps };
}

function specialId(ids: Map<string, number>, config: Readonly<Record<string, unknown>> | undefined, key: string, fallback: unknown): number | undefined {
  const content = tokenContent(config?.[key]);
  if (content !== undefined) return ids.get(content);
  return typeof fallback === "number" && Number.isInteger(fallback) ? fallback : undefined;
}

/** Whether the post_processor's single-sequence template starts (or ends) with the given token. */
function templateAdds(postProcessor: unknown, token: string | undefined, at: "start" | "end"): boolean | undefined {
  const template = components(postProcessor, "processors").find((part) => part.type === "TemplateProcessing");
  if (!template || !Array.isArray(template.single) || token === undefined) return undefined;
  const items = template.single as unknown[];
  const item = at === "start" ? items[0] : items.at(-1);
  return isObject(item) && isObject(item.SpecialToken) && item.SpecialToken.id === token;
}

const BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;

/**
 * Reads a tokenizer from Hugging Face files into a GGUF vocabulary. A byte-level BPE becomes "gpt2" with GPT-2's
 * pre-tokenizer; a BPE with byte_fallback becomes "llama", with tokenizer.model's scores and types when given, else
 * scores derived from the merge order ({@link scoresFromMerges}).
 */
export function vocabFromHfTokenizer({ tokenizerJson, tokenizerConfig, sentencePieceModel, modelConfig }: HfTokenizerFiles, where = "tokenizer.json"): TokenizerVocab {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) throw new UnsupportedTokenizerError(`expected ${where} to hold a tokenizer with a "model" object but found none`);
  const model = tokenizerJson.model;
  const modelType = model.type ?? (model.merges !== undefined ? "BPE" : undefined);
  if (modelType !== "BPE") throw new UnsupportedTokenizerError(`expected ${where} to hold a BPE tokenizer but found model type ${JSON.stringify(modelType)}`);
  const byteFallback = model.byte_fallback === true;
  const byteLevel = [...components(tokenizerJson.pre_tokenizer, "pretokenizers"), ...components(tokenizerJson.decoder, "decoders")].some((part) => part.type === "ByteLevel");
  const { tokens, added, gaps } = collectTokens(model, tokenizerJson.added_tokens);
  const ids = new Map<string, number>();
  tokens.forEach((token, id) => {
    if (!ids.has(token)) ids.set(token, id);
  });
  const merges = mergeStrings(model.merges ?? []);
  const bosId = specialId(ids, tokenizerConfig, "bos_token", modelConfig?.bos_token_id);
  const eosId = specialId(ids, tokenizerConfig, "eos_token", Array.isArray(modelConfig?.eos_token_id) ? modelConfig.eos_token_id[0] : modelConfig?.eos_token_id);
  const unkContent = typeof model.unk_token === "string" ? model.unk_token : tokenContent(tokenizerConfig?.unk_token);
  const unkId = unkContent === undefined ? undefined : ids.get(unkContent);
  const padId = specialId(ids, tokenizerConfig, "pad_token", undefined);
  const flag = (key: string): boolean | undefined => (typeof tokenizerConfig?.[key] === "boolean" ? (tokenizerConfig[key]) : undefined);
  const bosText = bosId === undefined ? undefined : tokens[bosId];
  const eosText = eosId === undefined ? undefined : tokens[eosId];
  const template = typeof tokenizerConfig?.chat_template === "string" ? tokenizerConfig.chat_template : undefined;
  const typeOfToken = (id: number): number => {
    const addedToken = added.get(id);
    if (addedToken) return id === unkId && !byteLevel ? GgufTokenType.UNKNOWN : addedToken.special ? GgufTokenType.CONTROL : GgufTokenType.USER_DEFINED;
    if (gaps.has(id)) return GgufTokenType.UNUSED;
    return GgufTokenType.NORMAL;
  };

  if (byteLevel && !byteFallback) {
    return {
      model: "gpt2",
      pre: bytePre(tokenizerJson.pre_tokenizer),
      tokens,
      types: tokens.map((_, id) => typeOfToken(id)),
      scores: undefined,
      merges,
      bosId,
      eosId,
      unkId,
      padId,
      addBos: flag("add_bos_token") ?? templateAdds(tokenizerJson.post_processor, bosText, "start") ?? false,
      addEos: flag("add_eos_token") ?? templateAdds(tokenizerJson.post_processor, eosText, "end") ?? false,
      addSpacePrefix: undefined,
      chatTemplate: template,
    };
  }
  if (!byteFallback) {
    throw new UnsupportedTokenizerError(`expected ${where} to hold a byte-level BPE (ByteLevel pre-tokenizer) or a SentencePiece BPE (byte_fallback: true) but found neither`);
  }
  // SentencePiece-style: spaces become ▁ (a Prepend normalizer or a Metaspace pre-tokenizer adds the leading one).
  const normalizers = components(tokenizerJson.normalizer, "normalizers");
  const metaspace = components(tokenizerJson.pre_tokenizer, "pretokenizers").find((part) => part.type === "Metaspace");
  const prepends = normalizers.some((part) => part.type === "Prepend" && part.prepend === SPIECE_UNDERLINE) || (metaspace !== undefined && metaspace.prepend_scheme !== "never" && metaspace.add_prefix_space !== false);
  let types = tokens.map((token, id) => {
    const type = typeOfToken(id);
    if (id === unkId) return GgufTokenType.UNKNOWN;
    return type === GgufTokenType.NORMAL && BYTE_PIECE.test(token) ? GgufTokenType.BYTE : type;
  });
  let scores: number[];
  let addSpacePrefix = prepends;
  if (sentencePieceModel) {
    const proto = parseSentencePieceModel(sentencePieceModel);
    proto.pieces.forEach((piece, id) => {
      if (tokens[id] !== undefined && tokens[id] !== piece) throw new UnsupportedTokenizerError(`expected tokenizer.model and ${where} to agree but token ${id} is ${JSON.stringify(piece)} in one and ${JSON.stringify(tokens[id])} in the other`);
    });
    scores = tokens.map((_, id) => (id < proto.pieces.length ? proto.scores[id]! : -1000));
    types = types.map((type, id) => (id < proto.pieces.length ? proto.types[id]! : type));
    addSpacePrefix = proto.addDummyPrefix;
  } else {
    const pairs = merges.map((merge) => {
      const at = merge.indexOf(" ", 1);
      return [merge.slice(0, at), merge.slice(at + 1)] as const;
    });
    scores = scoresFromMerges(tokens, types, pairs);
  }
  return {
    model: "llama",
    pre: "default",
    tokens,
    types,
    scores,
    merges: undefined,
    bosId,
    eosId,
    unkId,
    padId,
    addBos: flag("add_bos_token") ?? templateAdds(tokenizerJson.post_processor, bosText, "start") ?? true,
    addEos: flag("add_eos_token") ?? templateAdds(tokenizerJson.post_processor, eosText, "end") ?? false,
    // llama.cpp prepends a space by default; the key is written only when the tokenizer does not.
    addSpacePrefix: addSpacePrefix ? undefined : false,
    chatTemplate: template,
  };
}
