// The convert layer: Llama models between Hugging Face checkpoint folders and GGUF (tensors with the q/k rope
// permutation, F32/F16/BF16/Q8_0, config ↔ metadata) and tokenizers between their formats. Imports formats, arch.
export * from "./errors.js";
export * from "./tokenizer/index.js";
export { CONVERT_TYPES, convertTensor, type ConvertStep, type ConvertType } from "./tensors.js";
export { checkLlamaConfig, checkpointToGguf, planToGguf, type CheckpointToGgufOptions, type ToGgufPlan, type ToGgufResult } from "./to-gguf.js";
export { ggufToCheckpoint, planToCheckpoint, type CheckpointType, type GgufToCheckpointOptions, type ToCheckpointPlan, type ToCheckpointResult } from "./to-checkpoint.js";
export { convertModel, type ConvertModelOptions, type ConvertSummary } from "./convert.js";
