// Incremental detokenization: the text of each new token in O(1) detokenizer calls, holding back pieces of a
// multi-byte UTF-8 character split across tokens until the character is complete (node-llama-cpp decodes an
// incomplete sequence as U+FFFD, so a token list is decoded together, never byte tokens one by one).
import type { LlamaModel, Token } from "node-llama-cpp";

/** Tokens decoded before the new ones, for the tokenizer's spacing rules (node-llama-cpp looks at 3). */
const CONTEXT_TOKENS = 3;
/**
 * Tokens held back at most while their text ends in U+FFFD. A split character needs at most 4 single-byte tokens;
 * more means invalid bytes (or a chain of tokens each completing one character and starting the next), which are
 * then released as U+FFFD so that the cost per token stays bounded.
 */
const MAX_PENDING = 32;
const REPLACEMENT = "\uFFFD";

/** Options of {@link IncrementalDetokenizer}. */
export interface IncrementalDetokenizerOptions {
  /** Spell special tokens out (e.g. `<s>`). Defaults to false. */
  specialTokens?: boolean;
  /** Tokens that precede the first one pushed (their text is not returned). Defaults to none. */
  context?: readonly Token[];
}

/**
 * Turns tokens into text one token at a time. The pieces returned by {@link push} and {@link flush} concatenate to
 * the detokenized text of all the tokens pushed (as `model.detokenize(tokens, specialTokens, context)` gives it).
 */
export class IncrementalDetokenizer {
  private readonly specialTokens: boolean;
  /** The last few tokens whose text has been returned in full. */
  private recent: Token[];
  /** Tokens whose text is not complete yet. */
  private pending: Token[] = [];
  /** Characters of the pending tokens' text already returned (the part before an incomplete character). */
  private returned = 0;

  constructor(private readonly model: LlamaModel, { specialTokens = false, context = [] }: IncrementalDetokenizerOptions = {}) {
    this.specialTokens = specialTokens;
    this.recent = context.slice(-CONTEXT_TOKENS);
  }

  /** Adds a token; returns the text that became final ("" while a character is still incomplete). */
  push(token: Token): string {
    this.pending.push(token);
    const text = this.model.detokenize(this.pending, this.specialTokens, this.recent);
    if (text.endsWith(REPLACEMENT) && this.pending.length < MAX_PENDING) {
      let end = text.length;
      while (end > this.returned && text[end - 1] === REPLACEMENT) end--;
      const piece = text.slice(this.returned, end);
      this.returned = end;
      return piece;
    }
    return this.release(text);
  }

  /** Returns the text still held back (an incomplete character shows as U+FFFD) and starts over after it. */
  flush(): string {
    if (this.pending.length === 0) return "";
    return this.release(this.model.detokenize(this.pending, this.specialTokens, this.recent));
  }

  private release(text: string): string {
    const piece = text.slice(this.returned);
    this.recent = [...this.recent, ...this.pending].slice(-CONTEXT_TOKENS);
    this.pending = [];
    this.returned = 0;
    return piece;
  }
}

/** The last few tokens before `index` in `tokens`: the context {@link LlamaModel.detokenize} wants for one token's text. */
export function tokensBefore(tokens: readonly Token[], index: number): Token[] {
  return tokens.slice(Math.max(0, index - CONTEXT_TOKENS), index);
}
