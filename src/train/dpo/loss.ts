// The DPO objective (Rafailov et al. 2023) on sequence log-probabilities: for a pair with policy log-probabilities
// πc, πr and reference ones ρc, ρr, z = β((πc − ρc) − (πr − ρr)) and loss = −log σ(z). Rewards are β(π − ρ).
// The gradient with respect to the policy's log-probabilities is what the model's weighted backward pass takes.

/** One pair's DPO loss, rewards and gradient. */
export interface DpoPairResult {
  readonly loss: number;
  /** β(πc − ρc). */
  readonly chosenReward: number;
  /** β(πr − ρr). */
  readonly rejectedReward: number;
  /** d loss / d πc (= −β σ(−z)); d loss / d πr is its negative. */
  readonly gradChosen: number;
  readonly gradRejected: number;
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** σ(x) without overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** The DPO loss of one pair from its four sequence log-probabilities. */
export function dpoPairLoss(policyChosen: number, policyRejected: number, refChosen: number, refRejected: number, beta: number): DpoPairResult {
  const chosenReward = beta * (policyChosen - refChosen);
  const rejectedReward = beta * (policyRejected - refRejected);
  const z = chosenReward - rejectedReward;
  const g = -beta * sigmoid(-z);
  return { loss: softplus(-z), chosenReward, rejectedReward, gradChosen: g, gradRejected: -g };
}

/** Means over pairs of what DPO logs. */
export interface DpoMetrics {
  readonly loss: number;
  /** Fraction of pairs whose chosen reward is above the rejected one. */
  readonly reward_accuracy: number;
  /** Mean of chosen − rejected reward. */
  readonly reward_margin: number;
  readonly chosen_reward: number;
  readonly rejected_reward: number;
}

/** The logged means of a set of pairs' results. */
export function dpoMetrics(results: readonly DpoPairResult[]): DpoMetrics {
  const n = Math.max(1, results.length);
  let loss = 0, right = 0, margin = 0, chosen = 0, rejected = 0;
  for (const r of results) {
    loss += r.loss;
    if (r.chosenReward > r.rejectedReward) right++;
    margin += r.chosenReward - r.rejectedReward;
    chosen += r.chosenReward;
    rejected += r.rejectedReward;
  }
  return { loss: loss / n, reward_accuracy: right / n, reward_margin: margin / n, chosen_reward: chosen / n, rejected_reward: rejected / n };
}
