// The HTML report: one self-contained file that works offline (a Content-Security-Policy forbids every network
// request): the table with hover texts, the differences from a baseline, a grouped bar chart per task and a chart of
// H6 against parameter count on a log axis. Chart.js is inlined from the installed package, license header included.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DuskError } from "../common/index.js";
import { columnScore } from "./comparison.js";
import {
  cellMarks, columnLabel, formatDelta, formatParams, formatPercent, legendLines, MARKS, MISSING, PROVENANCE_MEANING, rowTitle, scoreColumns,
} from "./format.js";
import { CLIENT_SCRIPT } from "./html-client.js";
import type { ComparedRow, Comparison } from "./model.js";
import type { ColumnId } from "./tasks.js";

/** Chart.js's UMD build is not where it should be. */
export class ChartLibraryMissingError extends DuskError {
  constructor(path: string, options: { cause?: unknown } = {}) {
    super("CHARTJS_MISSING", `expected Chart.js's UMD build at ${path} but could not read it`, {
      hint: "reinstall dusk's dependencies (npm ci); the HTML report inlines chart.js from node_modules",
      ...options,
    });
  }
}

/** Reads Chart.js's UMD build (dist/chart.umd.js of the installed chart.js package), license header and all. */
export async function loadChartJs(): Promise<string> {
  let path = "chart.js/dist/chart.umd.js";
  try {
    path = join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.js");
    const source = await readFile(path, "utf8");
    if (!/^\/\*![\s\S]*?Chart\.js[\s\S]*?\*\//.test(source)) throw new Error("no Chart.js license header at the start of the file");
    return source;
  } catch (error) {
    throw new ChartLibraryMissingError(path, { cause: error });
  }
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char);
}

/** Makes script text safe inside <script>: no `</script` or `<!--` can end or confuse the element. */
export function scriptSafe(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/** JSON inside <script type="application/json">: `<` and the line separators escaped so the text cannot break out. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function hoverText(comparison: Comparison, row: ComparedRow, column: ColumnId): string {
  const score = columnScore(row, column);
  if (!score) return `${row.label}: ${columnLabel(comparison, column)} not evaluated`;
  const task = comparison.tasks.find((info) => info.id === column);
  const parts = [
    `${row.label}, ${task ? `${task.name} (${score.shots ?? task.shots}-shot ${task.metric})` : row.h6From === "published" ? "H6 as published" : "H6 = mean of the six tasks"}`,
    `${score.value}${score.stderr !== undefined ? ` ± ${score.stderr}` : ""}`,
    PROVENANCE_MEANING[score.provenance],
    `source: ${row.source}`,
  ];
  const delta = row.delta?.[column];
  if (delta !== undefined && comparison.baseline !== undefined) parts.push(`${formatDelta(delta)} vs ${comparison.baseline}`);
  return parts.join("\n");
}

function scoreCell(comparison: Comparison, row: ComparedRow, column: ColumnId): string {
  const score = columnScore(row, column);
  if (!score) return `<td class="num missing" title="${escapeHtml(hoverText(comparison, row, column))}">${MISSING}</td>`;
  const marks = cellMarks(row, column);
  const classes = [...new Set(["num", ...marks, score.provenance])].join(" ");
  const stderr = score.stderr !== undefined ? `<span class="se">±${score.stderr.toFixed(2)}</span>` : "";
  const sup = marks.filter((kind) => kind !== "best").map((kind) => MARKS[kind].mark).join("");
  return `<td class="${classes}" title="${escapeHtml(hoverText(comparison, row, column))}">${formatPercent(score.value)}${stderr}${sup ? `<sup>${escapeHtml(sup)}</sup>` : ""}</td>`;
}

function scoresTable(comparison: Comparison): string {
  const columns = scoreColumns(comparison);
  const head = ["#", "Model", "Type", "Params", ...columns.map((column) => columnLabel(comparison, column))].map((text) => `<th>${escapeHtml(text)}</th>`).join("");
  const body = comparison.rows.map((row) => {
    const cells = [
      `<td class="num">${row.rank}</td>`,
      `<td class="model" title="${escapeHtml(`source: ${row.source}`)}">${escapeHtml(rowTitle(row))}</td>`,
      `<td class="type">${escapeHtml(row.type)}</td>`,
      `<td class="num">${escapeHtml(formatParams(row))}</td>`,
      ...columns.map((column) => scoreCell(comparison, row, column)),
    ];
    return `<tr class="type-${escapeHtml(row.type)}">${cells.join("")}</tr>`;
  });
  return `<div class="wide"><table id="scores"><thead><tr>${head}</tr></thead><tbody>\n${body.join("\n")}\n</tbody></table></div>`;
}

function deltaTable(comparison: Comparison): string {
  if (comparison.baseline === undefined) return "";
  const columns = scoreColumns(comparison);
  const head = ["#", "Model", ...columns.map((column) => columnLabel(comparison, column))].map((text) => `<th>${escapeHtml(text)}</th>`).join("");
  const body = comparison.rows.map((row) => {
    const cells = columns.map((column) => {
      const delta = row.delta?.[column];
      const sign = delta === undefined ? "missing" : delta > 0.005 ? "up" : delta < -0.005 ? "down" : "same";
      return `<td class="num ${sign}">${delta === undefined ? MISSING : formatDelta(delta)}</td>`;
    });
    return `<tr><td class="num">${row.rank}</td><td class="model">${escapeHtml(rowTitle(row))}</td>${cells.join("")}</tr>`;
  });
  return `<h2>Difference from ${escapeHtml(comparison.baseline)} (percentage points)</h2>\n<div class="wide"><table id="delta"><thead><tr>${head}</tr></thead><tbody>\n${body.join("\n")}\n</tbody></table></div>`;
}

/** The data the browser script draws from: only what the charts and their tooltips need. */
function chartData(comparison: Comparison): unknown {
  return {
    tasks: comparison.tasks,
    provenance: PROVENANCE_MEANING,
    rows: comparison.rows.map((row) => ({
      label: row.label,
      type: row.type,
      params: row.params ?? null,
      paramsText: formatParams(row),
      scores: row.scores,
      h6: row.h6 ?? null,
      h6From: row.h6From ?? null,
    })),
  };
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 24px auto; max-width: 1280px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e3e3e3; white-space: nowrap; }
th { text-align: right; background: #f6f6f6; } th:nth-child(2), th:nth-child(3) { text-align: left; }
td.num { text-align: right; } td.model { font-weight: 500; white-space: normal; min-width: 200px; max-width: 340px; overflow-wrap: anywhere; }
td.best { font-weight: 700; background: #fff4c2; } td.recalled { color: #6b5d3a; } td.missing { color: #aaa; }
td .se { color: #888; font-size: 11px; margin-left: 2px; } sup { color: #b35900; margin-left: 1px; }
tr.type-ours td { background-color: #fdecec; } tr.type-ours td.best { background: #ffd9a8; }
td.up { color: #18794e; } td.down { color: #c0392b; } td.same { color: #888; }
.wide { overflow-x: auto; }
.chart { position: relative; height: 440px; margin: 8px 0 24px; }
.legend { color: #555; font-size: 12.5px; padding-left: 18px; } .meta { color: #777; font-size: 12px; }
`;

/** Options of {@link renderHtml}. */
export interface RenderHtmlOptions {
  /** Chart.js's UMD build, as {@link loadChartJs} reads it. */
  chartScript: string;
  /** The page title. Defaults to "dusk compare: Open LLM Leaderboard v1 (H6)". */
  title?: string;
}

/** Renders the whole report as one HTML document. */
export function renderHtml(comparison: Comparison, { chartScript, title = "dusk compare: Open LLM Leaderboard v1 (H6)" }: RenderHtmlOptions): string {
  const legend = [`<li><b>bold</b> on yellow = ${escapeHtml(MARKS.best.meaning)}</li>`, ...legendLines(comparison, { omit: ["best"] }).map((line) => `<li>${escapeHtml(line)}</li>`)];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${comparison.rows.length} models, sorted by H6. Hover a number for its exact value and provenance.</p>
${scoresTable(comparison)}
<ul class="legend">${legend.join("")}</ul>
${deltaTable(comparison)}
<h2>Scores per task</h2>
<div class="chart"><canvas id="chart-tasks" role="img" aria-label="grouped bar chart of each model's score per task"></canvas></div>
<h2>H6 against model size</h2>
<div class="chart"><canvas id="chart-h6" role="img" aria-label="H6 against parameter count, log scale"></canvas></div>
<script id="dusk-data" type="application/json">${jsonForScript(chartData(comparison))}</script>
<script>
${scriptSafe(chartScript)}
</script>
<script>
${scriptSafe(CLIENT_SCRIPT)}
</script>
</body>
</html>
`;
}
