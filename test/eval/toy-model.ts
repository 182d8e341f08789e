// A tiny deterministic language model for the harness's tests: a greedy longest-match tokenizer over bytes plus a
// few multi-character pieces (so that the context/continuation split rule matters), and a bigram model whose logits
// are a fixed function of (previous token, next token), normalized by log-softmax over the whole vocabulary.
import type { Backend, GenerationRequest, SpanResult, TokenSpan } from "../../src/eval/index.js";

const PIECES = [" the", " a", " A", " B", " C", " D", "Answer:", "Question:", "\n\n", "  ", " is", "ing", "ed", "er", " of", "####", ": "];

/** Token ids: 0..255 bytes, then BOS, EOS, then the pieces. */
export const BOS = 256;
export const EOS = 257;
const FIRST_PIECE = 258;
export const VOCAB_SIZE = FIRST_PIECE + PIECES.length;

const pieceBytes = PIECES.map((p) => Buffer.from(p, "utf8"));

/** Greedy longest match: the pieces (all ASCII), else the UTF-8 bytes of one character. */
export function toyTokenize(text: string): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < text.length) {
    let best = -1;
    let bestLength = 1;
    PIECES.forEach((piece, p) => {
      if (piece.length > bestLength && text.startsWith(piece, i)) {
        best = p;
        bestLength = piece.length;
      }
    });
    if (best >= 0) {
      out.push(FIRST_PIECE + best);
      i += bestLength;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i) as number);
    out.push(...Buffer.from(char, "utf8"));
    i += char.length;
  }
  return out;
}

/** A token's text (bytes that are not ASCII print as <0xNN> so that every token has its own string). */
export function toyTokenString(token: number): string {
  if (token === BOS) return "<s>";
  if (token === EOS) return "</s>";
  if (token >= FIRST_PIECE) return PIECES[token - FIRST_PIECE] as string;
  return token < 128 ? String.fromCharCode(token) : `<0x${token.toString(16).padStart(2, "0")}>`;
}

/** Decodes tokens to text. */
export function toyDecode(tokens: readonly number[]): string {
  const bytes: number[] = [];
  for (const t of tokens) {
    if (t === BOS || t === EOS) continue;
    if (t >= FIRST_PIECE) bytes.push(...(pieceBytes[t - FIRST_PIECE] as Buffer));
    else bytes.push(t);
  }
  return Buffer.from(bytes).toString("utf8");
}

/** The bigram logit of `next` after `previous`. */
function logit(previous: number, next: number): number {
  return (((previous * 7919 + next * 104729) % 1009) / 1009) * 6 + (next === EOS ? -3 : 0);
}

const rows = new Map<number, { logprobs: Float64Array; argmax: number }>();

/** log p(next | previous) by log-softmax over the full vocabulary, and the argmax token (one row per previous token, kept). */
export function toyLogProbs(previous: number): { logprobs: Float64Array; argmax: number } {
  let row = rows.get(previous);
  if (!row) {
    row = computeRow(previous);
    rows.set(previous, row);
  }
  return row;
}

function computeRow(previous: number): { logprobs: Float64Array; argmax: number } {
  const logits = new Float64Array(VOCAB_SIZE);
  let max = -Infinity;
  let argmax = 0;
  for (let v = 0; v < VOCAB_SIZE; v++) {
    logits[v] = v === BOS ? -Infinity : logit(previous, v);
    if ((logits[v] as number) > max) {
      max = logits[v] as number;
      argmax = v;
    }
  }
  let sum = 0;
  for (let v = 0; v < VOCAB_SIZE; v++) sum += Math.exp((logits[v] as number) - max);
  const logZ = max + Math.log(sum);
  for (let v = 0; v < VOCAB_SIZE; v++) logits[v] = (logits[v] as number) - logZ;
  return { logprobs: logits, argmax };
}

/** Teacher-forced log-probability of each token of `tokens` after its predecessor (the first gets none). */
export function toyTokenLogprobs(tokens: readonly number[]): { logprob: number; greedy: boolean }[] {
  return tokens.map((token, i) => {
    if (i === 0) return { logprob: Number.NaN, greedy: false };
    const { logprobs, argmax } = toyLogProbs(tokens[i - 1] as number);
    return { logprob: logprobs[token] as number, greedy: argmax === token };
  });
}

/** Greedy generation: at most maxTokens, stopping at EOS; the text is cut at the first stop string. */
export function toyGenerate(context: readonly number[], maxTokens: number, until: readonly string[]): string {
  const produced: number[] = [];
  let previous = context.at(-1) ?? BOS;
  for (let i = 0; i < maxTokens; i++) {
    const { argmax } = toyLogProbs(previous);
    if (argmax === EOS) break;
    produced.push(argmax);
    previous = argmax;
    const text = toyDecode(produced);
    if (until.some((stop) => stop !== "" && text.includes(stop))) break;
  }
  let text = toyDecode(produced);
  for (const stop of until) if (stop !== "") text = text.split(stop)[0] ?? "";
  return text;
}

/** The toy model as an in-process Backend (counts its calls). */
export class ToyBackend implements Backend {
  readonly description = "toy bigram model";
  readonly contextLength: number | undefined;
  readonly bosToken = BOS;
  readonly eosToken = EOS;
  readonly addBosByDefault = true;
  spansScored = 0;
  generations = 0;

  constructor(contextLength?: number) {
    this.contextLength = contextLength;
  }

  tokenize(text: string): Promise<number[]> {
    return Promise.resolve(toyTokenize(text));
  }

  loglikelihood(spans: readonly TokenSpan[]): Promise<SpanResult[]> {
    this.spansScored += spans.length;
    return Promise.resolve(
      spans.map((span) => {
        // A bigram model: each continuation token depends only on the token before it.
        const window = [...span.context.slice(-1), ...span.continuation];
        const scored = toyTokenLogprobs(window).slice(1);
        return { logprob: scored.reduce((s, t) => s + t.logprob, 0), isGreedy: scored.every((t) => t.greedy) };
      }),
    );
  }

  generateUntil(requests: readonly GenerationRequest[]): Promise<string[]> {
    this.generations += requests.length;
    return Promise.resolve(requests.map((r) => toyGenerate(r.context, r.maxTokens, r.until)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
