// dusk's library API: each layer's public functions, re-exported from its index.ts.
export { compare, buildComparison, parseResults, readResultsFile, loadReferenceSet, renderHtml, renderTable, renderMarkdown, renderCsv, renderJson, type CompareOptions, type CompareResult, type Comparison, type ComparedRow, type ModelRow, type ReportFormat } from "./report/index.js";
export { pull, resolveModelReference, parseModelReference, parseHubReference, isHubReference, resolveHubSettings, type PullOptions, type PullResult, type PulledFile, type ResolvedModel, type ModelReference, type HubReference, type HubSettings } from "./hub/index.js";
export * from "./common/index.js";
export * from "./formats/index.js";
export * from "./arch/index.js";
export * from "./tiny/index.js";
export * from "./merge/index.js";
export * from "./recipe/index.js";
export { getKernels, isBackendAvailable, createModel, LlamaModel, validateModelConfig, AdamW, clipScale, lrSchedule, trainStep, ropeTables, BackendUnavailableError, KernelArgumentError, ModelConfigError, ModelInputError, WasmMemoryError, type BackendChoice, type BackendName, type Kernels, type SgemmOptions, type AdamWStepOptions, type ModelBatch, type CreateModelOptions, type MemoryReport, type ModelTensor, type AdamWOptions, type AdamWState, type LrScheduleOptions, type TrainStepOptions, type TrainStepResult } from "./engine/index.js";
export { evaluate, EndpointBackend, ResultsStore, PythonRandom, resolveTasks, setInProcessBackendFactory, type EvaluateOptions, type EvaluateReport, type ResultsJson, type Backend as EvalBackend } from "./eval/index.js";
export * from "./infer/index.js";
export * from "./serve/index.js";
export * from "./convert/index.js";
export * from "./train/index.js";
