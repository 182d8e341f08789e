// Tiny generated models for tests and the demo: random weights, chosen dimensions, a real tokenizer.
export * from "./generate.js";
export * from "./vocab.js";
