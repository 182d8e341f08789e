// Tokenizer training: dusk's byte-level BPE (GPT-2 style, tokenizing exactly as llama.cpp's "gpt-2" pre-tokenizer),
// its trainer, encoder/decoder, special tokens and the bundled corpora it trains on.
export { ALPHABET, BYTE_TO_CHAR, CHAR_TO_BYTE, byteEncode, pretokenize } from "./byte-level.js";
export { CORE_SPECIAL_TOKENS, DEFAULT_CHAT_MARKERS, type SpecialToken } from "./specials.js";
export { WordCounter, specialTokenStrings, splitOnSpecials, trainByteLevelBpe, type TrainBpeOptions } from "./trainer.js";
export { ByteLevelBpeTokenizer, loadTokenizer, type DecodeOptions, type EncodeOptions } from "./tokenizer.js";
export { BUNDLED_CORPORA, CorpusNotInstalledError, isBundledCorpus, readBundledCorpus, readCorpus, stripBrownTags, type BundledCorpus } from "./corpus.js";
export { trainTokenizer, type TrainTokenizerOptions, type TrainTokenizerResult } from "./train.js";
