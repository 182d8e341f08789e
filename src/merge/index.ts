// The merge layer: depth up-scaling and mergekit-compatible slice merges as config → plan (pure data) → execute.
export * from "./config.js";
export * from "./errors.js";
export { planMerge, planRows, checkDonors, type Donor, type MergePlan, type TensorStep, type OutputFormat } from "./plan.js";
export { openDonor, ggufTokenizerDigest, type OpenDonor } from "./donors.js";
export { mergedGgufMetadata, shardTensors } from "./gguf-output.js";
export { executeMerge, type MergeResult, type ExecuteMergeOptions } from "./execute.js";
export { upscale, mergeFromYaml, outputFormatOf, type UpscaleOptions, type MergeYamlOptions, type MergeRun, type MergeRunOptions, type ModelResolver } from "./run.js";
