// Request bodies of the OpenAI-compatible endpoints, validated with zod at the boundary.
import { z } from "zod";

const stop = z.union([z.string(), z.array(z.string()).max(64, "at most 64 stop strings")]).nullish();
const sampling = {
  model: z.string().min(1),
  max_tokens: z.number().int().min(0).max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repeat_penalty: z.number().gt(0).max(10).nullish(),
  seed: z.number().int().nullish(),
  stop,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, "only n = 1 is supported").nullish(),
  user: z.string().nullish(),
};

/** POST /v1/completions */
export const completionRequest = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).length(1, "exactly one prompt per request")]),
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.boolean().nullish(),
});

const content = z.union([z.string(), z.array(z.object({ type: z.literal("text"), text: z.string() }))]);

/** POST /v1/chat/completions */
export const chatRequest = z.object({
  ...sampling,
  max_completion_tokens: z.number().int().min(0).max(1_000_000).nullish(),
  messages: z.array(z.object({ role: z.enum(["system", "developer", "user", "assistant"]), content: content.nullish() })).min(1).max(10_000),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});

export type CompletionRequest = z.infer<typeof completionRequest>;
export type ChatRequest = z.infer<typeof chatRequest>;
