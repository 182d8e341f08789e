// The inference layer: GGUF models in node-llama-cpp, generation with sampling, grammars and stop strings, chat
// templates as data, and teacher-forced prompt scoring. Imports nothing of ours but src/common.
export { loadModel, physicalCores, getSharedLlama, keepSharedPrefix, type InferenceModel, type LoadModelOptions, type GpuLayers, type SequenceStats } from "./model.js";
export { generate, generateTokens, chat, complete, type CompleteOptions, streamTokens, tokenizePrompt, renderChatPrompt, chatLogprob, type GenerateOptions, type ChatOptions, type SamplingOptions, type GenerationResult, type TokenLogprob } from "./generate.js";
export { scorePrompt, type ScoreOptions, type PromptScore } from "./score.js";
export { IncrementalDetokenizer, tokensBefore, type IncrementalDetokenizerOptions } from "./detokenize.js";
export { TEMPLATES, TEMPLATE_NAMES, resolveTemplate, renderChat, renderFormat, type ChatMessage, type TemplateFormat, type TemplateName, type ResolvedTemplate, type RenderedPrompt } from "./templates.js";
export { StopMatcher } from "./stop.js";
export * from "./completion.js";
export * from "./errors.js";
export * from "./fast-scorer.js";
