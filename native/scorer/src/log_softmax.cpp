// Vectorised log-softmax at a target index, written once with GCC/Clang vector extensions and compiled for the
// baseline ISA (SSE2 on x86-64, NEON on arm64) and, on x86-64, again for AVX2+FMA, chosen once at run time.
#include "log_softmax.h"

#include <cmath>
#include <cstring>

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
#if defined(__x86_64__)
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
#endif

// Body shared by the two ISA variants (a macro, because helpers are not inlined across target attributes).
// exp(x) for x <= 0: x = k ln2 + r with |r| <= ln2/2, exp(r) by its degree-6 Taylor polynomial, 2^k by exponent bits;
// x is clamped at -87 so that 2^k stays a normal float (terms below e^-87 cannot change a float sum of >= 1).
#define DUSK_ROW_STATS_BODY(VF, VI, W)                                                            \
  VF m = VF{} - INFINITY;                                                                         \
  int32_t k = 0;                                                                                  \
  for (; k + W <= n; k += W) {                                                                    \
    VF v;                                                                                         \
    std::memcpy(&v, row + k, sizeof v);                                                           \
    m = v > m ? v : m;                                                                            \
  }                                                                                               \
  float mx = -INFINITY;                                                                           \
  for (int j = 0; j < W; j++) mx = m[j] > mx ? m[j] : mx;                                         \
  for (int32_t j = k; j < n; j++) mx = row[j] > mx ? row[j] : mx;                                 \
  VF s0 = VF{}, s1 = VF{};                                                                        \
  for (k = 0; k + W <= n; k += W) {                                                               \
    VF x;                                                                                         \
    std::memcpy(&x, row + k, sizeof x);                                                           \
    x -= mx;                                                                                      \
    x = x > -87.0f ? x : -87.0f;                                                                  \
    VF kk = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;                               \
    VF r = (x - kk * 0.693145751953125f) - kk * 1.428606765330187e-06f;                           \
    VF p = r * (1.0f / 720.0f) + 1.0f / 120.0f;                                                   \
    p = p * r + 1.0f / 24.0f;                                                                     \
    p = p * r + 1.0f / 6.0f;                                                                      \
    p = p * r + 0.5f;                                                                             \
    p = p * r + 1.0f;                                                                             \
    p = p * r + 1.0f;                                                                             \
    VI bits = (__builtin_convertvector(kk, VI) + 127) << 23;                                      \
    VF scale;                                                                                     \
    std::memcpy(&scale, &bits, sizeof scale);                                                     \
    if ((k / W) & 1) s1 += p * scale;                                                             \
    else s0 += p * scale;                                                                         \
  }                                                                                               \
  double sum = 0;                                                                                 \
  for (int j = 0; j < W; j++) sum += (double)s0[j] + (double)s1[j];                               \
  for (; k < n; k++) sum += std::exp((double)row[k] - (double)mx);                                \
  *max_out = mx;                                                                                  \
  return sum;

// Returns sum_i exp(row[i] - max) and writes max.
static double row_stats_baseline(const float* row, int32_t n, float* max_out) { DUSK_ROW_STATS_BODY(v4f, v4i, 4) }

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static double row_stats_avx2(const float* row, int32_t n, float* max_out) {
  DUSK_ROW_STATS_BODY(v8f, v8i, 8)
}
#endif

typedef double (*RowStatsFn)(const float*, int32_t, float*);

static RowStatsFn pick_row_stats() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return row_stats_avx2;
#endif
  return row_stats_baseline;
}

RowStats row_stats(const float* row, int32_t n) {
  static const RowStatsFn compute = pick_row_stats();
  RowStats stats;
  stats.max = 0;
  const double sum = compute(row, n, &stats.max);
  stats.logsumexp = (double)stats.max + std::log(sum);
  return stats;
}

TargetScore score_target(const float* row, const RowStats& stats, int32_t target) {
  TargetScore score;
  score.logprob = (double)row[target] - stats.logsumexp;
  score.greedy = false;
  if (row[target] == stats.max) {
    int32_t first = 0;
    while (row[first] != stats.max) first++;
    score.greedy = first == target;
  }
  return score;
}
