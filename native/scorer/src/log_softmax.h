// Log-softmax of one logits row at one target token, without sorting or materialising probabilities: a vectorised
// max pass and a vectorised sum of exp(x - max) (range-reduced polynomial, relative error about 2e-7 per term).
#pragma once
#include <cstdint>

/** What one row of `n` logits (n = V, the vocabulary size) needs for scoring any target in it. */
struct RowStats {
  float max;
  double logsumexp;
};

/** Result of {@link score_target}. */
struct TargetScore {
  double logprob;  // log p(target) = row[target] - logsumexp(row)
  bool greedy;     // target is the first index of the row's maximum (as torch.argmax picks)
};

RowStats row_stats(const float* row, int32_t n);
TargetScore score_target(const float* row, const RowStats& stats, int32_t target);
