// The serve layer: an OpenAI-compatible HTTP server (models, completions, chat completions, health) over infer/.
export { createServer, type ServerOptions, type ServedModel, type DuskServer } from "./server.js";
export { ApiError } from "./errors.js";
export { completionRequest, chatRequest, type CompletionRequest, type ChatRequest } from "./schemas.js";
