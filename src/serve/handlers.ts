// Chat completions, answered as one JSON object or as server-sent events ending in `data: [DONE]`, and the helpers
// the completions endpoint (completions.ts) shares: sampling options, SSE streams, JSON answers.
import type { ServerResponse } from "node:http";
import {
  chatLogprob, completionId, generateTokens, nowSeconds, renderChatPrompt, usageOf,
  type ChatMessage, type GenerateOptions, type InferenceModel,
} from "../infer/index.js";
import type { ChatRequest, CompletionRequest } from "./schemas.js";

/** What a handler needs besides the body: the model, the template, the request's abort signal, the response. */
export interface HandlerContext {
  model: InferenceModel;
  template: string;
  signal: AbortSignal;
  res: ServerResponse;
  /** Prompts of one batch generated at once (the model's sequences). */
  parallel: number;
}

type Sampling = Pick<CompletionRequest, "max_tokens" | "temperature" | "top_p" | "top_k" | "min_p" | "repeat_penalty" | "seed" | "cache_prompt" | "stop">;

/** Generation options from a request's sampling fields, with OpenAI's defaults (16 tokens, temperature 1, top_p 1). */
export function generateOptions(body: Sampling, maxTokens: number | null | undefined, signal: AbortSignal): GenerateOptions {
  const out: GenerateOptions = { maxTokens: maxTokens ?? 16, signal, temperature: body.temperature ?? 1, topP: body.top_p ?? 1 };
  if (body.top_k != null) out.topK = body.top_k;
  if (body.min_p != null) out.minP = body.min_p;
  if (body.repeat_penalty != null) out.repeatPenalty = body.repeat_penalty;
  if (body.seed != null) out.seed = body.seed;
  if (body.cache_prompt != null) out.cachePrompt = body.cache_prompt;
  if (body.stop != null) out.stop = typeof body.stop === "string" ? [body.stop] : body.stop;
  return out;
}

/** Starts an SSE response; returns a writer of `data:` events. */
export function openStream(res: ServerResponse): (data: unknown) => void {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
  res.flushHeaders();
  return (data) => {
    if (!res.writableEnded && !res.destroyed) res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
  };
}

/** Answers 200 with a JSON body. */
export function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function toMessages(body: ChatRequest): ChatMessage[] {
  return body.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content: typeof m.content === "string" ? m.content : (m.content ?? []).map((part) => part.text).join(""),
  }));
}

/** POST /v1/chat/completions */
export async function handleChat(body: ChatRequest, { model, template, signal, res }: HandlerContext): Promise<void> {
  const id = completionId("chatcmpl");
  const created = nowSeconds();
  const prompt = renderChatPrompt(model, toMessages(body), template);
  const options = generateOptions(body, body.max_completion_tokens ?? body.max_tokens, signal);
  options.stop = [...(options.stop ?? []), ...prompt.stop];
  if (body.logprobs) options.logprobs = body.top_logprobs ?? 0;
  const base = { id, object: "chat.completion.chunk", created, model: model.name };
  if (body.stream) {
    const write = openStream(res);
    write({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null, logprobs: null }] });
    const result = await generateTokens(model, prompt.tokens, { ...options, onText: (text) => write({ ...base, choices: [{ index: 0, delta: { content: text }, finish_reason: null, logprobs: null }] }) });
    if (result.aborted) return;
    write({ ...base, choices: [{ index: 0, delta: {}, finish_reason: result.finishReason, logprobs: null }] });
    if (body.stream_options?.include_usage) write({ ...base, choices: [], usage: usageOf(result.promptTokens, result.completionTokens, result.cachedTokens) });
    write("[DONE]");
    res.end();
    return;
  }
  const result = await generateTokens(model, prompt.tokens, options);
  if (result.aborted) return;
  sendJson(res, {
    id, object: "chat.completion", created, model: model.name,
    choices: [{ index: 0, message: { role: "assistant", content: result.text }, finish_reason: result.finishReason, logprobs: result.logprobs ? { content: result.logprobs.map(chatLogprob) } : null }],
    usage: usageOf(result.promptTokens, result.completionTokens, result.cachedTokens),
  });
}
