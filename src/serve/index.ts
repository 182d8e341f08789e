// The serve layer: an OpenAI-compatible HTTP server (models, completions, chat completions, health, llama.cpp's
// tokenize/detokenize) over infer/.
export { createServer, type ServerOptions, type ServedModel, type DuskServer } from "./server.js";
export { ApiError, ListenError } from "./errors.js";
export { completionRequest, completionPrompt, chatRequest, tokenizeRequest, detokenizeRequest, checkTokenIds, MAX_PROMPTS, type CompletionPrompt, type CompletionRequest, type ChatRequest, type TokenizeRequest, type DetokenizeRequest } from "./schemas.js";
export { vocabularySize } from "./tokenize.js";
