// Optimisation: AdamW with decoupled weight decay (PyTorch's formula), gradient clipping by global norm, the
// warmup + cosine learning-rate schedule, and one training step over several micro-batches (gradient accumulation).
import { InvalidArgumentError } from "../common/index.js";
import { ModelInputError } from "./errors.js";
import type { ModelBatch, LlamaModel } from "./model.js";

/** Options of {@link AdamW}. */
export interface AdamWOptions {
  /** Defaults to 0.9. */
  beta1?: number;
  /** Defaults to 0.999 (PyTorch's default; LLM recipes often use 0.95). */
  beta2?: number;
  /** Defaults to 1e-8. */
  eps?: number;
  /** Decoupled weight decay, applied to matrices (not to norm weights). Defaults to 0.01. */
  weightDecay?: number;
}

/** AdamW's state, as a checkpoint stores it. */
export interface AdamWState {
  /** Optimizer steps taken. */
  step: number;
  /** First moments, laid out as the model's parameters. */
  m: Float32Array;
  /** Second moments. */
  v: Float32Array;
}

/** AdamW over all of a model's parameters, its state on the model's kernel backend. */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;

  constructor(private readonly model: LlamaModel, { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 }: AdamWOptions = {}) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.m = model.kernels.alloc(model.params.length);
    this.v = model.kernels.alloc(model.params.length);
  }

  /** Optimizer steps taken so far. */
  get stepCount(): number {
    return this.t;
  }

  /** Bytes of optimizer state. */
  get stateBytes(): number {
    return this.m.byteLength + this.v.byteLength;
  }

  /**
   * Updates every parameter from the model's gradients.
   * @param options.lr the learning rate of this step
   * @param options.gradScale multiplies the gradients first (the clipping factor). Defaults to 1.
   */
  step({ lr, gradScale = 1 }: { lr: number; gradScale?: number }): void {
    this.t += 1;
    const k = this.model.kernels;
    const base = this.model.params.byteOffset / 4;
    for (const tensor of this.model.tensors) {
      const start = tensor.data.byteOffset / 4 - base, end = start + tensor.data.length;
      k.adamwStep({
        param: tensor.data, grad: tensor.grad, m: this.m.subarray(start, end), v: this.v.subarray(start, end), lr,
        beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: tensor.decay ? this.weightDecay : 0, step: this.t, gradScale,
      });
    }
  }

  /** A copy of the state (for checkpoints). */
  exportState(): AdamWState {
    return { step: this.t, m: Float32Array.from(this.m), v: Float32Array.from(this.v) };
  }

  /** Restores a state from {@link exportState} (e.g. when resuming). */
  importState(state: AdamWState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new ModelInputError(`expected optimizer state for ${this.m.length} parameters but got ${state.m.length}`);
    }
    this.m.set(state.m);
    this.v.set(state.v);
    this.t = state.step;
  }

  /** Gives the state's memory back to the backend. */
  dispose(): void {
    this.model.kernels.free(this.m);
    this.model.kernels.free(this.v);
  }
}

/** PyTorch's clip_grad_norm_ factor: min(1, maxNorm / (norm + 1e-6)). */
export function clipScale(norm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (norm + 1e-6));
}

/** Options of {@link lrSchedule}. */
export interface LrScheduleOptions {
  /** The step being taken, from 0. */
  step: number;
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warmup from lr/warmup to lr. Defaults to 0. */
  warmupSteps?: number;
  /** Steps of the whole run; the cosine decays from lr to minLr between warmupSteps and totalSteps. */
  totalSteps: number;
  /** The floor of the decay. Defaults to lr / 10. */
  minLr?: number;
}

/** Learning rate at a step: linear warmup, then cosine decay to minLr, then minLr. */
export function lrSchedule({ step, lr, warmupSteps = 0, totalSteps, minLr = lr / 10 }: LrScheduleOptions): number {
  if (!(step >= 0) || !(totalSteps >= 1) || !(warmupSteps >= 0)) {
    throw new InvalidArgumentError(`expected step >= 0, totalSteps >= 1 and warmupSteps >= 0 but got ${step}, ${totalSteps} and ${warmupSteps}`);
  }
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  return minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (lr - minLr);
}

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** Learning rate of this step. */
  lr: number;
  /** Clip the global gradient norm to this (Infinity disables clipping). Defaults to 1. */
  maxGradNorm?: number;
}

/** What one optimizer step saw. */
export interface TrainStepResult {
  /** Mean of the micro-batches' losses. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/**
 * One optimizer step over micro-batches (gradient accumulation): zero the gradients, forward and backward each
 * micro-batch with its loss scaled by 1/k, clip the global norm, update. Equivalent to one batch of all of them
 * when every micro-batch has the same number of targets.
 */
export function trainStep(model: LlamaModel, optimizer: AdamW, microBatches: readonly ModelBatch[], { lr, maxGradNorm = 1 }: TrainStepOptions): TrainStepResult {
  if (microBatches.length === 0) throw new InvalidArgumentError("expected at least one micro-batch but got none");
  model.zeroGrad();
  let loss = 0;
  for (const batch of microBatches) {
    if (!batch.targets) throw new ModelInputError("expected every micro-batch of a training step to have targets but one has none");
    loss += model.forward(batch).loss ?? 0;
    model.backward({ gradScale: 1 / microBatches.length });
  }
  const gradNorm = model.gradNorm();
  optimizer.step({ lr, gradScale: clipScale(gradNorm, maxGradNorm) });
  return { loss: loss / microBatches.length, gradNorm };
}
