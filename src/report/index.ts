// The report layer: comparisons of evaluated models with each other and with published scores, as a terminal
// table, Markdown, CSV, JSON or a self-contained HTML report with charts.
export * from "./tasks.js";
export * from "./model.js";
export * from "./errors.js";
export { detectLayout, displayName, parseResults, type ParseResultsOptions } from "./parse.js";
export { expandInputs, fillParams, mergeRows, paramsFromName, readResultsFile } from "./inputs.js";
export { loadReferenceSet, REFERENCE_SET_NAMES, type ReferenceSet } from "./reference.js";
export { buildComparison, findModel, filterRows, h6Of, type BuildComparisonOptions } from "./comparison.js";
export { MARKS, MISSING, PROVENANCE_MEANING, legendLines } from "./format.js";
export { renderCsv, renderJson, renderMarkdown, renderTable } from "./render-text.js";
export { ChartLibraryMissingError, escapeHtml, loadChartJs, renderHtml, type RenderHtmlOptions } from "./render-html.js";
export { compare, renderComparison, resolveFormat, REPORT_FORMATS, type CompareOptions, type CompareResult, type ReportFormat } from "./compare.js";
