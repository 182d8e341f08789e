// Tokenizers between formats: GGUF `tokenizer.ggml.*` metadata, Hugging Face tokenizer files (tokenizer.json,
// tokenizer_config.json, special_tokens_map.json, tokenizer.model) and the vocab-only tokenizer.gguf.
export * from "./constants.js";
export * from "./vocab.js";
export * from "./sentencepiece.js";
export { vocabToTokenizerJson, vocabToTokenizerConfig, type HfAddedToken } from "./to-hf.js";
export { vocabFromHfTokenizer, type HfTokenizerFiles } from "./from-hf.js";
export * from "./files.js";
