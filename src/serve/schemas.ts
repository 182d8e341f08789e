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
  /** llama-server's field: reuse a kept prompt start (default true); false reads the whole prompt. */
  cache_prompt: z.boolean().nullish(),
  stop,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, "only n = 1 is supported").nullish(),
  user: z.string().nullish(),
};

/** Prompts per completions request at most (each is one choice). */
export const MAX_PROMPTS = 1024;
const tokenId = z.number({ error: "expected token ids to be numbers" }).int("expected token ids to be whole numbers").min(0, "expected token ids ≥ 0");
const tokenIds = z.array(tokenId).min(1, "expected at least one token id");
const PROMPT_ITEMS = {
  string: { schema: z.string(), name: "strings" },
  number: { schema: tokenId, name: "token ids" },
  array: { schema: tokenIds, name: "token-id arrays" },
} as const;

/** The prompt forms OpenAI's completions API accepts. */
export type CompletionPrompt = string | string[] | number[] | number[][];

/**
 * A completions prompt as OpenAI allows it: a string, strings (a batch), token ids (one prompt), or token-id arrays (a
 * batch). Token ids are checked against the model's vocabulary by {@link checkTokenIds} once the model is known.
 */
export const completionPrompt = z
  .unknown()
  .superRefine((value, ctx) => {
    if (typeof value === "string") return;
    if (Array.isArray(value) && value.length === 0) {
      ctx.addIssue({ code: "custom", message: "expected at least one prompt" });
      return;
    }
    const kind = Array.isArray(value) ? (Array.isArray(value[0]) ? "array" : typeof value[0]) : undefined;
    const form = PROMPT_ITEMS[kind as keyof typeof PROMPT_ITEMS] as (typeof PROMPT_ITEMS)[keyof typeof PROMPT_ITEMS] | undefined;
    if (!Array.isArray(value) || !form) {
      ctx.addIssue({ code: "custom", message: "expected a string, or an array of strings, of token ids or of token-id arrays" });
      return;
    }
    if (kind !== "number" && value.length > MAX_PROMPTS) ctx.addIssue({ code: "custom", message: `expected at most ${MAX_PROMPTS} prompts per request but found ${value.length}` });
    for (const [i, item] of (value as unknown[]).entries()) {
      const parsed = form.schema.safeParse(item);
      if (parsed.success) continue;
      const issue = parsed.error.issues[0];
      const sameKind = (Array.isArray(item) ? "array" : typeof item) === kind;
      const message = sameKind ? (issue?.message ?? "invalid") : `expected every item to be one of the ${form.name} (as the first is)`;
      ctx.addIssue({ code: "custom", path: [i, ...(issue?.path ?? [])], message });
      return;
    }
  })
  .transform((value) => value as CompletionPrompt);

/** POST /v1/completions */
export const completionRequest = z.object({
  ...sampling,
  prompt: completionPrompt,
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

/** POST /tokenize (llama.cpp's server): text to token ids. */
export const tokenizeRequest = z.object({
  /** Defaults to the first model served. */
  model: z.string().min(1).nullish(),
  content: z.string(),
  /** Add BOS (and EOS) as the model's metadata asks. Defaults to false. */
  add_special: z.boolean().nullish(),
  /** Parse special-token text such as `<s>`. Defaults to true (as llama.cpp). */
  parse_special: z.boolean().nullish(),
  /** Answer `[{id, piece}]` instead of ids. Defaults to false. */
  with_pieces: z.boolean().nullish(),
});

/** POST /detokenize (llama.cpp's server): token ids to text. */
export const detokenizeRequest = z.object({
  model: z.string().min(1).nullish(),
  tokens: z.array(tokenId),
});

const rangeSchemas = new Map<number, { flat: z.ZodType<unknown>; nested: z.ZodType<unknown> }>();

/**
 * Checks the token ids of a parsed prompt (or a /detokenize body's tokens) against a vocabulary of `vocabularySize`;
 * returns the path (e.g. "1.3") and message of the first id out of range, or undefined when all are in range.
 */
export function checkTokenIds(prompt: CompletionRequest["prompt"], vocabularySize: number): { path: string; message: string } | undefined {
  if (typeof prompt === "string" || prompt.length === 0 || typeof prompt[0] === "string") return undefined;
  let schemas = rangeSchemas.get(vocabularySize);
  if (!schemas) {
    const id = z.number().max(vocabularySize - 1, `expected token ids below the vocabulary size ${vocabularySize}`);
    schemas = { flat: z.array(id), nested: z.array(z.array(id)) };
    rangeSchemas.set(vocabularySize, schemas);
  }
  const parsed = (Array.isArray(prompt[0]) ? schemas.nested : schemas.flat).safeParse(prompt);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return { path: (issue?.path ?? []).map(String).join("."), message: issue?.message ?? "invalid token id" };
}

export type TokenizeRequest = z.infer<typeof tokenizeRequest>;
export type DetokenizeRequest = z.infer<typeof detokenizeRequest>;
