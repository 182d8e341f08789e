// Text renderers of a comparison: an aligned terminal table with a legend, Markdown, CSV and JSON.
import { columnScore } from "./comparison.js";
import {
  cellMarks, columnLabel, formatCell, formatDelta, formatParams, legendLines, MARKS, MISSING, PROVENANCE_MEANING, rowTitle, scoreColumns,
} from "./format.js";
import type { ComparedRow, Comparison } from "./model.js";

/** Lays out rows of cells in aligned columns; `right` says which columns are right-aligned. */
function alignColumns(rows: readonly string[][], right: readonly boolean[]): string[] {
  const widths = rows[0]?.map((_, index) => Math.max(...rows.map((cells) => [...(cells[index] ?? "")].length))) ?? [];
  return rows.map((cells) =>
    cells
      .map((cell, index) => {
        const pad = " ".repeat((widths[index] ?? 0) - [...cell].length);
        return right[index] ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd(),
  );
}

function deltaCells(comparison: Comparison, row: ComparedRow): string[] {
  return scoreColumns(comparison).map((column) => {
    const delta = row.delta?.[column];
    return delta === undefined ? MISSING : formatDelta(delta);
  });
}

/** The terminal table: rank, model, type, size, the six tasks and H6; differences from the baseline below it. */
export function renderTable(comparison: Comparison): string {
  const columns = scoreColumns(comparison);
  const header = ["#", "Model", "Type", "Params", ...columns.map((column) => columnLabel(comparison, column))];
  const right = header.map((_, index) => index === 0 || index >= 3);
  const body = comparison.rows.map((row) => [String(row.rank), rowTitle(row), row.type, formatParams(row), ...columns.map((column) => formatCell(row, column))]);
  const parts = [alignColumns([header, ...body], right).join("\n")];
  if (comparison.baseline !== undefined) {
    const deltaHeader = ["#", `Difference from ${comparison.baseline} (percentage points)`, ...columns.map((column) => columnLabel(comparison, column))];
    const deltaBody = comparison.rows.map((row) => [String(row.rank), rowTitle(row), ...deltaCells(comparison, row)]);
    parts.push(alignColumns([deltaHeader, ...deltaBody], deltaHeader.map((_, index) => index !== 1)).join("\n"));
  }
  if (comparison.rows.length === 0) parts.push("(no models)");
  parts.push(legendLines(comparison).join("\n"));
  return `${parts.join("\n\n")}\n`;
}

/** Escapes text for a Markdown table cell. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\|*_`[\]<>#]/g, (char) => `\\${char}`);
}

/** A Markdown table (GitHub style): best values in bold, the other marks as in the terminal table. */
export function renderMarkdown(comparison: Comparison): string {
  const columns = scoreColumns(comparison);
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  const cell = (row: ComparedRow, column: (typeof columns)[number]): string => {
    const text = formatCell(row, column, { omit: ["best"] });
    if (!cellMarks(row, column).includes("best")) return text;
    const [number = "", rest = ""] = /^([\d.]+)(.*)$/.exec(text)?.slice(1) ?? [];
    return `**${number}**${rest}`;
  };
  const header = ["#", "Model", "Type", "Params", ...columns.map((column) => columnLabel(comparison, column))];
  const lines = [line(header), line(header.map((_, index) => (index === 1 || index === 2 ? "---" : "---:")))];
  for (const row of comparison.rows) {
    lines.push(line([String(row.rank), escapeMarkdown(rowTitle(row)), row.type, formatParams(row), ...columns.map((column) => cell(row, column))]));
  }
  if (comparison.baseline !== undefined) {
    lines.push("", `Difference from ${escapeMarkdown(comparison.baseline)}, in percentage points:`, "");
    const deltaHeader = ["#", "Model", ...columns.map((column) => columnLabel(comparison, column))];
    lines.push(line(deltaHeader), line(deltaHeader.map((_, index) => (index === 1 ? "---" : "---:"))));
    for (const row of comparison.rows) lines.push(line([String(row.rank), escapeMarkdown(rowTitle(row)), ...deltaCells(comparison, row)]));
  }
  lines.push("", `**Bold** = ${MARKS.best.meaning}.  `, ...legendLines(comparison, { omit: ["best"] }).map((text) => `${escapeMarkdown(text)}  `));
  return `${lines.join("\n")}\n`;
}

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return "";
  const text = typeof value === "number" ? String(Math.round(value * 1e6) / 1e6) : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV: one line per model; per column its value, standard error, provenance and few-shot count; deltas last. */
export function renderCsv(comparison: Comparison): string {
  const columns = scoreColumns(comparison);
  const header = ["rank", "model", "type", "params", "source", "limit", "profile"];
  for (const column of columns) header.push(column, `${column}_stderr`, `${column}_provenance`, column === "h6" ? "h6_from" : `${column}_shots`);
  if (comparison.baseline !== undefined) header.push(...columns.map((column) => `${column}_delta`));
  const lines = [header.join(",")];
  for (const row of comparison.rows) {
    const fields: (string | number | undefined)[] = [row.rank, row.label, row.type, row.params, row.source, row.limit, row.profile];
    for (const column of columns) {
      const score = columnScore(row, column);
      fields.push(score?.value, score?.stderr, score?.provenance, column === "h6" ? row.h6From : score?.shots);
    }
    if (comparison.baseline !== undefined) fields.push(...columns.map((column) => row.delta?.[column]));
    lines.push(fields.map(csvField).join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** JSON for programs: the tasks, the baseline, the legend and every row with its scores and marks. */
export function renderJson(comparison: Comparison): string {
  const columns = scoreColumns(comparison);
  const document = {
    tasks: comparison.tasks,
    ...(comparison.baseline !== undefined ? { baseline: comparison.baseline } : {}),
    best: comparison.best,
    provenance: PROVENANCE_MEANING,
    rows: comparison.rows.map((row) => ({
      rank: row.rank,
      name: row.name,
      label: row.label,
      type: row.type,
      ...(row.params !== undefined ? { params: row.params, paramsSource: row.paramsSource } : {}),
      source: row.source,
      layout: row.layout,
      ...(row.limit !== undefined ? { limit: row.limit } : {}),
      ...(row.profile !== undefined ? { profile: row.profile } : {}),
      scores: row.scores,
      ...(row.h6 ? { h6: { ...row.h6, from: row.h6From } } : {}),
      ...(row.delta ? { delta: row.delta } : {}),
      best: row.best,
      marks: Object.fromEntries(columns.flatMap((column) => {
        const marks = cellMarks(row, column);
        return marks.length > 0 ? [[column, marks] as const] : [];
      })),
      notes: row.notes,
    })),
    legend: legendLines(comparison),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
