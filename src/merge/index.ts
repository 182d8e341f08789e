// The merge layer: depth up-scaling, mergekit-compatible slice merges and linear merges as config → plan (pure
// data) → execute.
export * from "./config.js";
export * from "./errors.js";
export { planMerge, planPassthrough, planLinear, planRows, formatWeight, checkDonors, contributingDonors, type Donor, type MergePlan, type TensorStep, type MixTerm, type OutputFormat } from "./plan.js";
export { checkSameTensors } from "./plan-linear.js";
export { mixTensor, type MixInput, type MixTensorOptions } from "./mix.js";
export { openDonor, ggufTokenizerDigest, type OpenDonor } from "./donors.js";
export { mergedGgufMetadata, shardTensors } from "./gguf-output.js";
export { executeMerge, type MergeResult, type ExecuteMergeOptions } from "./execute.js";
export { upscale, mergeFromYaml, outputFormatOf, type UpscaleOptions, type MergeYamlOptions, type MergeRun, type MergeRunOptions, type ModelResolver } from "./run.js";
