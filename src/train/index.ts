// The train layer: tokenizer training, data pipelines, objectives and the trainer loop. Imports engine, formats
// (and convert, for tokenizer files).
export * from "./tokenizer/index.js";
export * from "./data/index.js";
export * from "./pretrain/index.js";
