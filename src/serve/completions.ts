// POST /v1/completions: prompts as a string, strings (a batch: one choice each), token ids, or token-id arrays (a
// batch); echo + logprobs scores every prompt token (max_tokens 0: scoring only, as evaluation harnesses ask);
// answered as one JSON object or as server-sent events ending in `data: [DONE]`.
import type { Token } from "node-llama-cpp";
import {
  ContextOverflowError, completionId, generateTokens, nowSeconds, scorePrompt, tokenizePrompt, usageOf,
  type CompletionLogprobs, type FinishReason, type GenerationResult, type InferenceModel, type PromptScore,
} from "../infer/index.js";
import { ApiError } from "./errors.js";
import { generateOptions, openStream, sendJson, type HandlerContext } from "./handlers.js";
import type { CompletionPrompt, CompletionRequest } from "./schemas.js";
import { assertTokenIds } from "./tokenize.js";

/** One prompt of a request, ready to generate from. */
interface PreparedPrompt {
  /** The prompt as given when it was text. */
  text: string | undefined;
  /** What generation starts from: a text prompt's tokens (BOS first when the model wants it) or the ids as given. */
  tokens: Token[];
}

/** What one prompt produced: its choice and its token counts. */
interface PromptOutcome {
  text: string;
  finishReason: FinishReason;
  logprobs: CompletionLogprobs | null;
  promptTokens: number;
  /** Prompt tokens reused from a sequence's earlier request (generation only). */
  cachedTokens: number;
  completionTokens: number;
}

interface LogprobEntry {
  text: string;
  logprob: number | null;
  top: { text: string; logprob: number }[] | null;
}

/** Token ids are used as given (no BOS added); text is tokenized with BOS as the model's metadata asks. */
function preparePrompts(model: InferenceModel, prompt: CompletionPrompt): PreparedPrompt[] {
  if (typeof prompt === "string") return [{ text: prompt, tokens: tokenizePrompt(model, prompt) }];
  if (typeof prompt[0] === "string") return (prompt as string[]).map((text) => ({ text, tokens: tokenizePrompt(model, text) }));
  assertTokenIds(prompt, model, "prompt");
  const lists = typeof prompt[0] === "number" ? [prompt as number[]] : (prompt as number[][]);
  return lists.map((ids) => ({ text: undefined, tokens: [...ids] as Token[] }));
}

/** Rejects, before anything is generated, a prompt that cannot fit the context with what was asked of it. */
function checkLengths(prompts: readonly PreparedPrompt[], model: InferenceModel, maxTokens: number): void {
  for (const [i, prompt] of prompts.entries()) {
    const length = prompt.tokens.length;
    if (maxTokens > 0 ? length >= model.contextSize : length > model.contextSize) {
      const error = new ContextOverflowError(length, model.contextSize);
      throw new ApiError(400, prompts.length > 1 ? `prompt ${i}: ${error.message}` : error.message, { code: "context_length_exceeded", param: "prompt" });
    }
  }
}

function legacyLogprobs(entries: readonly LogprobEntry[], startOffset: number): CompletionLogprobs {
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

const scoredEntries = (score: PromptScore): LogprobEntry[] => score.pieces.map((text, i) => ({ text, logprob: score.logprobs[i] ?? null, top: score.top[i] ?? null }));

/** Runs `work` over items with at most `limit` in flight, keeping order; after a failure no new item starts. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await work(items[i] as T, i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** POST /v1/completions */
export async function handleCompletion(body: CompletionRequest, context: HandlerContext): Promise<void> {
  // one prompt failing stops the others of its batch (the client gets the error, not their answers)
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  if (context.signal.aborted) controller.abort();
  context.signal.addEventListener("abort", stop, { once: true });
  try {
    await completeAll(body, { ...context, signal: controller.signal });
  } catch (error) {
    controller.abort();
    throw error;
  } finally {
    context.signal.removeEventListener("abort", stop);
  }
}

async function completeAll(body: CompletionRequest, { model, signal, res, parallel }: HandlerContext): Promise<void> {
  const prompts = preparePrompts(model, body.prompt);
  const maxTokens = body.max_tokens ?? 16;
  const wantLogprobs = body.logprobs != null;
  const scoring = Boolean(body.echo) && wantLogprobs;
  checkLengths(prompts, model, maxTokens);
  const id = completionId("cmpl");
  const created = nowSeconds();
  const options = generateOptions(body, maxTokens, signal);
  if (wantLogprobs) options.logprobs = body.logprobs ?? 0;
  const chunk = (index: number, text: string, finish: FinishReason | null, logprobs: CompletionLogprobs | null = null): unknown => ({
    id, object: "text_completion", created, model: model.name, choices: [{ index, text, finish_reason: finish, logprobs }],
  });
  const write = body.stream ? openStream(res) : undefined;

  const run = async (prompt: PreparedPrompt, index: number): Promise<PromptOutcome | undefined> => {
    const score = scoring
      ? await scorePrompt(model, prompt.text ?? prompt.tokens, { topLogprobs: body.logprobs ?? 0, signal, ...(prompt.text === undefined ? { addBos: false } : {}) })
      : undefined;
    const echoed = body.echo ? (prompt.text ?? score?.pieces.join("") ?? model.model.detokenize(prompt.tokens, true)) : "";
    if (write && body.echo) write(chunk(index, echoed, null, score ? legacyLogprobs(scoredEntries(score), 0) : null));
    const result: GenerationResult = maxTokens > 0
      ? await generateTokens(model, prompt.tokens, write ? { ...options, onText: (text) => write(chunk(index, text, null)) } : options)
      : { text: "", finishReason: "length", promptTokens: prompt.tokens.length, cachedTokens: 0, completionTokens: 0, tokens: [], aborted: signal.aborted };
    if (result.aborted) return undefined;
    if (write) write(chunk(index, "", result.finishReason));
    const entries = [...(score ? scoredEntries(score) : []), ...(result.logprobs ?? []).map((t) => ({ text: t.text, logprob: t.logprob, top: t.top }))];
    return {
      text: echoed + result.text,
      finishReason: result.finishReason,
      logprobs: wantLogprobs ? legacyLogprobs(entries, 0) : null,
      promptTokens: result.promptTokens,
      cachedTokens: result.cachedTokens,
      completionTokens: result.completionTokens,
    };
  };

  const outcomes = await mapLimited(prompts, parallel, run);
  if (outcomes.some((o) => o === undefined) || signal.aborted) return;
  const done = outcomes as PromptOutcome[];
  const usage = usageOf(done.reduce((n, o) => n + o.promptTokens, 0), done.reduce((n, o) => n + o.completionTokens, 0), maxTokens > 0 ? done.reduce((n, o) => n + o.cachedTokens, 0) : undefined);
  if (write) {
    if (body.stream_options?.include_usage) write({ id, object: "text_completion", created, model: model.name, choices: [], usage });
    write("[DONE]");
    res.end();
    return;
  }
  const choices = done.map((o, index) => ({ index, text: o.text, finish_reason: o.finishReason, logprobs: o.logprobs }));
  sendJson(res, { id, object: "text_completion", created, model: model.name, choices, usage });
}
