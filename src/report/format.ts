// How a comparison's cells read, shared by every renderer: values with two decimals, standard errors, the marks
// (best in column, recalled number, off-leaderboard few-shot count) and the legend that explains them.
import { formatParameterCount } from "../common/index.js";
import { columnScore } from "./comparison.js";
import type { ComparedRow, Comparison, Provenance } from "./model.js";
import { LEADERBOARD_SHOTS, TASK_IDS, type ColumnId } from "./tasks.js";

/** The marks a cell can carry, and what each means. */
export const MARKS = {
  best: { mark: "*", meaning: "best value in its column" },
  recalled: {
    mark: "†",
    meaning: "recalled: a published number taken from secondary notes of the source (consistent with the verified H6), not read in a primary source",
  },
  shots: { mark: "§", meaning: "measured with a few-shot count other than the leaderboard's, so not comparable with it" },
} as const;

/** Which marks a cell carries; `best` is left out for renderers that show it by other means (bold). */
export type MarkKind = keyof typeof MARKS;

/** Shown for a task a model lacks. */
export const MISSING = "—";

/** What each provenance means, for hover texts and legends. */
export const PROVENANCE_MEANING: Readonly<Record<Provenance, string>> = {
  measured: "measured: read from a results file",
  verified: "verified: published, read in a primary source (model card or leaderboard model-index)",
  recalled: "recalled: published, from secondary notes of the paper's table, not read in the paper itself",
};

/** True when a cell's few-shot count differs from the leaderboard's (for H6: any of its six tasks). */
export function shotsDiffer(row: ComparedRow, column: ColumnId): boolean {
  if (column === "h6") return row.h6From === "computed" && TASK_IDS.some((task) => shotsDiffer(row, task));
  const shots = row.scores[column]?.shots;
  return shots !== undefined && shots !== LEADERBOARD_SHOTS[column];
}

/** The marks of one cell, in legend order. */
export function cellMarks(row: ComparedRow, column: ColumnId): MarkKind[] {
  const score = columnScore(row, column);
  if (!score) return [];
  const marks: MarkKind[] = [];
  if (row.best.includes(column)) marks.push("best");
  if (score.provenance === "recalled") marks.push("recalled");
  if (shotsDiffer(row, column)) marks.push("shots");
  return marks;
}

/** A percentage with two decimals, as the leaderboard prints them. */
export function formatPercent(value: number): string {
  return value.toFixed(2);
}

/** A difference in percentage points, always signed. */
export function formatDelta(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return `${rounded >= 0 ? "+" : "-"}${Math.abs(rounded).toFixed(2)}`;
}

/** Options of {@link formatCell}. */
export interface FormatCellOptions {
  /** Append "±stderr" where known. Defaults to true. */
  stderr?: boolean;
  /** Marks to leave out (e.g. "best" where bold shows it). Defaults to none. */
  omit?: readonly MarkKind[];
}

/** A cell as text: "66.04±1.38*†", or "—" when missing. */
export function formatCell(row: ComparedRow, column: ColumnId, { stderr = true, omit = [] }: FormatCellOptions = {}): string {
  const score = columnScore(row, column);
  if (!score) return MISSING;
  const error = stderr && score.stderr !== undefined ? `±${score.stderr.toFixed(2)}` : "";
  const marks = cellMarks(row, column).filter((kind) => !omit.includes(kind)).map((kind) => MARKS[kind].mark).join("");
  return `${formatPercent(score.value)}${error}${marks}`;
}

/** Parameter count as model cards write it; "~" when it was guessed from the model's name. */
export function formatParams(row: ComparedRow): string {
  if (row.params === undefined) return MISSING;
  return `${row.paramsSource === "name" ? "~" : ""}${formatParameterCount(row.params)}`;
}

/** The row's label plus "[limit N]" when it was evaluated on a subset. */
export function rowTitle(row: ComparedRow): string {
  return row.limit !== undefined ? `${row.label} [limit ${row.limit}]` : row.label;
}

/** Column headers: the tasks' short labels and H6. */
export function columnLabel(comparison: Comparison, column: ColumnId): string {
  return column === "h6" ? "H6" : (comparison.tasks.find((task) => task.id === column)?.label ?? column);
}

/** Every column of the score part of a table, in order. */
export function scoreColumns(comparison: Comparison): ColumnId[] {
  return [...comparison.tasks.map((task) => task.id), "h6"];
}

/** The legend: what the columns are, and what each mark that appears means. */
export function legendLines(comparison: Comparison, { omit = [] }: { omit?: readonly MarkKind[] } = {}): string[] {
  const columns = scoreColumns(comparison);
  const used = new Set(comparison.rows.flatMap((row) => columns.flatMap((column) => cellMarks(row, column))));
  const lines = [
    `Tasks (Open LLM Leaderboard v1): ${comparison.tasks.map((task) => `${task.label} = ${task.name}, ${task.shots}-shot ${task.metric}`).join("; ")}.`,
    `Scores in percent; ±x = standard error; ${MISSING} = not evaluated. H6 = mean of the six tasks, computed only for complete rows; reference rows show their published H6.`,
  ];
  for (const kind of Object.keys(MARKS) as MarkKind[]) {
    if (used.has(kind) && !omit.includes(kind)) lines.push(`${MARKS[kind].mark} = ${MARKS[kind].meaning}`);
  }
  if (comparison.rows.some((row) => row.limit !== undefined)) lines.push("[limit N] = evaluated on the first N documents of each task only, so a noisy estimate");
  if (comparison.rows.some((row) => row.paramsSource === "name")) lines.push("~ before a size = guessed from the model's name");
  for (const row of comparison.rows) for (const note of row.notes) lines.push(`Note, ${row.label}: ${note}`);
  for (const reference of comparison.references ?? []) {
    if (comparison.rows.some((row) => row.layout === "reference" && row.source === reference.name)) {
      lines.push(`Published scores (${reference.name}) from: ${reference.sources.join("; ")}.`);
    }
  }
  return lines;
}
