// The engine layer: kernels on two backends (native addon over the system's BLAS, WebAssembly SIMD), the Llama model
// forward and backward, AdamW, gradient clipping and the learning-rate schedule. Float64 reference ops for checks.
export { getKernels, isBackendAvailable, type BackendChoice } from "./backend.js";
export type { AdamWStepOptions, BackendName, Kernels, SgemmOptions } from "./kernels.js";
export { BackendUnavailableError, KernelArgumentError, ModelConfigError, ModelInputError } from "./errors.js";
export { WasmMemoryError } from "./backend-wasm.js";
export { createModel, LlamaModel, validateModelConfig, type ModelBatch, type CreateModelOptions, type MemoryReport, type ModelTensor } from "./model.js";
export { ropeTables, type RopeTables } from "./layer.js";
export { AdamW, clipScale, lrSchedule, trainStep, type AdamWOptions, type AdamWState, type LrScheduleOptions, type TrainStepOptions, type TrainStepResult } from "./optimizer.js";
export { Rng } from "./rng.js";
export * as reference from "./reference-ops.js";
export { referenceLossAndGrads, type ReferenceBatch, type ReferenceParams } from "./reference-model.js";
