/* The kernels of dusk's training engine, in plain C with no library calls, shared by both backends:
 * the native addon (with dusk_sgemm over the system's BLAS) and the WebAssembly build (with its own SIMD sgemm).
 *
 * Legend for shapes (row-major, last index fastest):
 *   B batch, T time (sequence length), N = B*T rows, C channels (hidden size), V vocabulary,
 *   NH query heads, NKV key/value heads, HD head dimension, F feed-forward size.
 * Arrays marked "+=" are accumulated into; all others are overwritten. */
#ifndef DUSK_OPS_H
#define DUSK_OPS_H

/* C = alpha * op(A) @ op(B) + beta * C, row-major; op(A) is [M, K], op(B) is [K, N], C is [M, N].
 * trans_a / trans_b are 0 or 1; lda/ldb/ldc are the row strides of the arrays as stored. Backend-specific. */
void dusk_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc);
/* The same with an explicit workspace, so that threads can multiply at once: the WebAssembly build packs panels
 * into ws (dusk_sgemm_ws_floats() floats; NULL means the main thread's static one); the native build ignores ws. */
void dusk_sgemm_ws(float *ws, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc);
/* Floats of workspace dusk_sgemm_ws needs (WebAssembly build only). */
int dusk_sgemm_ws_floats(void);

/* out[N, C] = table[tokens[n], :] */
void dusk_embedding_forward(float *out, const int *tokens, const float *table, int N, int C);
/* dtable[tokens[n], :] += dout[n, :] */
void dusk_embedding_backward(float *dtable, const int *tokens, const float *dout, int N, int C);

/* out[N, C] = x * rstd * w, rstd[N] = 1 / sqrt(mean(x^2) + eps)  (llama.cpp's rms_norm followed by mul) */
void dusk_rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, int N, int C, float eps);
/* dx[N, C] +=, dw[C] += ; from dout[N, C], x[N, C], w[C], rstd[N] */
void dusk_rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x, const float *w, const float *rstd,
                           int N, int C);

/* In place on x: rows of width row_stride, B*T of them, each holding n_heads heads of HD values starting at
 * column 0 of x. Adjacent pairs (2i, 2i+1) rotate by angle t * theta_i (llama.cpp's rope mode 0).
 * cos_t / sin_t are [T, HD/2]. */
void dusk_rope_forward(float *x, const float *cos_t, const float *sin_t, int B, int T, int n_heads, int HD,
                       int row_stride);
/* In place on dx: the transpose (inverse rotation) of dusk_rope_forward. */
void dusk_rope_backward(float *dx, const float *cos_t, const float *sin_t, int B, int T, int n_heads, int HD,
                        int row_stride);

/* Causal grouped-query attention. qkv[N, (NH + 2 NKV) HD] holds q, k, v side by side (rope already applied);
 * query head h reads key/value head h / (NH / NKV). out[N, NH HD]; lse[B, NH, T] the log-sum-exp of each
 * row of scaled scores (kept for the backward pass). scratch: T*T floats; gemm_ws: as for dusk_sgemm_ws. */
void dusk_attention_forward(float *out, float *lse, const float *qkv, int B, int T, int NH, int NKV, int HD,
                            float *scratch, float *gemm_ws);
/* dqkv[N, (NH + 2 NKV) HD] (overwritten) from dout[N, NH HD], qkv and lse of the forward. scratch: 2*T*T floats. */
void dusk_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *lse, int B, int T, int NH,
                             int NKV, int HD, float *scratch, float *gemm_ws);

/* h[n] = silu(g[n]) * u[n] */
void dusk_swiglu_forward(float *h, const float *g, const float *u, int n);
/* dg[n], du[n] from dh[n], g[n], u[n] (dg or du may alias dh) */
void dusk_swiglu_backward(float *dg, float *du, const float *dh, const float *g, const float *u, int n);

/* y[n] += x[n] */
void dusk_add(float *y, const float *x, int n);
/* y[n] *= a */
void dusk_scale(float *y, float a, int n);
/* y[n] = a */
void dusk_fill(float *y, float a, int n);

/* losses[N] = logsumexp(logits[n, :]) - logits[n, targets[n]]; 0 where targets[n] < 0 */
void dusk_cross_entropy_forward(float *losses, const float *logits, const int *targets, int N, int V);
/* dlogits[N, V] = scale * (softmax(logits[n, :]) - onehot(targets[n])); 0 rows where targets[n] < 0.
 * dlogits may alias logits. */
void dusk_cross_entropy_backward(float *dlogits, const float *logits, const int *targets, int N, int V, float scale);
/* out[N, V] = logits - logsumexp(logits) per row (out may alias logits) */
void dusk_log_softmax(float *out, const float *logits, int N, int V);

/* AdamW with decoupled weight decay (PyTorch's AdamW): g' = g * grad_scale; m, v updated in place;
 * p -= lr * (wd * p + (m / bc1) / (sqrt(v / bc2) + eps)) where bc1 = 1 - beta1^t, bc2 = 1 - beta2^t. */
void dusk_adamw_step(float *p, const float *g, float *m, float *v, int n, float lr, float beta1, float beta2,
                     float eps, float wd, float grad_scale, float bc1, float bc2);

/* sum of x[n]^2, accumulated in double */
double dusk_sumsq(const float *x, int n);

#endif
