// Hugging Face checkpoint folders: config.json (validated), generation_config.json, tokenizer files and
// safetensors weights (single or sharded) read as one TensorSource, and written back as transformers writes them.
export * from "./constants.js";
export * from "./errors.js";
export { GenerationConfigSchema, LlamaConfigSchema, parseGenerationConfig, parseLlamaConfig } from "./config.js";
export type { GenerationConfig, LlamaConfig as HfLlamaConfig } from "./config.js";
export { Checkpoint, SafetensorsIndexSchema, openCheckpoint } from "./checkpoint.js";
export type { CheckpointTensorInfo, SafetensorsIndex } from "./checkpoint.js";
export { toCheckpointJson } from "./json.js";
export { planShards, writeCheckpoint } from "./write.js";
export type { ShardPlan, WriteCheckpointOptions, WrittenCheckpoint } from "./write.js";
