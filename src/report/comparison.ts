// Builds a comparison from rows: the --models filter, H6 (the mean of the six tasks, only over complete rows),
// sorting by H6, the best value per column and the differences from a --baseline model. Pure: no I/O.
import { AmbiguousModelError, ModelNotFoundError } from "./errors.js";
import type { ComparedRow, Comparison, ModelRow, Provenance, Score } from "./model.js";
import { H6_TASKS, TASK_IDS, type ColumnId } from "./tasks.js";

/** Options of {@link buildComparison}. */
export interface BuildComparisonOptions {
  /**
   * Keep only models whose name (or label) contains one of these, case-insensitively; an exact name is a substring
   * of itself, so exact names work too. Every item must match at least one model. Defaults to keeping every model.
   */
  models?: readonly string[];
  /** Add each model's difference from this model (matched as in {@link findModel}). Defaults to no differences. */
  baseline?: string;
}

const PROVENANCE_WEAKNESS: Readonly<Record<Provenance, number>> = { measured: 0, verified: 1, recalled: 2 };

/** The least certain of several provenances: recalled over verified over measured. */
export function weakestProvenance(provenances: readonly Provenance[]): Provenance {
  return provenances.reduce<Provenance>((weakest, p) => (PROVENANCE_WEAKNESS[p] > PROVENANCE_WEAKNESS[weakest] ? p : weakest), "measured");
}

/**
 * A row's H6: the published H6 where a reference set gives one (the number as read in its source), otherwise the mean
 * of the six task scores, only when all six are present. Its standard error is that of a mean of independent parts.
 */
export function h6Of(row: ModelRow): { h6?: Score; h6From?: "computed" | "published" } {
  if (row.publishedH6) return { h6: row.publishedH6, h6From: "published" };
  const scores = TASK_IDS.map((task) => row.scores[task]);
  if (!scores.every((score): score is Score => score !== undefined)) return {};
  const value = scores.reduce((sum, score) => sum + score.value, 0) / scores.length;
  const stderrs = scores.map((score) => score.stderr);
  const stderr = stderrs.every((se) => se !== undefined)
    ? Math.sqrt(stderrs.reduce<number>((sum, se) => sum + (se ?? 0) ** 2, 0)) / scores.length
    : undefined;
  const provenance = weakestProvenance(scores.map((score) => score.provenance));
  return { h6: { value, ...(stderr !== undefined ? { stderr } : {}), provenance }, h6From: "computed" };
}

/** Unique display labels: a name shared by several rows gets its source in parentheses. */
export function labelRows(rows: readonly ModelRow[]): Map<ModelRow, string> {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.name, (counts.get(row.name) ?? 0) + 1);
  const labels = new Map<ModelRow, string>();
  const used = new Set<string>();
  for (const row of rows) {
    const source = row.source.split(" + ").map((part) => part.split(/[\\/]/).pop() ?? part).join(" + ");
    let label = (counts.get(row.name) ?? 0) > 1 ? `${row.name} (${source})` : row.name;
    for (let n = 2; used.has(label); n += 1) label = `${row.name} (${n})`;
    used.add(label);
    labels.set(row, label);
  }
  return labels;
}

/**
 * Finds the one model a name means: an exact label or name (case-insensitive) first, else the only row whose label
 * contains it. @throws ModelNotFoundError when none matches; AmbiguousModelError when several do.
 */
export function findModel(rows: readonly ModelRow[], wanted: string): ModelRow {
  const labels = labelRows(rows);
  const needle = wanted.trim().toLowerCase();
  const byLabel = rows.filter((row) => labels.get(row)?.toLowerCase() === needle);
  const byName = rows.filter((row) => row.name.toLowerCase() === needle);
  const bySubstring = rows.filter((row) => labels.get(row)?.toLowerCase().includes(needle));
  for (const matches of [byLabel, byName, bySubstring]) {
    if (matches.length === 1 && matches[0]) return matches[0];
    if (matches.length > 1) throw new AmbiguousModelError(wanted, matches.map((row) => labels.get(row) ?? row.name));
  }
  throw new ModelNotFoundError("--baseline", wanted, rows.map((row) => labels.get(row) ?? row.name));
}

/** Keeps the rows matching any of `models` (case-insensitive substrings of name or label). @throws ModelNotFoundError for an item that matches nothing. */
export function filterRows(rows: readonly ModelRow[], models: readonly string[]): ModelRow[] {
  const labels = labelRows(rows);
  const needles = models.map((item) => item.trim()).filter((item) => item !== "");
  const matches = (row: ModelRow, needle: string): boolean =>
    row.name.toLowerCase().includes(needle.toLowerCase()) || (labels.get(row) ?? "").toLowerCase().includes(needle.toLowerCase());
  for (const needle of needles) {
    if (!rows.some((row) => matches(row, needle))) throw new ModelNotFoundError("--models item", needle, rows.map((row) => labels.get(row) ?? row.name));
  }
  return rows.filter((row) => needles.some((needle) => matches(row, needle)));
}

/** Sort order: rows with H6 by H6, highest first; then rows without H6 by how many tasks they have, then by label. */
export function compareRows(a: ComparedRow, b: ComparedRow): number {
  if (a.h6 && b.h6) return b.h6.value - a.h6.value || a.label.localeCompare(b.label);
  if (a.h6) return -1;
  if (b.h6) return 1;
  const count = (row: ComparedRow): number => TASK_IDS.filter((task) => row.scores[task] !== undefined).length;
  return count(b) - count(a) || a.label.localeCompare(b.label);
}

/** The value a row shows in a column. */
export function columnScore(row: ComparedRow, column: ColumnId): Score | undefined {
  return column === "h6" ? row.h6 : row.scores[column];
}

const COLUMNS: readonly ColumnId[] = [...TASK_IDS, "h6"];

/** Values are compared as shown (two decimals), so that equal-looking numbers are equally best. */
const shown = (value: number): number => Math.round(value * 100) / 100;

/** Builds a comparison: filter, H6, sort, best per column, baseline differences. */
export function buildComparison(rows: readonly ModelRow[], { models = [], baseline }: BuildComparisonOptions = {}): Comparison {
  const baselineRow = baseline !== undefined ? findModel(rows, baseline) : undefined;
  let kept = models.length > 0 ? filterRows(rows, models) : [...rows];
  if (baselineRow && !kept.includes(baselineRow)) kept = [...kept, baselineRow];
  const labels = labelRows(kept);
  const byOrigin = new Map<ModelRow, ComparedRow>(kept.map((row) => [row, { ...row, rank: 0, label: labels.get(row) ?? row.name, best: [], ...h6Of(row) }]));
  const compared = [...byOrigin.values()].sort(compareRows);
  compared.forEach((row, index) => (row.rank = index + 1));
  const best: Partial<Record<ColumnId, number>> = {};
  for (const column of COLUMNS) {
    const values = compared.map((row) => columnScore(row, column)?.value).filter((value): value is number => value !== undefined);
    if (values.length > 0) best[column] = Math.max(...values.map(shown));
  }
  for (const row of compared) row.best = COLUMNS.filter((column) => {
    const value = columnScore(row, column)?.value;
    return value !== undefined && shown(value) === best[column];
  });
  const baselineCompared = baselineRow ? byOrigin.get(baselineRow) : undefined;
  if (baselineCompared) {
    for (const row of compared) {
      const delta: Partial<Record<ColumnId, number>> = {};
      for (const column of COLUMNS) {
        const mine = columnScore(row, column)?.value;
        const theirs = columnScore(baselineCompared, column)?.value;
        if (mine !== undefined && theirs !== undefined) delta[column] = mine - theirs;
      }
      row.delta = delta;
    }
  }
  return { tasks: H6_TASKS, rows: compared, best, ...(baselineCompared ? { baseline: baselineCompared.label } : {}) };
}
