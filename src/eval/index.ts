// The eval layer: the six Open LLM Leaderboard v1 tasks scored as the leaderboard scored them (CPython RNG,
// prompts, tokenization rule, metrics), backends (OpenAI-compatible endpoint; in-process seam), the results store.
export { evaluate, duskVersion, writeJsonLines, type EvaluateOptions, type EvaluateReport } from "./evaluate.js";
export { PythonRandom, samplePath, sampleSetSize } from "./rng.js";
export { pyCapitalize, pyStrip, pyRstrip } from "./pystr.js";
export { PROFILES, DEFAULT_PROFILE, getProfile } from "./profiles.js";
export { resolveTasks, taskNames, headlineMetric, shotsFor, MMLU_TASKS, H6_FAMILIES } from "./tasks/registry.js";
export { MMLU_SUBJECTS } from "./tasks/mmlu.js";
export { TRUTHFULQA_PREAMBLE } from "./tasks/truthfulqa.js";
export { preprocessHellaswag } from "./tasks/hellaswag.js";
export type { DatasetSpec, Profile, ProfileName, Request, RequestResult, SplitName, TaskDefinition, TaskFamily } from "./tasks/types.js";
export { planTask, buildContext, type TaskPlan, type PlannedDoc } from "./plan.js";
export { DatasetLoader } from "./data/load.js";
export { DataDirResolver, HubDatasetResolver, DatasetNotLocalError, type DatasetResolver, type DatasetFiles, type DatasetRequest } from "./data/resolver.js";
export { parseCsv } from "./data/csv.js";
export { encodePair, type Tokenizer, type TokenSpan } from "./tokenize.js";
export { runTask, type TaskOutcome, type DocOutcome } from "./runner.js";
export { buildResults, formatSummaryTable, type ResultsJson, type TaskSummary } from "./results.js";
export { ResultsStore, defaultStorePath } from "./store.js";
export { EndpointBackend, parseEndpointList, type EndpointBackendOptions } from "./backends/endpoint.js";
export { createInProcessBackend, setInProcessBackendFactory, type InProcessBackendFactory, type InProcessBackendOptions } from "./backends/inprocess.js";
export type { Backend, SpanResult, GenerationRequest } from "./backends/types.js";
export * from "./errors.js";
export * as metrics from "./metrics.js";
