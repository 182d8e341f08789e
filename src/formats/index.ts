// The formats layer: GGUF and safetensors readers and writers (streamed), Hugging Face checkpoint folders,
// the ggml type table and dusk's own quantizers. Imports nothing of ours but src/common.
export * from "./ggml.js";
export * from "./tensor.js";
export * from "./random-access.js";
export * from "./gguf/index.js";
export * from "./quant/index.js";
export * from "./describe.js";
export * from "./open.js";
export * from "./safetensors/index.js";
export * from "./hf/index.js";
export * from "./chat/templates.js";
