// Typed errors of the training-example readers: data that cannot be read or understood as a whole
// (TrainingDataError), and rows that break the format's rules, each named by its row number (BadRowsError).
import { DuskError, type DuskErrorOptions } from "../../common/index.js";

/** A row that could not become a training example, and why. */
export interface RowProblem {
  /** 1-based row number over all the files read, in order. */
  readonly index: number;
  /** Where the row is: "file:line" for JSON lines, "file#i" (1-based) for JSON and parquet. */
  readonly where: string;
  /** What is wrong with it, e.g. `missing "output"`. */
  readonly problem: string;
}

/** How many problems an error message lists before it only counts the rest. */
export const PROBLEMS_SHOWN = 10;

/** Lists up to `shown` problems as `row 12 (file.jsonl:12): missing "output"`, then the count of the rest. */
export function describeProblems(problems: readonly RowProblem[], shown = PROBLEMS_SHOWN): string {
  const lines = problems.slice(0, shown).map((p) => `row ${p.index} (${p.where}): ${p.problem}`);
  const rest = problems.length - lines.length;
  return lines.join("; ") + (rest > 0 ? `; and ${rest} more` : "");
}

/** The training data as a whole cannot be read or understood (bad file, unknown format, no rows). */
export class TrainingDataError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("TRAINING_DATA", message, options);
  }
}

/** Some rows break the format's rules; `problems` holds them all, the message the first ten. */
export class BadRowsError extends DuskError {
  /** Every bad row, in order. */
  readonly problems: readonly RowProblem[];

  constructor(problems: readonly RowProblem[], { format, total }: { format: string; total: number }, options: DuskErrorOptions = {}) {
    const count = problems.length === 1 ? "1 bad row" : `${problems.length} bad rows`;
    super("BAD_ROWS", `expected every row to be a valid ${format} example but found ${count} of ${total}: ${describeProblems(problems)}`, {
      hint: "fix the rows, or pass --bad-rows skip to leave them out (each is reported)",
      ...options,
    });
    this.problems = problems;
  }
}
