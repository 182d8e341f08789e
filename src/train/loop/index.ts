// What the fine-tuning objectives share: the optimizer-step loop (schedule, logs, evaluation, checkpoints, stop
// and resume) and the session that loads the checkpoint to train.
export { formatMetrics, runTrainingLoop, type EvalPoint, type LoopSettings, type StepOutcome, type StepRecord, type TrainingLoopOptions, type TrainingLoopResult } from "./loop.js";
export { openSession, tokenizerFilesWithTemplate, type Session, type SessionOptions } from "./session.js";
