// dusk's library API: each layer's public functions, re-exported from its index.ts.
export { compare, buildComparison, parseResults, readResultsFile, loadReferenceSet, renderHtml, renderTable, renderMarkdown, renderCsv, renderJson, type CompareOptions, type CompareResult, type Comparison, type ComparedRow, type ModelRow, type ReportFormat } from "./report/index.js";
export { pull, resolveModelReference, parseModelReference, parseHubReference, isHubReference, resolveHubSettings, type PullOptions, type PullResult, type PulledFile, type ResolvedModel, type ModelReference, type HubReference, type HubSettings } from "./hub/index.js";
export * from "./common/index.js";
export * from "./formats/index.js";
export * from "./arch/index.js";
export * from "./tiny/index.js";
export * from "./merge/index.js";
export * from "./recipe/index.js";
