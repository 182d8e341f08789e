// Hugging Face tokenizer files from a GGUF vocabulary: tokenizer.json (the `tokenizers` library's format, laid out
// as transformers' converters lay out GPT-2 style byte-level BPE and Llama 2's SentencePiece BPE),
// tokenizer_config.json and special_tokens_map.json.
import { UnsupportedTokenizerError } from "../errors.js";
import { GPT2_PRE, GgufTokenType, SPIECE_UNDERLINE } from "./constants.js";
import { generateMerges } from "./sentencepiece.js";
import { addedTokenIds, type TokenizerVocab } from "./vocab.js";

/** One entry of tokenizer.json's `added_tokens`. */
export interface HfAddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

function addedTokens(vocab: TokenizerVocab): HfAddedToken[] {
  return addedTokenIds(vocab).map((id) => ({
    id,
    content: vocab.tokens[id]!,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: vocab.types[id] !== GgufTokenType.USER_DEFINED,
  }));
}

/** TemplateProcessing that puts BOS and/or EOS around each sequence, or undefined when neither is added. */
function templateProcessor(vocab: TokenizerVocab): Record<string, unknown> | undefined {
  const bos = vocab.addBos && vocab.bosId !== undefined ? vocab.tokens[vocab.bosId] : undefined;
  const eos = vocab.addEos && vocab.eosId !== undefined ? vocab.tokens[vocab.eosId] : undefined;
  if (bos === undefined && eos === undefined) return undefined;
  const sequence = (id: "A" | "B", typeId: number): unknown[] => [
    ...(bos !== undefined ? [{ SpecialToken: { id: bos, type_id: typeId } }] : []),
    { Sequence: { id, type_id: typeId } },
    ...(eos !== undefined ? [{ SpecialToken: { id: eos, type_id: typeId } }] : []),
  ];
  const special: Record<string, unknown> = {};
  if (bos !== undefined) special[bos] = { id: bos, ids: [vocab.bosId], tokens: [bos] };
  if (eos !== undefined) special[eos] = { id: eos, ids: [vocab.eosId], tokens: [eos] };
  return { type: "TemplateProcessing", single: sequence("A", 0), pair: [...sequence("A", 0), ...sequence("B", 1)], special_tokens: special };
}

function vocabObject(vocab: TokenizerVocab): Record<string, number> {
  const out: Record<string, number> = {};
  vocab.tokens.forEach((token, id) => {
    if (!Object.hasOwn(out, token)) out[token] = id;
  });
  return out;
}

/** tokenizer.json of a byte-level BPE ("gpt2" with GPT-2's pre-tokenizer). */
function byteLevelJson(vocab: TokenizerVocab): Record<string, unknown> {
  if (vocab.pre !== GPT2_PRE && vocab.pre !== undefined) {
    throw new UnsupportedTokenizerError(`expected a byte-level BPE with pre-tokenizer "${GPT2_PRE}" but found "${vocab.pre}": its split regex has no tokenizer.json form in dusk yet`, "the tokenizer stays in tokenizer.gguf beside the weights");
  }
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocab),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: templateProcessor(vocab) ?? { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: vocabObject(vocab),
      merges: vocab.merges ?? [],
    },
  };
}

/** tokenizer.json of a SentencePiece BPE ("llama"), as transformers' LlamaConverter writes it (legacy layout). */
function sentencePieceJson(vocab: TokenizerVocab): Record<string, unknown> {
  const scores = vocab.scores ?? vocab.tokens.map(() => 0);
  const merges = generateMerges(vocab.tokens, scores).map(([left, right]) => `${left} ${right}`);
  const unk = vocab.unkId === undefined ? null : (vocab.tokens[vocab.unkId] ?? null);
  const replaceSpace = { type: "Replace", pattern: { String: " " }, content: SPIECE_UNDERLINE };
  const prefix = vocab.addSpacePrefix ?? true;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocab),
    normalizer: prefix ? { type: "Sequence", normalizers: [{ type: "Prepend", prepend: SPIECE_UNDERLINE }, replaceSpace] } : replaceSpace,
    pre_tokenizer: null,
    post_processor: templateProcessor(vocab) ?? null,
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: SPIECE_UNDERLINE }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        ...(prefix ? [{ type: "Strip", content: " ", start: 1, stop: 0 }] : []),
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: vocabObject(vocab),
      merges,
    },
  };
}

/** The tokenizer.json object of a vocabulary. Throws {@link UnsupportedTokenizerError} when it has no such form. */
export function vocabToTokenizerJson(vocab: TokenizerVocab): Record<string, unknown> {
  return vocab.model === "gpt2" ? byteLevelJson(vocab) : sentencePieceJson(vocab);
}

/** tokenizer_config.json and special_tokens_map.json of a vocabulary, as transformers writes them. */
export function vocabToTokenizerConfig(vocab: TokenizerVocab): { tokenizerConfig: Record<string, unknown>; specialTokensMap: Record<string, string> } {
  const named: Record<string, string> = {};
  const name = (key: string, id: number | undefined): void => {
    const token = id === undefined ? undefined : vocab.tokens[id];
    if (token !== undefined) named[key] = token;
  };
  name("bos_token", vocab.bosId);
  name("eos_token", vocab.eosId);
  name("unk_token", vocab.unkId);
  name("pad_token", vocab.padId);
  const decoder: Record<string, unknown> = {};
  for (const token of addedTokens(vocab)) {
    const { id, ...rest } = token;
    decoder[String(id)] = rest;
  }
  const tokenizerConfig: Record<string, unknown> = {
    add_bos_token: vocab.addBos,
    add_eos_token: vocab.addEos,
    added_tokens_decoder: decoder,
    clean_up_tokenization_spaces: false,
    ...named,
    tokenizer_class: vocab.model === "llama" ? "LlamaTokenizer" : "PreTrainedTokenizerFast",
    // No add_prefix_space: transformers would then rebuild the fast tokenizer from tokenizer.model.
    ...(vocab.model === "llama" ? { legacy: true } : {}),
    ...(vocab.chatTemplate !== undefined ? { chat_template: vocab.chatTemplate } : {}),
  };
  return { tokenizerConfig, specialTokensMap: named };
}
