// config.json and generation_config.json: validated with zod at the boundary. The Llama fields dusk relies on are
// checked (names as transformers' LlamaConfig spells them); every other field is kept as it is.
import { z } from "zod";
import { CheckpointConfigError } from "./errors.js";

const count = z.number().int().positive();

/** The fields of a Llama-family config.json that dusk reads; unknown fields pass through untouched. */
export const LlamaConfigSchema = z
  .looseObject({
    architectures: z.array(z.string()).optional(),
    model_type: z.string().optional(),
    num_hidden_layers: count,
    hidden_size: count,
    intermediate_size: count,
    num_attention_heads: count,
    num_key_value_heads: count.optional(),
    head_dim: count.optional(),
    rms_norm_eps: z.number().positive().optional(),
    rope_theta: z.number().positive().optional(),
    vocab_size: count,
    max_position_embeddings: count.optional(),
    tie_word_embeddings: z.boolean().optional(),
    torch_dtype: z.string().nullable().optional(),
    bos_token_id: z.number().int().nullable().optional(),
    eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullable().optional(),
  })
  .superRefine((config, context) => {
    const kvHeads = config.num_key_value_heads ?? config.num_attention_heads;
    if (config.num_attention_heads % kvHeads !== 0) {
      context.addIssue({
        code: "custom",
        path: ["num_key_value_heads"],
        message: `a divisor of num_attention_heads (${config.num_attention_heads})`,
        input: kvHeads,
      });
    }
    if (config.head_dim === undefined && config.hidden_size % config.num_attention_heads !== 0) {
      context.addIssue({
        code: "custom",
        path: ["hidden_size"],
        message: `a multiple of num_attention_heads (${config.num_attention_heads}) when head_dim is not given`,
        input: config.hidden_size,
      });
    }
  });

/** A validated config.json (Llama fields typed, the rest kept). */
export type LlamaConfig = z.infer<typeof LlamaConfigSchema>;

/** generation_config.json: any object; the common fields typed. */
export const GenerationConfigSchema = z.looseObject({
  bos_token_id: z.number().int().nullable().optional(),
  eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullable().optional(),
  pad_token_id: z.number().int().nullable().optional(),
  do_sample: z.boolean().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  max_length: z.number().int().optional(),
});

/** A validated generation_config.json. */
export type GenerationConfig = z.infer<typeof GenerationConfigSchema>;

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

const ARTICLE: Record<string, string> = { int: "an integer", array: "an array", object: "an object", number: "a number", string: "a string", boolean: "a boolean" };

/** What a zod issue expected, in words. */
function expectation(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return "valid";
  switch (issue.code) {
    case "invalid_type":
      return ARTICLE[issue.expected] ?? issue.expected;
    case "too_small":
      return `a number ${issue.inclusive === true ? ">=" : ">"} ${issue.minimum}`;
    case "too_big":
      return `a number ${issue.inclusive === true ? "<=" : "<"} ${issue.maximum}`;
    default:
      return issue.message;
  }
}

function validate<T>(schema: z.ZodType<T>, input: unknown, path: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") || "(root)";
  const found = valueAt(input, issue?.path ?? []);
  let shown: string;
  try {
    shown = found === undefined ? "nothing" : JSON.stringify(found);
  } catch {
    shown = typeof found;
  }
  throw new CheckpointConfigError(path, field, expectation(issue), shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
}

/** Validates a parsed config.json; `path` names the file in messages. */
export function parseLlamaConfig(input: unknown, path = "config.json"): LlamaConfig {
  return validate(LlamaConfigSchema, input, path);
}

/** Validates a parsed generation_config.json. */
export function parseGenerationConfig(input: unknown, path = "generation_config.json"): GenerationConfig {
  return validate(GenerationConfigSchema, input, path);
}
