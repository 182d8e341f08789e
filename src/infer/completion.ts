// OpenAI-style completion objects (text_completion, chat.completion and their stream chunks) built from a generation.
import { randomBytes } from "node:crypto";

/** Why a generation ended: a stop string or end-of-generation token, or the token limit. */
export type FinishReason = "stop" | "length";

/** Token counts of one request. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Of the prompt tokens, those a sequence already held from an earlier request (OpenAI's cached_tokens). */
  prompt_tokens_details?: { cached_tokens: number };
}

/** OpenAI legacy completions logprobs. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

/** One alternative token with its log-probability. */
export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

/** OpenAI chat logprobs of one generated token. */
export interface ChatTokenLogprob extends TopLogprob {
  top_logprobs: TopLogprob[];
}

export interface TextCompletion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: FinishReason | null; logprobs: CompletionLogprobs | null }[];
  usage: Usage;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: { index: number; message: { role: "assistant"; content: string }; finish_reason: FinishReason; logprobs: { content: ChatTokenLogprob[] } | null }[];
  usage: Usage;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: { index: number; delta: { role?: "assistant"; content?: string }; finish_reason: FinishReason | null; logprobs: { content: ChatTokenLogprob[] } | null }[];
  usage?: Usage;
}

/** A fresh id such as `cmpl-3f9a…` or `chatcmpl-…`. */
export function completionId(prefix: "cmpl" | "chatcmpl"): string {
  return `${prefix}-${randomBytes(12).toString("hex")}`;
}

/** Seconds since the epoch, as OpenAI's `created`. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function usageOf(promptTokens: number, completionTokens: number, cachedTokens?: number): Usage {
  const usage: Usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  if (cachedTokens !== undefined) usage.prompt_tokens_details = { cached_tokens: cachedTokens };
  return usage;
}
