/* The native backend of dusk's engine: an N-API addon that exposes ops.c and dusk_sgemm (over the system's
 * BLAS: OpenBLAS on Linux, Accelerate on macOS) to JavaScript. Arrays are passed zero-copy as typed arrays;
 * the TypeScript layer (src/engine/kernels.ts) checks lengths before calling. */
#define _POSIX_C_SOURCE 200809L
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>
#include <unistd.h>

#include "ops.h"
#include "threads.h"

/* cblas_sgemm as every CBLAS declares it (enum values of the reference CBLAS: RowMajor 101, NoTrans 111, Trans 112). */
#ifdef __APPLE__
#include <Accelerate/Accelerate.h>
#else
void cblas_sgemm(int order, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc);
#endif
#ifdef DUSK_OPENBLAS
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
#endif

/* While the pool splits a kernel across threads, each part's matrix products run on one BLAS thread. */
static void blas_threads(int n) {
#ifdef DUSK_OPENBLAS
  openblas_set_num_threads(n);
#else
  (void)n;
#endif
}

void dusk_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc) {
  if (M <= 0 || N <= 0) return;
  cblas_sgemm(101, trans_a ? 112 : 111, trans_b ? 112 : 111, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* The BLAS manages its own threads and buffers: the workspace is not needed. */
void dusk_sgemm_ws(float *ws, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc) {
  (void)ws;
  dusk_sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* ---- kernels split across the pool (threads.c): disjoint slices, each computed as on one thread ---- */

#define MIN_PER_PART 32768 /* elements; smaller calls stay on the calling thread */

static int parts_for(long work, int minimum) {
  long parts = work / minimum;
  int size = dusk_pool_size();
  return parts < 1 ? 1 : (parts > size ? size : (int)parts);
}

typedef struct {
  float *out, *lse, *dqkv;
  const float *qkv, *dout, *lse_in;
  int B, T, NH, NKV, HD;
  float *scratch;
  int backward;
} Attention;

static void attention_part(void *ctx, int part, int parts) {
  Attention *a = (Attention *)ctx;
  int b0, nb;
  dusk_range(a->B, part, parts, 1, &b0, &nb);
  if (nb <= 0) return;
  long W = (long)(a->NH + 2 * a->NKV) * a->HD, OW = (long)a->NH * a->HD, T = a->T;
  float *s = part == 0 ? a->scratch : dusk_pool_scratch(part, (size_t)(a->backward ? 2 : 1) * T * T);
  if (!s) return; /* out of memory: leaves this slice unwritten (cannot happen for sane T) */
  if (a->backward)
    dusk_attention_backward(a->dqkv + b0 * T * W, a->dout + b0 * T * OW, a->qkv + b0 * T * W, a->lse_in + (long)b0 * a->NH * T,
                            nb, a->T, a->NH, a->NKV, a->HD, s, NULL);
  else
    dusk_attention_forward(a->out + b0 * T * OW, a->lse + (long)b0 * a->NH * T, a->qkv + b0 * T * W, nb, a->T, a->NH,
                           a->NKV, a->HD, s, NULL);
}

static void attention_parallel(Attention *a) {
  int parts = a->B < dusk_pool_size() ? a->B : dusk_pool_size();
  if (parts > 1) blas_threads(1);
  dusk_parallel(attention_part, a, parts);
  if (parts > 1) blas_threads(dusk_pool_size());
}

typedef struct {
  int op; /* 0 cross-entropy forward, 1 backward, 2 log-softmax */
  float *out;
  const float *logits;
  const int *targets;
  int N, V;
  float scale;
} Rows;

static void rows_part(void *ctx, int part, int parts) {
  Rows *r = (Rows *)ctx;
  int n0, nn;
  dusk_range(r->N, part, parts, 1, &n0, &nn);
  if (nn <= 0) return;
  long V = r->V;
  if (r->op == 0) dusk_cross_entropy_forward(r->out + n0, r->logits + n0 * V, r->targets + n0, nn, r->V);
  else if (r->op == 1) dusk_cross_entropy_backward(r->out + n0 * V, r->logits + n0 * V, r->targets + n0, nn, r->V, r->scale);
  else dusk_log_softmax(r->out + n0 * V, r->logits + n0 * V, nn, r->V);
}

typedef struct {
  int op; /* 0 swiglu forward, 1 swiglu backward, 2 adamw */
  float *a, *b, *c, *d;
  const float *e;
  int n;
  float lr, beta1, beta2, eps, wd, gs, bc1, bc2;
} Elements;

static void elements_part(void *ctx, int part, int parts) {
  Elements *x = (Elements *)ctx;
  int i, n;
  dusk_range(x->n, part, parts, 16, &i, &n);
  if (n <= 0) return;
  if (x->op == 0) dusk_swiglu_forward(x->a + i, x->b + i, x->c + i, n);
  else if (x->op == 1) dusk_swiglu_backward(x->a + i, x->b + i, x->c + i, x->d + i, x->e + i, n);
  else dusk_adamw_step(x->a + i, x->b + i, x->c + i, x->d + i, n, x->lr, x->beta1, x->beta2, x->eps, x->wd, x->gs, x->bc1, x->bc2);
}

/* ---- argument helpers: each call reads its arguments into locals, then checks `bad` once ---- */

#define MAX_ARGS 16

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  int bad;
} Args;

static int read_args(napi_env env, napi_callback_info info, Args *a, size_t expected) {
  a->env = env;
  a->argc = MAX_ARGS;
  a->bad = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok || a->argc < expected) {
    napi_throw_type_error(env, "DUSK_NATIVE_ARGS", "wrong number of arguments to a dusk native kernel");
    return 0;
  }
  return 1;
}

static void *typed(Args *a, int i, napi_typedarray_type want) {
  if (a->bad) return NULL;
  napi_typedarray_type type;
  size_t length;
  void *data = NULL;
  bool is_typed = false;
  if (napi_is_typedarray(a->env, a->argv[i], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(a->env, a->argv[i], &type, &length, &data, NULL, NULL) != napi_ok || type != want) {
    a->bad = 1;
    napi_throw_type_error(a->env, "DUSK_NATIVE_ARGS", "expected a Float32Array or Int32Array argument");
    return NULL;
  }
  return data;
}

static float *F(Args *a, int i) { return (float *)typed(a, i, napi_float32_array); }
static int *I(Args *a, int i) { return (int *)typed(a, i, napi_int32_array); }

static int N_(Args *a, int i) {
  int32_t v = 0;
  if (!a->bad && napi_get_value_int32(a->env, a->argv[i], &v) != napi_ok) {
    a->bad = 1;
    napi_throw_type_error(a->env, "DUSK_NATIVE_ARGS", "expected an integer argument");
  }
  return v;
}

static float R(Args *a, int i) {
  double v = 0;
  if (!a->bad && napi_get_value_double(a->env, a->argv[i], &v) != napi_ok) {
    a->bad = 1;
    napi_throw_type_error(a->env, "DUSK_NATIVE_ARGS", "expected a number argument");
  }
  return (float)v;
}

#define BEGIN(n)                                \
  Args a;                                       \
  if (!read_args(env, info, &a, n)) return NULL;
#define CALL(expr) \
  do {             \
    if (a.bad) return NULL; \
    expr;          \
    return NULL;   \
  } while (0)

/* ---- wrappers, one per kernel, arguments in the order of ops.h ---- */

static napi_value w_sgemm(napi_env env, napi_callback_info info) {
  BEGIN(13);
  int ta = N_(&a, 0), tb = N_(&a, 1), M = N_(&a, 2), Nn = N_(&a, 3), K = N_(&a, 4);
  float alpha = R(&a, 5);
  const float *A = F(&a, 6);
  int lda = N_(&a, 7);
  const float *Bm = F(&a, 8);
  int ldb = N_(&a, 9);
  float beta = R(&a, 10);
  float *Cm = F(&a, 11);
  int ldc = N_(&a, 12);
  CALL(dusk_sgemm(ta, tb, M, Nn, K, alpha, A, lda, Bm, ldb, beta, Cm, ldc));
}

static napi_value w_embedding_forward(napi_env env, napi_callback_info info) {
  BEGIN(5);
  float *out = F(&a, 0);
  int *tok = I(&a, 1);
  float *table = F(&a, 2);
  int a3 = N_(&a, 3);
  int a4 = N_(&a, 4);
  CALL(dusk_embedding_forward(out, tok, table, a3, a4));
}

static napi_value w_embedding_backward(napi_env env, napi_callback_info info) {
  BEGIN(5);
  float *dtable = F(&a, 0);
  int *tok = I(&a, 1);
  float *dout = F(&a, 2);
  int a3 = N_(&a, 3);
  int a4 = N_(&a, 4);
  CALL(dusk_embedding_backward(dtable, tok, dout, a3, a4));
}

static napi_value w_rmsnorm_forward(napi_env env, napi_callback_info info) {
  BEGIN(7);
  float *out = F(&a, 0), *rstd = F(&a, 1), *x = F(&a, 2), *w = F(&a, 3);
  int a4 = N_(&a, 4);
  int a5 = N_(&a, 5);
  float a6 = R(&a, 6);
  CALL(dusk_rmsnorm_forward(out, rstd, x, w, a4, a5, a6));
}

static napi_value w_rmsnorm_backward(napi_env env, napi_callback_info info) {
  BEGIN(8);
  float *dx = F(&a, 0), *dw = F(&a, 1), *dout = F(&a, 2), *x = F(&a, 3), *w = F(&a, 4), *rstd = F(&a, 5);
  int a6 = N_(&a, 6);
  int a7 = N_(&a, 7);
  CALL(dusk_rmsnorm_backward(dx, dw, dout, x, w, rstd, a6, a7));
}

static napi_value w_rope_forward(napi_env env, napi_callback_info info) {
  BEGIN(8);
  float *x = F(&a, 0), *c = F(&a, 1), *s = F(&a, 2);
  int a3 = N_(&a, 3);
  int a4 = N_(&a, 4);
  int a5 = N_(&a, 5);
  int a6 = N_(&a, 6);
  int a7 = N_(&a, 7);
  CALL(dusk_rope_forward(x, c, s, a3, a4, a5, a6, a7));
}

static napi_value w_rope_backward(napi_env env, napi_callback_info info) {
  BEGIN(8);
  float *x = F(&a, 0), *c = F(&a, 1), *s = F(&a, 2);
  int a3 = N_(&a, 3);
  int a4 = N_(&a, 4);
  int a5 = N_(&a, 5);
  int a6 = N_(&a, 6);
  int a7 = N_(&a, 7);
  CALL(dusk_rope_backward(x, c, s, a3, a4, a5, a6, a7));
}

static napi_value w_attention_forward(napi_env env, napi_callback_info info) {
  BEGIN(9);
  float *out = F(&a, 0), *lse = F(&a, 1), *qkv = F(&a, 2), *scratch = F(&a, 8);
  int a3 = N_(&a, 3);
  int a4 = N_(&a, 4);
  int a5 = N_(&a, 5);
  int a6 = N_(&a, 6);
  int a7 = N_(&a, 7);
  Attention at = {out, lse, NULL, qkv, NULL, NULL, a3, a4, a5, a6, a7, scratch, 0};
  CALL(attention_parallel(&at));
}

static napi_value w_attention_backward(napi_env env, napi_callback_info info) {
  BEGIN(10);
  float *dqkv = F(&a, 0), *dout = F(&a, 1), *qkv = F(&a, 2), *lse = F(&a, 3), *scratch = F(&a, 9);
  int a4 = N_(&a, 4);
  int a5 = N_(&a, 5);
  int a6 = N_(&a, 6);
  int a7 = N_(&a, 7);
  int a8 = N_(&a, 8);
  Attention at = {NULL, NULL, dqkv, qkv, dout, lse, a4, a5, a6, a7, a8, scratch, 1};
  CALL(attention_parallel(&at));
}

static napi_value w_swiglu_forward(napi_env env, napi_callback_info info) {
  BEGIN(4);
  float *h = F(&a, 0), *g = F(&a, 1), *u = F(&a, 2);
  int a3 = N_(&a, 3);
  Elements x = {0, h, g, u, NULL, NULL, a3, 0, 0, 0, 0, 0, 0, 0, 0};
  CALL(dusk_parallel(elements_part, &x, parts_for(a3, MIN_PER_PART)));
}

static napi_value w_swiglu_backward(napi_env env, napi_callback_info info) {
  BEGIN(6);
  float *dg = F(&a, 0), *du = F(&a, 1), *dh = F(&a, 2), *g = F(&a, 3), *u = F(&a, 4);
  int a5 = N_(&a, 5);
  Elements x = {1, dg, du, dh, g, u, a5, 0, 0, 0, 0, 0, 0, 0, 0};
  CALL(dusk_parallel(elements_part, &x, parts_for(a5, MIN_PER_PART)));
}

static napi_value w_add(napi_env env, napi_callback_info info) {
  BEGIN(3);
  float *y = F(&a, 0), *x = F(&a, 1);
  int a2 = N_(&a, 2);
  CALL(dusk_add(y, x, a2));
}

static napi_value w_scale(napi_env env, napi_callback_info info) {
  BEGIN(3);
  float *y = F(&a, 0);
  float a1 = R(&a, 1);
  int a2 = N_(&a, 2);
  CALL(dusk_scale(y, a1, a2));
}

static napi_value w_fill(napi_env env, napi_callback_info info) {
  BEGIN(3);
  float *y = F(&a, 0);
  float a1 = R(&a, 1);
  int a2 = N_(&a, 2);
  CALL(dusk_fill(y, a1, a2));
}

static napi_value w_cross_entropy_forward(napi_env env, napi_callback_info info) {
  BEGIN(5);
  float *losses = F(&a, 0), *logits = F(&a, 1);
  int *targets = I(&a, 2);
  int a3 = N_(&a, 3);
  int a4 = N_(&a, 4);
  Rows r = {0, losses, logits, targets, a3, a4, 0};
  CALL(dusk_parallel(rows_part, &r, parts_for((long)a3 * a4, MIN_PER_PART)));
}

static napi_value w_cross_entropy_backward(napi_env env, napi_callback_info info) {
  BEGIN(6);
  float *dlogits = F(&a, 0), *logits = F(&a, 1);
  int *targets = I(&a, 2);
  int a3 = N_(&a, 3);
  int a4 = N_(&a, 4);
  float a5 = R(&a, 5);
  Rows r = {1, dlogits, logits, targets, a3, a4, a5};
  CALL(dusk_parallel(rows_part, &r, parts_for((long)a3 * a4, MIN_PER_PART)));
}

static napi_value w_log_softmax(napi_env env, napi_callback_info info) {
  BEGIN(4);
  float *out = F(&a, 0), *logits = F(&a, 1);
  int a2 = N_(&a, 2);
  int a3 = N_(&a, 3);
  Rows r = {2, out, logits, NULL, a2, a3, 0};
  CALL(dusk_parallel(rows_part, &r, parts_for((long)a2 * a3, MIN_PER_PART)));
}

static napi_value w_adamw_step(napi_env env, napi_callback_info info) {
  BEGIN(13);
  float *p = F(&a, 0), *g = F(&a, 1), *m = F(&a, 2), *v = F(&a, 3);
  int n = N_(&a, 4);
  float lr = R(&a, 5), b1 = R(&a, 6), b2 = R(&a, 7), eps = R(&a, 8), wd = R(&a, 9), gs = R(&a, 10);
  float bc1 = R(&a, 11), bc2 = R(&a, 12);
  Elements x = {2, p, (float *)g, m, v, NULL, n, lr, b1, b2, eps, wd, gs, bc1, bc2};
  CALL(dusk_parallel(elements_part, &x, parts_for(n, MIN_PER_PART)));
}

static napi_value w_sumsq(napi_env env, napi_callback_info info) {
  BEGIN(2);
  float *x = F(&a, 0);
  int n = N_(&a, 1);
  if (a.bad) return NULL;
  napi_value result;
  napi_create_double(env, dusk_sumsq(x, n), &result);
  return result;
}

/* setThreads(n): threads for the BLAS (OpenBLAS; Accelerate manages its own) and for the pool that splits the other
 * heavy kernels. n < 1 only asks. Returns the count in use. */
static napi_value w_set_threads(napi_env env, napi_callback_info info) {
  BEGIN(1);
  int n = N_(&a, 0);
  if (a.bad) return NULL;
  if (n > 0) {
    blas_threads(n);
    dusk_pool_resize(n);
  }
  napi_value result;
  napi_create_int32(env, dusk_pool_size(), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  /* the pool starts as wide as the BLAS: OpenBLAS's own default (OPENBLAS_NUM_THREADS or the cores) */
#ifdef DUSK_OPENBLAS
  dusk_pool_resize(openblas_get_num_threads());
#else
  dusk_pool_resize((int)sysconf(_SC_NPROCESSORS_ONLN));
#endif
  napi_property_descriptor props[] = {
#define FN(js, c) {js, NULL, c, NULL, NULL, NULL, napi_enumerable, NULL}
      FN("sgemm", w_sgemm),
      FN("embeddingForward", w_embedding_forward),
      FN("embeddingBackward", w_embedding_backward),
      FN("rmsnormForward", w_rmsnorm_forward),
      FN("rmsnormBackward", w_rmsnorm_backward),
      FN("ropeForward", w_rope_forward),
      FN("ropeBackward", w_rope_backward),
      FN("attentionForward", w_attention_forward),
      FN("attentionBackward", w_attention_backward),
      FN("swigluForward", w_swiglu_forward),
      FN("swigluBackward", w_swiglu_backward),
      FN("add", w_add),
      FN("scale", w_scale),
      FN("fill", w_fill),
      FN("crossEntropyForward", w_cross_entropy_forward),
      FN("crossEntropyBackward", w_cross_entropy_backward),
      FN("logSoftmax", w_log_softmax),
      FN("adamwStep", w_adamw_step),
      FN("sumsq", w_sumsq),
      FN("setThreads", w_set_threads),
#undef FN
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
