// The train layer: tokenizer training, data pipelines, objectives and the trainer loop. Imports engine, formats
// (and convert, for tokenizer files).
export * from "./tokenizer/index.js";
export * from "./data/index.js";
export * from "./pretrain/index.js";
export * from "./examples/index.js";
export * from "./chat/index.js";
export * from "./loop/index.js";
export * from "./sft/index.js";
export * from "./dpo/index.js";
