// `dusk train dpo`: Direct Preference Optimization on prompt/chosen/rejected pairs against a frozen reference.
export { dpoMetrics, dpoPairLoss, sigmoid, softplus, type DpoMetrics, type DpoPairResult } from "./loss.js";
export { encodePairs, fitPairs, pairBatch, pairLogProbs, rowLogProbs, type EncodedPair, type PairLengthProblem } from "./pairs.js";
export { dpoMicroStep, type DpoMicroStepOptions } from "./step.js";
export { REFERENCE_CACHE_FILE, dpo, type DpoOptions, type DpoResult, type DpoSettings, type DpoState } from "./dpo.js";
