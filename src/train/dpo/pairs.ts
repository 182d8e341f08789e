// Preference pairs as token rows: the prompt rendered with the template up to its generation prompt, then the
// chosen or the rejected answer (its text, the template's closing text and EOS), targets only on the answer's
// tokens. A micro-batch of k pairs is 2k rows (chosen, rejected, chosen, ...) padded to the longest; the sum of a
// row's token log-probabilities is the sequence log-probability DPO compares.
import type { LlamaModel, ModelBatch } from "../../engine/index.js";
import { encodePrompt, encodeResponse, type TrainingTemplate } from "../chat/index.js";
import type { PreferencePair } from "../examples/index.js";
import type { TooLongPolicy } from "../loop/index.js";
import type { ByteLevelBpeTokenizer } from "../tokenizer/index.js";

/** A tokenized pair. */
export interface EncodedPair {
  readonly prompt: readonly number[];
  readonly chosen: readonly number[];
  readonly rejected: readonly number[];
  readonly index: number;
  readonly where: string;
}

/** A pair that did not fit, and what became of it. */
export interface PairLengthProblem {
  readonly index: number;
  readonly where: string;
  readonly tokens: number;
  readonly action: "truncated" | "skipped";
}

/** Tokenizes pairs with a template. */
export function encodePairs(pairs: readonly PreferencePair[], template: TrainingTemplate, tokenizer: ByteLevelBpeTokenizer): EncodedPair[] {
  return pairs.map((p) => ({
    prompt: encodePrompt(p.prompt, template, tokenizer), chosen: encodeResponse(p.chosen, template, tokenizer), rejected: encodeResponse(p.rejected, template, tokenizer),
    index: p.index, where: p.where,
  }));
}

/**
 * Applies the length policy to pairs: a pair fits when prompt + the longer answer is at most `maxLength` tokens.
 * Truncating cuts the answers' ends (a pair is skipped instead when an answer would lose every token).
 */
export function fitPairs(pairs: readonly EncodedPair[], maxLength: number, policy: TooLongPolicy): { kept: EncodedPair[]; problems: PairLengthProblem[] } {
  const kept: EncodedPair[] = [], problems: PairLengthProblem[] = [];
  for (const pair of pairs) {
    const longest = pair.prompt.length + Math.max(pair.chosen.length, pair.rejected.length);
    if (longest <= maxLength) {
      kept.push(pair);
      continue;
    }
    const room = maxLength - pair.prompt.length;
    const usable = policy === "truncate" && room >= 1;
    problems.push({ index: pair.index, where: pair.where, tokens: longest, action: usable ? "truncated" : "skipped" });
    if (usable) kept.push({ ...pair, chosen: pair.chosen.slice(0, room), rejected: pair.rejected.slice(0, room) });
  }
  return { kept, problems };
}

/** The rows of pairs as a batch: chosen and rejected of each pair in turn, targets on the answers. */
export function pairBatch(pairs: readonly EncodedPair[], seqLen: number, padId: number): ModelBatch {
  const rows = pairs.flatMap((p) => [[p.prompt, p.chosen], [p.prompt, p.rejected]] as const);
  const longest = Math.max(...rows.map(([prompt, answer]) => prompt.length + answer.length));
  const T = Math.min(seqLen, Math.ceil(longest / 16) * 16);
  const B = rows.length;
  const tokens = new Int32Array(B * T).fill(padId), targets = new Int32Array(B * T).fill(-1);
  rows.forEach(([prompt, answer], b) => {
    const sequence = [...prompt, ...answer].slice(0, T);
    tokens.set(sequence, b * T);
    // Position i predicts token i+1: the answer's tokens are predicted from prompt.length - 1 on.
    for (let i = Math.max(0, prompt.length - 1); i + 1 < sequence.length; i++) targets[b * T + i] = sequence[i + 1] as number;
  });
  return { tokens, targets, batchSize: B, seqLen: T };
}

/** Sum of each row's target log-probabilities after a forward pass with targets. */
export function rowLogProbs(tokenLosses: Float32Array, batch: ModelBatch): Float64Array {
  const { batchSize: B, seqLen: T } = batch;
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let sum = 0;
    for (let t = 0; t < T; t++) sum -= tokenLosses[b * T + t] as number;
    out[b] = sum;
  }
  return out;
}

/** Sequence log-probabilities [chosen, rejected] of every pair under a model, in batches of `batchSize` pairs. */
export function pairLogProbs(model: LlamaModel, pairs: readonly EncodedPair[], { batchSize, seqLen, padId }: { batchSize: number; seqLen: number; padId: number }): Float64Array {
  const out = new Float64Array(pairs.length * 2);
  for (let i = 0; i < pairs.length; i += batchSize) {
    const batch = pairBatch(pairs.slice(i, i + batchSize), seqLen, padId);
    const { tokenLosses } = model.forward(batch);
    out.set(rowLogProbs(tokenLosses, batch), i * 2);
  }
  return out;
}
