// Typed errors of `dusk train pretrain`: a loss that stopped being finite, a checkpoint that cannot be resumed,
// a corpus too small for the asked batch shape.
import { DuskError } from "../../common/index.js";

/** The training loss became NaN or infinite; the run stopped, keeping the last good checkpoint. */
export class NonFiniteLossError extends DuskError {
  constructor(readonly step: number, readonly loss: number, readonly lastCheckpoint: string | undefined) {
    super(
      "PRETRAIN_NON_FINITE_LOSS",
      `expected a finite training loss but step ${step} gave ${String(loss)}`,
      {
        hint:
          (lastCheckpoint === undefined ? "no checkpoint was written before it; " : `the last good checkpoint is ${lastCheckpoint} (resume with --resume ${lastCheckpoint}); `) +
          "lower --lr, raise --warmup, or check the data",
      },
    );
  }
}

/** A checkpoint given to --resume lacks the trainer state or the optimizer state, or does not match. */
export class ResumeError extends DuskError {
  constructor(message: string, hint = "resume from a checkpoint-<step> folder written by `dusk train pretrain`") {
    super("PRETRAIN_RESUME", message, { hint });
  }
}

/** The corpus has too few tokens for the batch shape or the held-out split. */
export class CorpusTooSmallError extends DuskError {
  constructor(message: string) {
    super("PRETRAIN_CORPUS_TOO_SMALL", message, { hint: "give more text, a smaller --seq-len, or a different --held-out fraction" });
  }
}
