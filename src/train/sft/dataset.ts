// SFT examples as batches: each tokenized conversation becomes a row whose targets are the next token where the
// assistant wrote it and -1 elsewhere (prompt tokens carry no loss), either one example per row (padded to the
// longest in the batch) or packed back to back into rows of --seq-len. Over-long examples are truncated, skipped
// or refused as the user chose, and always reported. Batches are a pure function of (seed, step, micro-batch).
import { DuskError } from "../../common/index.js";
import type { ModelBatch } from "../../engine/index.js";
import type { EncodedConversation } from "../chat/index.js";
import { describeProblems } from "../examples/index.js";
import { batchIndices, seededPermutation, type TooLongPolicy } from "../loop/index.js";

/** A tokenized example with the row it came from. */
export interface EncodedExample extends EncodedConversation {
  /** 1-based row number over the data files. */
  readonly index: number;
  readonly where: string;
}


/** An example that did not fit, and what became of it. */
export interface LengthProblem {
  readonly index: number;
  readonly where: string;
  readonly tokens: number;
  /** "truncated", or "skipped" (by choice, or because nothing of the answer would remain). */
  readonly action: "truncated" | "skipped";
}

/** Examples longer than --seq-len with --too-long error. */
export class ExamplesTooLongError extends DuskError {
  constructor(readonly problems: readonly LengthProblem[], seqLen: number) {
    const listed = describeProblems(problems.map((p) => ({ index: p.index, where: p.where, problem: `${p.tokens} tokens` })));
    super("EXAMPLES_TOO_LONG", `expected every example to fit --seq-len ${seqLen} but found ${problems.length} longer: ${listed}`, {
      hint: "raise --seq-len, or pass --too-long truncate or --too-long skip (each one is reported)",
    });
  }
}

/** Refuses over-long examples under --too-long error; otherwise reports each one (truncated or skipped) through `log`. */
export function reportLengthProblems(problems: readonly LengthProblem[], seqLen: number, policy: TooLongPolicy, log: (line: string) => void): void {
  if (policy === "error" && problems.length > 0) throw new ExamplesTooLongError(problems, seqLen);
  for (const p of problems) log(`${p.action} row ${p.index} (${p.where}): ${p.tokens} tokens, longer than --seq-len ${seqLen}`);
}

/**
 * Applies the length policy: examples of at most `maxLength` tokens are kept as they are; longer ones are cut to
 * `maxLength` tokens (truncate; skipped when none of the assistant's tokens would remain) or left out (skip), and
 * listed. With "error" the caller refuses the data when `problems` is not empty.
 */
export function fitExamples(examples: readonly EncodedExample[], maxLength: number, policy: TooLongPolicy): { kept: EncodedExample[]; problems: LengthProblem[] } {
  const kept: EncodedExample[] = [];
  const problems: LengthProblem[] = [];
  for (const example of examples) {
    if (example.tokens.length <= maxLength) {
      kept.push(example);
      continue;
    }
    // The first token is never a target, so a kept answer token needs an index in [1, maxLength).
    const cut = { ...example, tokens: example.tokens.slice(0, maxLength), trained: example.trained.slice(0, maxLength) };
    const usable = policy === "truncate" && cut.trained.slice(1).some(Boolean);
    problems.push({ index: example.index, where: example.where, tokens: example.tokens.length, action: usable ? "truncated" : "skipped" });
    if (usable) kept.push(cut);
  }
  return { kept, problems };
}

/** A row of tokens and its targets (-1: no loss). */
interface Row {
  readonly tokens: readonly number[];
  readonly targets: readonly number[];
}

function rowOf(tokens: readonly number[], trained: readonly boolean[]): Row {
  const targets = tokens.map((_, i) => (i + 1 < tokens.length && trained[i + 1] === true ? (tokens[i + 1] as number) : -1));
  return { tokens, targets };
}

/** Options of {@link SftDataset}. */
export interface SftDatasetOptions {
  readonly batchSize: number;
  readonly seqLen: number;
  readonly seed: number;
  /** Pack examples back to back into rows of seqLen tokens. */
  readonly packing: boolean;
  /** The token rows are padded with. Defaults to 0. */
  readonly padId?: number;
}

/** SFT training rows and their batches. */
export class SftDataset {
  private readonly rows: Row[];
  readonly batchSize: number;
  readonly seqLen: number;
  private readonly seed: number;
  private readonly padId: number;
  /** Tokens carrying the loss, over all rows. */
  readonly trainedTokens: number;

  constructor(examples: readonly EncodedConversation[], { batchSize, seqLen, seed, packing, padId = 0 }: SftDatasetOptions) {
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.seed = seed;
    this.padId = padId;
    if (packing) {
      const order = seededPermutation(examples.length, seed ^ 0x2545f491);
      const tokens: number[] = [], trained: boolean[] = [];
      for (const i of order) {
        const example = examples[i] as EncodedConversation;
        tokens.push(...example.tokens);
        trained.push(...example.trained);
      }
      this.rows = [];
      // Windows overlap by one token so that every trained token is a target once.
      for (let start = 0; start + 1 < tokens.length; start += seqLen - 1) {
        this.rows.push(rowOf(tokens.slice(start, start + seqLen), [false, ...trained.slice(start + 1, start + seqLen)]));
      }
    } else {
      this.rows = examples.map((e) => rowOf(e.tokens, e.trained));
    }
    this.trainedTokens = this.rows.reduce((n, row) => n + row.targets.filter((t) => t >= 0).length, 0);
  }

  /** Rows in one epoch. */
  get size(): number {
    return this.rows.length;
  }

  /** Micro-batches in one epoch. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.rows.length / this.batchSize);
  }

  /** The rows of micro-batch `micro` of step `step` with `gradAccum` micro-batches per step: epochs in seeded orders. */
  batch(step: number, micro: number, gradAccum: number): ModelBatch {
    return this.pad(batchIndices(this.rows.length, this.batchSize, this.seed, step, micro, gradAccum, 1).map((i) => this.rows[i] as Row));
  }

  /** Every row once, in order, as batches (held-out evaluation). */
  allBatches(): ModelBatch[] {
    const out: ModelBatch[] = [];
    for (let i = 0; i < this.rows.length; i += this.batchSize) out.push(this.pad(this.rows.slice(i, i + this.batchSize)));
    return out;
  }

  private pad(rows: readonly Row[]): ModelBatch {
    const longest = Math.max(...rows.map((r) => r.tokens.length));
    const T = Math.min(this.seqLen, Math.ceil(longest / 16) * 16);
    const B = rows.length;
    const tokens = new Int32Array(B * T).fill(this.padId), targets = new Int32Array(B * T).fill(-1);
    rows.forEach((row, b) => {
      tokens.set(row.tokens.slice(0, T), b * T);
      targets.set(row.targets.slice(0, T), b * T);
    });
    return { tokens, targets, batchSize: B, seqLen: T };
  }
}
