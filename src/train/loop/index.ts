// What the fine-tuning objectives share: the optimizer-step loop (schedule, logs, evaluation, checkpoints, stop
// and resume), the session that loads the checkpoint to train, the common settings and the held-out split.
export { formatMetrics, runTrainingLoop, type EvalPoint, type LoopSettings, type StepOutcome, type StepRecord, type TrainingLoopOptions, type TrainingLoopResult } from "./loop.js";
export { openSession, startFineTune, tokenizerFilesWithTemplate, type FineTuneStart, type Session, type SessionOptions } from "./session.js";
export { TOO_LONG_POLICIES, loadSplitData, resolveSettings, type FineTuneSettings, type LoadSplitOptions, type LoadedData, type SettingsDraft, type TooLongPolicy } from "./settings.js";
export { splitHeldOut } from "./split.js";
export { batchIndices, seededPermutation } from "./order.js";
