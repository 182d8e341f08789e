// Turning string requests into token requests, as the 2023 harness did: trailing whitespace of the context moves
// to the front of the continuation; the whole string is encoded, the context alone is encoded, and the continuation is
// the whole encoding minus the first len(context) tokens. BOS per profile; left truncation to the model's context.
import { pyRstrip } from "./pystr.js";

/** The tokenizer a backend exposes. `tokenize` adds no special tokens; the tokenizer's own normalization applies. */
export interface Tokenizer {
  tokenize(text: string): Promise<number[]>;
  /** The beginning-of-sequence token, if the vocabulary has one. */
  readonly bosToken: number | undefined;
  /** The end-of-sequence token, if the vocabulary has one. */
  readonly eosToken: number | undefined;
  /** Whether the model's tokenizer adds BOS by default (tokenizer.ggml.add_bos_token; Llama-family: true). */
  readonly addBosByDefault: boolean;
}

/** One scored span: the continuation's tokens after the context's. */
export interface TokenSpan {
  context: number[];
  continuation: number[];
}

/** A log-likelihood request after tokenization: one span, or several whose sums add up (llama.cpp's Winogrande). */
export interface TokenizedLoglikelihood {
  kind: "loglikelihood";
  spans: TokenSpan[];
}

/** A generation request after tokenization. */
export interface TokenizedGenerate {
  kind: "generate";
  context: number[];
  until: string[];
  maxTokens: number;
}

/** A request after tokenization. */
export type TokenizedRequest = TokenizedLoglikelihood | TokenizedGenerate;

/** Prepends BOS when asked and the vocabulary has one. */
export function withBos(tokens: number[], tokenizer: Pick<Tokenizer, "bosToken">, addBos: boolean): number[] {
  return addBos && tokenizer.bosToken !== undefined ? [tokenizer.bosToken, ...tokens] : tokens;
}

/** Moves the context's trailing whitespace (Python's rstrip) to the front of the continuation. */
export function moveTrailingWhitespace(context: string, continuation: string): [string, string] {
  const stripped = pyRstrip(context);
  const spaces = context.slice(stripped.length);
  return spaces === "" ? [context, continuation] : [stripped, spaces + continuation];
}

/**
 * The 2023 harness's _encode_pair: whole = encode(context + continuation), contextTokens = encode(context),
 * continuation = whole[len(contextTokens):] (no check that the prefix matches). An empty context becomes one
 * end-of-text token (BOS when BOS is on), as the harness did.
 */
export async function encodePair(tokenizer: Tokenizer, context: string, continuation: string, addBos: boolean): Promise<TokenSpan> {
  if (context === "") {
    const start = addBos ? tokenizer.bosToken : tokenizer.eosToken;
    return { context: start === undefined ? [] : [start], continuation: await tokenizer.tokenize(continuation) };
  }
  const [ctx, cont] = moveTrailingWhitespace(context, continuation);
  const whole = withBos(await tokenizer.tokenize(ctx + cont), tokenizer, addBos);
  const contextTokens = withBos(await tokenizer.tokenize(ctx), tokenizer, addBos);
  return { context: contextTokens, continuation: whole.slice(contextTokens.length) };
}

/**
 * Cuts a span from the left so that the model sees at most maxLength tokens: the harness fed
 * (context + continuation)[-(maxLength + 1):][:-1] and scored the whole continuation.
 */
export function truncateSpan(span: TokenSpan, maxLength: number | undefined): TokenSpan {
  if (maxLength === undefined) return span;
  const excess = span.context.length + span.continuation.length - (maxLength + 1);
  if (excess <= 0) return span;
  return { context: span.context.slice(Math.min(excess, span.context.length)), continuation: span.continuation };
}

/** A generation context cut from the left to leave room for maxTokens new tokens. */
export function truncateGenerationContext(context: number[], maxTokens: number, maxLength: number | undefined): number[] {
  if (maxLength === undefined) return context;
  const room = Math.max(1, maxLength - maxTokens);
  return context.length > room ? context.slice(context.length - room) : context;
}
