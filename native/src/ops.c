/* The engine's elementwise, row-wise and attention kernels in plain C (no libc), compiled into both the
 * native addon and the WebAssembly module. Shapes follow the legend in ops.h. Attention calls dusk_sgemm,
 * which each backend provides (system BLAS natively, our SIMD kernel in WebAssembly). */
#include "ops.h"

/* ---- math helpers (no libm: the WebAssembly build has none, and one implementation keeps backends alike) ---- */

static inline float dusk_sqrtf(float x) { return __builtin_sqrtf(x); }

/* exp(x) in float, branch-free so that loops over it vectorise: Cephes-style range reduction x = n ln2 + r
 * and a degree-6 polynomial for exp(r); inputs are clamped to the normal range (exp(-87.3) ~ 1e-38). */
static inline float dusk_expf(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.3f ? 88.3f : x;
  /* round to nearest by adding and subtracting 1.5 * 2^23 (|x log2 e| < 2^22 here): vectorises without SSE4.1 */
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  union { int i; float f; } u;
  u.i = ((int)n + 127) << 23;
  return p * u.f;
}

/* natural log of a positive finite double: x = m 2^e with m in [sqrt(1/2), sqrt(2)), then
 * log(m) = 2 atanh(s) with s = (m - 1) / (m + 1), |s| < 0.172, summed to s^21 (error < 1e-16). */
static double dusk_log(double x) {
  union { double d; unsigned long long u; } v;
  v.d = x;
  int e = (int)((v.u >> 52) & 0x7ff) - 1023;
  v.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL; /* m in [1, 2) */
  double m = v.d;
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  double s = (m - 1.0) / (m + 1.0);
  double s2 = s * s;
  double term = s, sum = 0.0;
  for (int k = 1; k <= 21; k += 2) {
    sum += term / k;
    term *= s2;
  }
  return 2.0 * sum + e * 0.69314718055994530942;
}

/* ---- reductions in a fixed order with 8 partial results, so that they vectorise and stay deterministic ---- */

static float sum_f32(const float *x, int n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) acc[l] += x[j + l];
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; j < n; j++) s += x[j];
  return s;
}

static float dot_f32(const float *x, const float *y, int n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) acc[l] += x[j + l] * y[j + l];
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; j < n; j++) s += x[j] * y[j];
  return s;
}

static float max_f32(const float *x, int n) {
  float acc[8];
  int j = 0;
  if (n < 8) {
    float m = x[0];
    for (j = 1; j < n; j++) m = x[j] > m ? x[j] : m;
    return m;
  }
  for (int l = 0; l < 8; l++) acc[l] = x[l];
  for (j = 8; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) acc[l] = x[j + l] > acc[l] ? x[j + l] : acc[l];
  float m = acc[0];
  for (int l = 1; l < 8; l++) m = acc[l] > m ? acc[l] : m;
  for (; j < n; j++) m = x[j] > m ? x[j] : m;
  return m;
}

/* out[j] = exp(in[j] - shift); out may be in */
static void exp_shift(float *out, const float *in, float shift, int n) {
  for (int j = 0; j < n; j++) out[j] = dusk_expf(in[j] - shift);
}

/* ---- embedding ---- */

void dusk_embedding_forward(float *out, const int *tokens, const float *table, int N, int C) {
  for (int n = 0; n < N; n++) {
    const float *row = table + (long)tokens[n] * C;
    float *o = out + (long)n * C;
    for (int c = 0; c < C; c++) o[c] = row[c];
  }
}

void dusk_embedding_backward(float *dtable, const int *tokens, const float *dout, int N, int C) {
  for (int n = 0; n < N; n++) {
    float *row = dtable + (long)tokens[n] * C;
    const float *d = dout + (long)n * C;
    for (int c = 0; c < C; c++) row[c] += d[c];
  }
}

/* ---- RMSNorm ---- */

void dusk_rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, int N, int C, float eps) {
  for (int n = 0; n < N; n++) {
    const float *xr = x + (long)n * C;
    float *o = out + (long)n * C;
    double ss = 0.0;
    for (int c = 0; c < C; c++) ss += (double)(xr[c] * xr[c]);
    float mean = (float)(ss / C);
    float r = 1.0f / dusk_sqrtf(mean + eps);
    rstd[n] = r;
    for (int c = 0; c < C; c++) o[c] = (xr[c] * r) * w[c];
  }
}

void dusk_rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x, const float *w, const float *rstd,
                           int N, int C) {
  for (int n = 0; n < N; n++) {
    const float *xr = x + (long)n * C;
    const float *d = dout + (long)n * C;
    float *dxr = dx + (long)n * C;
    float r = rstd[n];
    double dot = 0.0; /* sum of dxhat * x, where dxhat = dout * w */
    for (int c = 0; c < C; c++) dot += (double)(d[c] * w[c] * xr[c]);
    float k = (float)(dot / C) * r * r * r;
    for (int c = 0; c < C; c++) {
      dxr[c] += d[c] * w[c] * r - xr[c] * k;
      dw[c] += d[c] * (xr[c] * r);
    }
  }
}

/* ---- rotary position embedding (adjacent pairs, llama.cpp mode 0) ---- */

void dusk_rope_forward(float *x, const float *cos_t, const float *sin_t, int B, int T, int n_heads, int HD,
                       int row_stride) {
  int half = HD / 2;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      float *row = x + ((long)b * T + t) * row_stride;
      const float *cs = cos_t + (long)t * half, *sn = sin_t + (long)t * half;
      for (int h = 0; h < n_heads; h++) {
        float *p = row + (long)h * HD;
        for (int i = 0; i < half; i++) {
          float x0 = p[2 * i], x1 = p[2 * i + 1];
          p[2 * i] = x0 * cs[i] - x1 * sn[i];
          p[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
        }
      }
    }
}

void dusk_rope_backward(float *dx, const float *cos_t, const float *sin_t, int B, int T, int n_heads, int HD,
                        int row_stride) {
  int half = HD / 2;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      float *row = dx + ((long)b * T + t) * row_stride;
      const float *cs = cos_t + (long)t * half, *sn = sin_t + (long)t * half;
      for (int h = 0; h < n_heads; h++) {
        float *p = row + (long)h * HD;
        for (int i = 0; i < half; i++) {
          float d0 = p[2 * i], d1 = p[2 * i + 1];
          p[2 * i] = d0 * cs[i] + d1 * sn[i];
          p[2 * i + 1] = -d0 * sn[i] + d1 * cs[i];
        }
      }
    }
}

/* ---- causal grouped-query attention ----
 * Query rows are processed in blocks of ATT_BLOCK so that each block's scores only span the keys it can see
 * (about half of the T x T products are skipped). The probabilities are not kept: the backward pass recomputes
 * them from q, k and the saved log-sum-exp. Matrix products go through dusk_sgemm_ws with the caller's workspace. */
#define ATT_BLOCK 64

void dusk_attention_forward(float *out, float *lse, const float *qkv, int B, int T, int NH, int NKV, int HD,
                            float *scratch, float *gemm_ws) {
  int W = (NH + 2 * NKV) * HD, OW = NH * HD, rep = NH / NKV;
  float scale = 1.0f / dusk_sqrtf((float)HD);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const float *base = qkv + (long)b * T * W;
      const float *Q = base + (long)h * HD;
      const float *K = base + (long)(NH + h / rep) * HD;
      const float *Vv = base + (long)(NH + NKV + h / rep) * HD;
      float *O = out + (long)b * T * OW + (long)h * HD;
      float *L = lse + ((long)b * NH + h) * T;
      for (int r0 = 0; r0 < T; r0 += ATT_BLOCK) {
        int r1 = r0 + ATT_BLOCK < T ? r0 + ATT_BLOCK : T, rows = r1 - r0;
        float *S = scratch; /* [rows, r1] with row stride T */
        dusk_sgemm_ws(gemm_ws, 0, 1, rows, r1, HD, scale, Q + (long)r0 * W, W, K, W, 0.0f, S, T);
        for (int i = 0; i < rows; i++) {
          int t = r0 + i, n = t + 1;
          float *s = S + (long)i * T;
          float m = max_f32(s, n);
          exp_shift(s, s, m, n);
          float sum = sum_f32(s, n);
          float inv = 1.0f / sum;
          for (int j = 0; j < n; j++) s[j] *= inv;
          for (int j = n; j < r1; j++) s[j] = 0.0f;
          L[t] = m + (float)dusk_log((double)sum);
        }
        dusk_sgemm_ws(gemm_ws, 0, 0, rows, HD, r1, 1.0f, S, T, Vv, W, 0.0f, O + (long)r0 * OW, OW);
      }
    }
}

void dusk_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *lse, int B, int T, int NH,
                             int NKV, int HD, float *scratch, float *gemm_ws) {
  int W = (NH + 2 * NKV) * HD, OW = NH * HD, rep = NH / NKV;
  float scale = 1.0f / dusk_sqrtf((float)HD);
  float *P = scratch, *dP = scratch + (long)T * T;
  for (int b = 0; b < B; b++) {
    const float *base = qkv + (long)b * T * W;
    float *dbase = dqkv + (long)b * T * W;
    for (int t = 0; t < T; t++) dusk_fill(dbase + (long)t * W + (long)NH * HD, 0.0f, 2 * NKV * HD);
    for (int h = 0; h < NH; h++) {
      int g = h / rep;
      const float *Q = base + (long)h * HD, *K = base + (long)(NH + g) * HD, *Vv = base + (long)(NH + NKV + g) * HD;
      float *dQ = dbase + (long)h * HD, *dK = dbase + (long)(NH + g) * HD, *dV = dbase + (long)(NH + NKV + g) * HD;
      const float *dO = dout + (long)b * T * OW + (long)h * HD;
      const float *L = lse + ((long)b * NH + h) * T;
      for (int r0 = 0; r0 < T; r0 += ATT_BLOCK) {
        int r1 = r0 + ATT_BLOCK < T ? r0 + ATT_BLOCK : T, rows = r1 - r0;
        /* P = softmax(scale Q K^T) recomputed from the saved log-sum-exp */
        dusk_sgemm_ws(gemm_ws, 0, 1, rows, r1, HD, scale, Q + (long)r0 * W, W, K, W, 0.0f, P, T);
        for (int i = 0; i < rows; i++) {
          int t = r0 + i, n = t + 1;
          float *p = P + (long)i * T;
          float l = L[t];
          exp_shift(p, p, l, n);
          for (int j = n; j < r1; j++) p[j] = 0.0f;
        }
        /* dP = dO V^T ; dV += P^T dO */
        dusk_sgemm_ws(gemm_ws, 0, 1, rows, r1, HD, 1.0f, dO + (long)r0 * OW, OW, Vv, W, 0.0f, dP, T);
        dusk_sgemm_ws(gemm_ws, 1, 0, r1, HD, rows, 1.0f, P, T, dO + (long)r0 * OW, OW, 1.0f, dV, W);
        /* dS = P * (dP - rowsum(P * dP)) * scale, written over dP */
        for (int i = 0; i < rows; i++) {
          int n = r0 + i + 1;
          float *p = P + (long)i * T, *dp = dP + (long)i * T;
          float dot = dot_f32(p, dp, n);
          for (int j = 0; j < n; j++) dp[j] = p[j] * (dp[j] - dot) * scale;
          for (int j = n; j < r1; j++) dp[j] = 0.0f;
        }
        /* dQ = dS K ; dK += dS^T Q */
        dusk_sgemm_ws(gemm_ws, 0, 0, rows, HD, r1, 1.0f, dP, T, K, W, 0.0f, dQ + (long)r0 * W, W);
        dusk_sgemm_ws(gemm_ws, 1, 0, r1, HD, rows, 1.0f, dP, T, Q + (long)r0 * W, W, 1.0f, dK, W);
      }
    }
  }
}

/* ---- SwiGLU ---- */

void dusk_swiglu_forward(float *h, const float *g, const float *u, int n) {
  for (int i = 0; i < n; i++) {
    float gi = g[i];
    float s = 1.0f / (1.0f + dusk_expf(-gi)); /* a reciprocal then products: faster than gi / (1 + e) with gcc */
    h[i] = gi * s * u[i];
  }
}

void dusk_swiglu_backward(float *dg, float *du, const float *dh, const float *g, const float *u, int n) {
  for (int i = 0; i < n; i++) {
    float s = 1.0f / (1.0f + dusk_expf(-g[i]));
    float d = dh[i], gi = g[i], ui = u[i];
    dg[i] = d * ui * s * (1.0f + gi * (1.0f - s));
    du[i] = d * gi * s;
  }
}

/* ---- simple vector ops ---- */

void dusk_add(float *y, const float *x, int n) {
  for (int i = 0; i < n; i++) y[i] += x[i];
}

void dusk_scale(float *y, float a, int n) {
  for (int i = 0; i < n; i++) y[i] *= a;
}

void dusk_fill(float *y, float a, int n) {
  for (int i = 0; i < n; i++) y[i] = a;
}

/* ---- cross-entropy and log-softmax ---- */

static float row_max(const float *row, int V) { return max_f32(row, V); }

/* sum of exp(row[j] - m): float partial sums over chunks of 256, chunks added in double */
static double row_sumexp(const float *row, int V, float m) {
  float chunk[256];
  double sum = 0.0;
  for (int j0 = 0; j0 < V; j0 += 256) {
    int len = V - j0 < 256 ? V - j0 : 256;
    exp_shift(chunk, row + j0, m, len);
    sum += (double)sum_f32(chunk, len);
  }
  return sum;
}

void dusk_cross_entropy_forward(float *losses, const float *logits, const int *targets, int N, int V) {
  for (int n = 0; n < N; n++) {
    int t = targets[n];
    if (t < 0) {
      losses[n] = 0.0f;
      continue;
    }
    const float *row = logits + (long)n * V;
    float m = row_max(row, V);
    double lse = (double)m + dusk_log(row_sumexp(row, V, m));
    losses[n] = (float)(lse - (double)row[t]);
  }
}

void dusk_cross_entropy_backward(float *dlogits, const float *logits, const int *targets, int N, int V, float scale) {
  for (int n = 0; n < N; n++) {
    int t = targets[n];
    const float *row = logits + (long)n * V;
    float *d = dlogits + (long)n * V;
    if (t < 0) {
      dusk_fill(d, 0.0f, V);
      continue;
    }
    float m = row_max(row, V);
    float k = (float)((double)scale / row_sumexp(row, V, m));
    for (int j = 0; j < V; j++) d[j] = dusk_expf(row[j] - m) * k;
    d[t] -= scale;
  }
}

void dusk_log_softmax(float *out, const float *logits, int N, int V) {
  for (int n = 0; n < N; n++) {
    const float *row = logits + (long)n * V;
    float *o = out + (long)n * V;
    float m = row_max(row, V);
    float lse = (float)((double)m + dusk_log(row_sumexp(row, V, m)));
    for (int j = 0; j < V; j++) o[j] = row[j] - lse;
  }
}

/* ---- optimiser ---- */

void dusk_adamw_step(float *p, const float *g, float *m, float *v, int n, float lr, float beta1, float beta2,
                     float eps, float wd, float grad_scale, float bc1, float bc2) {
  float decay = 1.0f - lr * wd, step = lr / bc1, sbc2 = dusk_sqrtf(bc2);
  for (int i = 0; i < n; i++) {
    float gi = g[i] * grad_scale;
    float mi = beta1 * m[i] + (1.0f - beta1) * gi;
    float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - step * mi / (dusk_sqrtf(vi) / sbc2 + eps);
  }
}

double dusk_sumsq(const float *x, int n) {
  double acc[4] = {0, 0, 0, 0};
  int i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; l++) acc[l] += (double)x[i + l] * (double)x[i + l];
  double s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
  for (; i < n; i++) s += (double)x[i] * (double)x[i];
  return s;
}
