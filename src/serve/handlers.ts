// The two generation endpoints: completions (with echo + logprobs prompt scoring) and chat completions, each answered
// as one JSON object or as server-sent events ending in `data: [DONE]`.
import type { ServerResponse } from "node:http";
import {
  chatLogprob, completionId, generateTokens, nowSeconds, renderChatPrompt, scorePrompt, tokenizePrompt, usageOf,
  type ChatMessage, type CompletionLogprobs, type GenerateOptions, type GenerationResult, type InferenceModel,
} from "../infer/index.js";
import type { ChatRequest, CompletionRequest } from "./schemas.js";

/** What a handler needs besides the body: the model, the template, and the request's abort signal. */
export interface HandlerContext {
  model: InferenceModel;
  template: string;
  signal: AbortSignal;
  res: ServerResponse;
}

type Sampling = Pick<CompletionRequest, "max_tokens" | "temperature" | "top_p" | "top_k" | "min_p" | "repeat_penalty" | "seed" | "stop">;

function generateOptions(body: Sampling, maxTokens: number | null | undefined, signal: AbortSignal): GenerateOptions {
  const out: GenerateOptions = { maxTokens: maxTokens ?? 16, signal, temperature: body.temperature ?? 1, topP: body.top_p ?? 1 };
  if (body.top_k != null) out.topK = body.top_k;
  if (body.min_p != null) out.minP = body.min_p;
  if (body.repeat_penalty != null) out.repeatPenalty = body.repeat_penalty;
  if (body.seed != null) out.seed = body.seed;
  if (body.stop != null) out.stop = typeof body.stop === "string" ? [body.stop] : body.stop;
  return out;
}

/** Starts an SSE response; returns a writer of `data:` events. */
function openStream(res: ServerResponse): (data: unknown) => void {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
  res.flushHeaders();
  return (data) => {
    if (!res.writableEnded && !res.destroyed) res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
  };
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function legacyLogprobs(entries: { text: string; logprob: number | null; top: { text: string; logprob: number }[] | null }[], startOffset: number): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let offset = startOffset;
  for (const entry of entries) {
    out.tokens.push(entry.text);
    out.token_logprobs.push(entry.logprob);
    out.top_logprobs.push(entry.top ? Object.fromEntries(entry.top.map((t) => [t.text, t.logprob])) : null);
    out.text_offset.push(offset);
    offset += entry.text.length;
  }
  return out;
}

/** POST /v1/completions */
export async function handleCompletion(body: CompletionRequest, { model, signal, res }: HandlerContext): Promise<void> {
  const prompt = typeof body.prompt === "string" ? body.prompt : body.prompt[0]!;
  const id = completionId("cmpl");
  const created = nowSeconds();
  const options = generateOptions(body, body.max_tokens, signal);
  const wantLogprobs = body.logprobs != null;
  const promptTokens = tokenizePrompt(model, prompt);
  const score = body.echo && wantLogprobs ? await scorePrompt(model, prompt, { topLogprobs: body.logprobs ?? 0, signal }) : undefined;
  if (wantLogprobs) options.logprobs = body.logprobs ?? 0;
  const chunk = (text: string, finish: GenerationResult["finishReason"] | null, logprobs: CompletionLogprobs | null = null): unknown => ({
    id, object: "text_completion", created, model: model.name, choices: [{ index: 0, text, finish_reason: finish, logprobs }],
  });
  if (body.stream) {
    const write = openStream(res);
    if (body.echo) write(chunk(prompt, null, score ? legacyLogprobs(score.pieces.map((text, i) => ({ text, logprob: score.logprobs[i] ?? null, top: score.top[i] ?? null })), 0) : null));
    const result = await generateTokens(model, promptTokens, { ...options, onText: (text) => write(chunk(text, null)) });
    if (result.aborted) return;
    write(chunk("", result.finishReason));
    if (body.stream_options?.include_usage) write({ id, object: "text_completion", created, model: model.name, choices: [], usage: usageOf(result.promptTokens, result.completionTokens) });
    write("[DONE]");
    res.end();
    return;
  }
  const result = await generateTokens(model, promptTokens, options);
  if (result.aborted) return;
  let logprobs: CompletionLogprobs | null = null;
  if (wantLogprobs) {
    const entries = [
      ...(score ? score.pieces.map((text, i) => ({ text, logprob: score.logprobs[i] ?? null, top: score.top[i] ?? null })) : []),
      ...(result.logprobs ?? []).map((t) => ({ text: t.text, logprob: t.logprob, top: t.top })),
    ];
    logprobs = legacyLogprobs(entries, 0);
  }
  const text = body.echo ? prompt + result.text : result.text;
  sendJson(res, { id, object: "text_completion", created, model: model.name, choices: [{ index: 0, text, finish_reason: result.finishReason, logprobs }], usage: usageOf(result.promptTokens, result.completionTokens) });
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
    if (body.stream_options?.include_usage) write({ ...base, choices: [], usage: usageOf(result.promptTokens, result.completionTokens) });
    write("[DONE]");
    res.end();
    return;
  }
  const result = await generateTokens(model, prompt.tokens, options);
  if (result.aborted) return;
  sendJson(res, {
    id, object: "chat.completion", created, model: model.name,
    choices: [{ index: 0, message: { role: "assistant", content: result.text }, finish_reason: result.finishReason, logprobs: result.logprobs ? { content: result.logprobs.map(chatLogprob) } : null }],
    usage: usageOf(result.promptTokens, result.completionTokens),
  });
}
