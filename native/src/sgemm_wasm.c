/* dusk_sgemm for the WebAssembly backend: a packed, register-blocked single-precision matrix multiply with
 * 128-bit SIMD (the GotoBLAS loop order: panels of B of KC x NC, blocks of A of MC x KC, MR x NR micro-tiles).
 * Row-major, C = alpha op(A) op(B) + beta C. Each call packs into its own workspace, so that several threads (Web
 * Workers over the same shared memory, see src/engine/wasm-threads.ts) can multiply parts of one product at once. */
#include <wasm_simd128.h>

#include "ops.h"

/* Tile sizes measured in V8 (Node 20): 4 x 8 (8 accumulators + 2 B vectors + 1 broadcast, all in registers) ran
 * at about 40 GFLOP/s per core; 6 x 8, 8 x 8 and 4 x 16 spilled and ran at 20-25. */
#define MR 4
#define NR 8
#define KC 256
#define MC 64 /* a multiple of MR */
#define NC 512 /* a multiple of NR */

/* Workspace layout: packed A (MC x KC), packed B (KC x NC), one MR x NR edge tile. */
#define WS_FLOATS (MC * KC + KC * NC + MR * NR)
static float main_ws[WS_FLOATS] __attribute__((aligned(16)));

int dusk_sgemm_ws_floats(void) { return WS_FLOATS; }

/* packed_a: for each MR-row panel, kc groups of MR values of op(A)[i0 + r, p0 + k], zero beyond M. */
static void pack_a(float *packed_a, int trans_a, const float *A, int lda, int i0, int mc, int p0, int kc) {
  float *dst = packed_a;
  for (int ip = 0; ip < mc; ip += MR) {
    int rows = mc - ip < MR ? mc - ip : MR;
    for (int k = 0; k < kc; k++) {
      for (int r = 0; r < rows; r++) {
        long i = i0 + ip + r, kk = p0 + k;
        dst[r] = trans_a ? A[kk * lda + i] : A[i * lda + kk];
      }
      for (int r = rows; r < MR; r++) dst[r] = 0.0f;
      dst += MR;
    }
  }
}

/* packed_b: for each NR-column panel, kc groups of NR values of op(B)[p0 + k, j0 + c], zero beyond N. */
static void pack_b(float *packed_b, int trans_b, const float *B, int ldb, int p0, int kc, int j0, int nc) {
  float *dst = packed_b;
  for (int jp = 0; jp < nc; jp += NR) {
    int cols = nc - jp < NR ? nc - jp : NR;
    if (!trans_b && cols == NR) {
      for (int k = 0; k < kc; k++) {
        const float *src = B + (long)(p0 + k) * ldb + j0 + jp;
        for (int c = 0; c < NR; c += 4) wasm_v128_store(dst + c, wasm_v128_load(src + c));
        dst += NR;
      }
      continue;
    }
    for (int k = 0; k < kc; k++) {
      for (int c = 0; c < cols; c++) {
        long j = j0 + jp + c, kk = p0 + k;
        dst[c] = trans_b ? B[j * ldb + kk] : B[kk * ldb + j];
      }
      for (int c = cols; c < NR; c++) dst[c] = 0.0f;
      dst += NR;
    }
  }
}

/* C[m x n tile] += alpha * (MR x kc panel of A) (kc x NR panel of B); m <= MR, n <= NR. */
static void micro_kernel(int kc, const float *a, const float *b, float *C, int ldc, float alpha, int m, int n,
                         float *tile) {
  v128_t acc[MR][NR / 4];
  for (int r = 0; r < MR; r++)
    for (int c = 0; c < NR / 4; c++) acc[r][c] = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < kc; k++) {
    v128_t bv[NR / 4];
    for (int c = 0; c < NR / 4; c++) bv[c] = wasm_v128_load(b + 4 * c);
    for (int r = 0; r < MR; r++) {
      v128_t av = wasm_f32x4_splat(a[r]);
      for (int c = 0; c < NR / 4; c++) acc[r][c] = wasm_f32x4_add(acc[r][c], wasm_f32x4_mul(av, bv[c]));
    }
    a += MR;
    b += NR;
  }
  v128_t al = wasm_f32x4_splat(alpha);
  if (m == MR && n == NR) {
    for (int r = 0; r < MR; r++) {
      float *row = C + (long)r * ldc;
      for (int c = 0; c < NR / 4; c++)
        wasm_v128_store(row + 4 * c, wasm_f32x4_add(wasm_v128_load(row + 4 * c), wasm_f32x4_mul(al, acc[r][c])));
    }
    return;
  }
  for (int r = 0; r < MR; r++)
    for (int c = 0; c < NR / 4; c++) wasm_v128_store(tile + r * NR + 4 * c, wasm_f32x4_mul(al, acc[r][c]));
  for (int r = 0; r < m; r++)
    for (int c = 0; c < n; c++) C[(long)r * ldc + c] += tile[r * NR + c];
}

void dusk_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc) {
  dusk_sgemm_ws(0, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void dusk_sgemm_ws(float *ws, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (!ws) ws = main_ws;
  float *packed_a = ws, *packed_b = ws + MC * KC, *tile = ws + MC * KC + KC * NC;
  if (beta != 1.0f)
    for (int i = 0; i < M; i++) {
      float *row = C + (long)i * ldc;
      if (beta == 0.0f)
        for (int j = 0; j < N; j++) row[j] = 0.0f;
      else
        for (int j = 0; j < N; j++) row[j] *= beta;
    }
  if (K <= 0 || alpha == 0.0f) return;
  for (int j0 = 0; j0 < N; j0 += NC) {
    int nc = N - j0 < NC ? N - j0 : NC;
    for (int p0 = 0; p0 < K; p0 += KC) {
      int kc = K - p0 < KC ? K - p0 : KC;
      pack_b(packed_b, trans_b, B, ldb, p0, kc, j0, nc);
      for (int i0 = 0; i0 < M; i0 += MC) {
        int mc = M - i0 < MC ? M - i0 : MC;
        pack_a(packed_a, trans_a, A, lda, i0, mc, p0, kc);
        for (int jp = 0; jp < nc; jp += NR) {
          int n = nc - jp < NR ? nc - jp : NR;
          const float *bp = packed_b + (long)jp * kc;
          for (int ip = 0; ip < mc; ip += MR) {
            int m = mc - ip < MR ? mc - ip : MR;
            micro_kernel(kc, packed_a + (long)ip * kc, bp, C + (long)(i0 + ip) * ldc + j0 + jp, ldc, alpha, m, n, tile);
          }
        }
      }
    }
  }
}
