// llama.cpp's perplexity-tool scoring (--hellaswag, --winogrande) expressed as token spans. Each choice is
// tokenized whole (with BOS); the choices' common token prefix is evaluated once; llama.cpp reads log-probabilities
// from a batch laid out as [last prefix token, choice 0 tokens after the prefix, choice 1 tokens, ...]. We replay
// which logits each scored token used (including the Winogrande case its source marks FIXME) and turn them into spans.
import { DataFormatError } from "./errors.js";
import { withBos, type TokenSpan, type Tokenizer, type TokenizedLoglikelihood } from "./tokenize.js";
import type { LoglikelihoodRequest } from "./tasks/types.js";

/** Winogrande: the choice word is skipped only when both endings have more than this many tokens after the prefix. */
const K_MIN_TRAILING_CTX = 3;

/** Number of leading tokens all sequences share. */
export function commonPrefixLength(sequences: readonly (readonly number[])[]): number {
  const first = sequences[0] ?? [];
  const shortest = Math.min(...sequences.map((s) => s.length));
  let n = 0;
  while (n < shortest && sequences.every((s) => s[n] === first[n])) n++;
  return n;
}

/** One scored token: the batch logits row it used and the token whose log-probability was read. */
interface ScoredToken {
  logitsIndex: number;
  token: number;
}

/**
 * Maps a row of llama.cpp's per-task logits to (sequence, position): row 0 is the last common-prefix token,
 * then each sequence's tokens from the prefix on, sequence after sequence.
 */
function rowToPosition(sequences: readonly (readonly number[])[], prefix: number, row: number): [number, number] {
  if (row === 0) return [0, prefix - 1];
  let offset = 1;
  for (let s = 0; s < sequences.length; s++) {
    const count = (sequences[s] as number[]).length - prefix;
    if (row < offset + count) return [s, prefix + (row - offset)];
    offset += count;
  }
  throw new RangeError(`logits row ${row} outside the task's batch`);
}

/** Groups scored tokens into spans: consecutive tokens that continue the same sequence share one span. */
function toSpans(sequences: readonly (readonly number[])[], prefix: number, scored: readonly ScoredToken[]): TokenSpan[] {
  const spans: TokenSpan[] = [];
  let open: { sequence: number; position: number; span: TokenSpan } | undefined;
  for (const { logitsIndex, token } of scored) {
    const [s, position] = rowToPosition(sequences, prefix, logitsIndex);
    const sequence = sequences[s] as number[];
    const continues = open !== undefined && open.sequence === s && open.position + 1 === position && sequence[position] === open.span.continuation.at(-1);
    if (open && continues && sequence[position + 1] === token) {
      open.span.continuation.push(token);
      open.position = position;
      continue;
    }
    open = { sequence: s, position, span: { context: sequence.slice(0, position + 1), continuation: [token] } };
    spans.push(open.span);
  }
  return spans;
}

async function tokenizeWhole(tokenizer: Tokenizer, texts: readonly string[], addBos: boolean): Promise<number[][]> {
  return Promise.all(texts.map(async (t) => withBos(await tokenizer.tokenize(t), tokenizer, addBos)));
}

function requirePrefix(prefix: number, task: string): void {
  if (prefix === 0) {
    throw new DataFormatError(task, "choices that share at least one token (llama.cpp adds BOS)", "no common prefix", {
      hint: "use --bos with the llamacpp profile, or a tokenizer that has a BOS token",
    });
  }
}

/**
 * HellaSwag as llama.cpp scores it: tokens of context + " " + ending, common prefix of the four; each ending's score is
 * the mean log-probability of its tokens from the prefix on.
 */
export async function encodeLlamaCppHellaswag(tokenizer: Tokenizer, requests: readonly LoglikelihoodRequest[], addBos: boolean): Promise<TokenizedLoglikelihood[]> {
  const sequences = await tokenizeWhole(tokenizer, requests.map((r) => r.context + r.continuation), addBos);
  const prefix = commonPrefixLength(sequences);
  requirePrefix(prefix, "hellaswag");
  return sequences.map((seq) => ({ kind: "loglikelihood", spans: [{ context: seq.slice(0, prefix), continuation: seq.slice(prefix) }] }));
}

/**
 * Winogrande as llama.cpp scores it: sequences first + choice + second; when both have more than 3 tokens after the
 * prefix, the choice word is skipped (scoring starts after first + choice); the last token is not scored. When the
 * choice is not skipped, llama.cpp reads the second choice's first token from the wrong logits row (its source says
 * FIXME); we replay that row so that the numbers match.
 */
export async function encodeLlamaCppWinogrande(tokenizer: Tokenizer, requests: readonly LoglikelihoodRequest[], addBos: boolean): Promise<TokenizedLoglikelihood[]> {
  if (requests.length !== 2) throw new RangeError("winogrande has two options");
  const sequences = await tokenizeWhole(tokenizer, requests.map((r) => r.context + r.continuation), addBos);
  const bases = await tokenizeWhole(tokenizer, requests.map((r) => r.context), addBos);
  const [seq0, seq1] = sequences as [number[], number[]];
  const prefix = commonPrefixLength(sequences);
  requirePrefix(prefix, "winogrande");
  const skipChoice = seq0.length - prefix > K_MIN_TRAILING_CTX && seq1.length - prefix > K_MIN_TRAILING_CTX;
  const scoredFor = (s: 0 | 1): ScoredToken[] => {
    const seq = s === 0 ? seq0 : seq1;
    const nBase = skipChoice ? (bases[s] as number[]).length : prefix;
    const last = seq.length - nBase > 1 ? 1 : 0;
    let row = s === 0 ? nBase - prefix : seq0.length - prefix + nBase - prefix;
    const out: ScoredToken[] = [];
    for (let j = nBase - 1; j < seq.length - 1 - last; j++) out.push({ logitsIndex: row++, token: seq[j + 1] as number });
    return out;
  };
  return ([0, 1] as const).map((s) => ({ kind: "loglikelihood", spans: toSpans(sequences, prefix, scoredFor(s)) }));
}
