// Chat data for training: the template a run trains with, conversations tokenized with the assistant's tokens
// marked (the loss covers only them), and greedy decoding on the engine for held-out checks.
export { DEFAULT_TRAINING_TEMPLATE, TRAINING_TEMPLATE_NAMES, resolveTrainingTemplate, type TrainingTemplate } from "./template.js";
export { encodeConversation, encodePrompt, encodeResponse, templateStops, type EncodedConversation } from "./encode.js";
export { greedyGenerate, type GreedyOptions } from "./generate.js";
