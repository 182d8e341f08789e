// The report's data model: one row per model with a score per task (as a percentage, like the leaderboard),
// where each number carries its provenance, so that a table can say which numbers were measured and which recalled.
import type { ColumnId, TaskId, TaskInfo } from "./tasks.js";

/** What kind of model a row is. `ours` = measured here from a results file. */
export type ModelType = "pretrained" | "instruction-tuned" | "alignment-tuned" | "ours";

/** Where a number comes from: a results file we read, or a published source (read there, or only recalled). */
export type Provenance = "measured" | "verified" | "recalled";

/** The results layouts the parser reads. */
export type ResultsLayout = "dusk" | "lm-eval-0.3" | "lm-eval-0.4" | "leaderboard-details";

/** One number of a row. Percentages (66.04), not fractions. */
export interface Score {
  /** The score in percent. */
  value: number;
  /** Its standard error in percent, where known. */
  stderr?: number;
  provenance: Provenance;
  /** Few-shot count it was measured with, where the source says. */
  shots?: number;
}

/** One model as read from a results file or a reference set. */
export interface ModelRow {
  /** The model's name (a Hub id, or a file name without its extension). */
  name: string;
  type: ModelType;
  /** Parameter count, where known. */
  params?: number;
  /** Where `params` came from; `name` means guessed from a size in the name such as "7B". */
  paramsSource?: "results" | "reference" | "name";
  scores: Partial<Record<TaskId, Score>>;
  /** H6 as published (reference rows only). */
  publishedH6?: Score;
  /** The results file's path, or the reference set's name. */
  source: string;
  /** The results layout, or "reference". */
  layout: ResultsLayout | "reference";
  /** The evaluation's `--limit` (only the first N documents of each task), when it had one. */
  limit?: number;
  /** The evaluation profile (dusk results), e.g. "leaderboard-v1". */
  profile?: string;
  /** Things a reader should know about this row's numbers. */
  notes: string[];
}

/** A row as a comparison shows it. */
export interface ComparedRow extends ModelRow {
  /** 1-based position after sorting. */
  rank: number;
  /** The name, made unique among the shown rows (the source is added to repeated names). */
  label: string;
  /** The mean of the six tasks when all six are present, else the published H6 where there is one. */
  h6?: Score;
  /** How `h6` was obtained. */
  h6From?: "computed" | "published";
  /** Difference from the baseline in percentage points, per column where both have a value. */
  delta?: Partial<Record<ColumnId, number>>;
  /** Columns in which this row holds the best value. */
  best: ColumnId[];
}

/** A comparison, ready to render. */
export interface Comparison {
  tasks: readonly TaskInfo[];
  rows: ComparedRow[];
  /** The baseline's label, when differences were asked for. */
  baseline?: string;
  /** The best (largest) value shown in each column. */
  best: Partial<Record<ColumnId, number>>;
  /** The published reference sets whose rows appear, with their sources. */
  references?: { name: string; description: string; sources: string[] }[];
}
