// Teacher-forced log-probabilities of every prompt token (echo + logprobs scoring) through controlledEvaluate.
import type { Token } from "node-llama-cpp";
import { IncrementalDetokenizer, tokensBefore } from "./detokenize.js";
import { ContextOverflowError } from "./errors.js";
import { tokenizePrompt } from "./generate.js";
import type { InferenceModel } from "./model.js";

/** Options of {@link scorePrompt}. */
export interface ScoreOptions {
  /** Alternatives reported per position. Defaults to 0. */
  topLogprobs?: number;
  /** Condition the first token on BOS (BOS itself is not reported). Defaults to the model's metadata. */
  addBos?: boolean;
  signal?: AbortSignal;
}

/** Per-token log-probabilities of a text; the first reported token has none unless BOS precedes it. */
export interface PromptScore {
  tokens: Token[];
  /**
   * Each token's text (special tokens spelled out); the pieces concatenate to the prompt's text. A character split
   * across tokens is the piece of the token that completes it (the tokens before it have "").
   */
  pieces: string[];
  /** log p(token_i | tokens_<i); null for the first token. */
  logprobs: (number | null)[];
  /** The most likely alternatives at each position (null for the first token), their texts read after the same tokens as the token there. */
  top: ({ token: Token; text: string; logprob: number }[] | null)[];
  /** Character offset of each token's text in the detokenized prompt. */
  offsets: number[];
}

/** Scores every token of `prompt` (text or tokens) by evaluating it once with full next-token distributions. */
export async function scorePrompt(model: InferenceModel, prompt: string | readonly Token[], { topLogprobs = 0, addBos = model.model.tokens.shouldPrependBosToken, signal }: ScoreOptions = {}): Promise<PromptScore> {
  const textTokens = typeof prompt === "string" ? tokenizePrompt(model, prompt, { addBos: false }) : [...prompt];
  const bos = model.model.tokens.bos;
  const withBos = addBos && bos !== null && textTokens[0] !== bos;
  const input = withBos ? [bos, ...textTokens] : textTokens;
  if (input.length > model.contextSize) throw new ContextOverflowError(input.length, model.contextSize);
  const score: PromptScore = { tokens: textTokens, pieces: [], logprobs: [], top: [], offsets: [] };
  const detokenizer = new IncrementalDetokenizer(model.model, { specialTokens: true });
  let offset = 0;
  for (const [i, token] of textTokens.entries()) {
    const piece = detokenizer.push(token) + (i === textTokens.length - 1 ? detokenizer.flush() : "");
    score.pieces.push(piece);
    score.offsets.push(offset);
    offset += piece.length;
  }
  if (input.length === 0) return score;
  const sequence = await model.acquireSequence(signal);
  try {
    const outputs = await sequence.controlledEvaluate(input.map((token, i) => (i < input.length - 1 ? [token, { generateNext: { probabilities: true } }] : token)));
    const shift = withBos ? 1 : 0;
    for (let i = 0; i < textTokens.length; i++) {
      // position i of textTokens is predicted by the output at input index i + shift - 1
      const source = i + shift - 1;
      if (i === 0) {
        score.logprobs.push(null);
        score.top.push(null);
        continue;
      }
      const probabilities = outputs[source]?.next.probabilities;
      const p = probabilities?.get(textTokens[i]!) ?? 0;
      score.logprobs.push(Math.log(Math.max(p, Number.MIN_VALUE)));
      const alternatives: { token: Token; text: string; logprob: number }[] = [];
      if (probabilities) {
        const before = tokensBefore(textTokens, i);
        for (const [token, q] of probabilities) {
          if (alternatives.length >= topLogprobs) break;
          alternatives.push({ token, text: model.model.detokenize([token], true, before), logprob: Math.log(Math.max(q, Number.MIN_VALUE)) });
        }
      }
      score.top.push(alternatives);
    }
  } finally {
    await model.releaseSequence(sequence);
  }
  return score;
}
