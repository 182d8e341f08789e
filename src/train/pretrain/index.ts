// `dusk train pretrain`: the token cache and batches, model presets, checkpoints with trainer and optimizer state,
// and the training loop.
export { PRETRAIN_PRESETS, hfConfigFromLlama, llamaConfigFromHf, resolveModelConfig } from "./config.js";
export { TokenDataset, loadTokenCorpus, tokenizerSha256, type LoadTokenCorpusOptions, type TokenCacheInfo, type TokenCorpus, type TokenDatasetOptions } from "./data.js";
export {
  OPTIMIZER_STATE_FILE, TRAINER_STATE_FILE, latestCheckpoint, loadCheckpointWeights, readCheckpointConfig, readTrainingState, saveCheckpoint,
  type EvalRecord, type LossRecord, type PretrainSettings, type ScheduleSettings, type SaveCheckpointOptions, type TrainerState,
} from "./checkpoint.js";
export { CorpusTooSmallError, NonFiniteLossError, ResumeError } from "./errors.js";
export { pretrain, type PretrainOptions, type PretrainResult } from "./pretrain.js";
