// The kernel interface of the engine: one small set of operations (sgemm plus the row-wise and elementwise ops a
// Llama model needs) that both backends implement, with argument checks done once here, in front of either backend.
//
// Legend for shapes (row-major, last index fastest): B batch, T time, N = B*T rows, C channels (hidden size),
// V vocabulary, NH query heads, NKV key/value heads, HD head dimension, F feed-forward size.
// "+=" marks outputs that are accumulated into; every other output is overwritten.
import { KernelArgumentError } from "./errors.js";

/** The kernel backends: a native addon over the system's BLAS, or WebAssembly SIMD built from our own C. */
export type BackendName = "native" | "wasm";

/** Arguments of {@link Kernels.sgemm}: `C = alpha * op(A) @ op(B) + beta * C`, row-major. */
export interface SgemmOptions {
  /** op(A) = A^T when true. Defaults to false. */
  transA?: boolean;
  /** op(B) = B^T when true. Defaults to false. */
  transB?: boolean;
  /** Rows of op(A) and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Columns of op(A) = rows of op(B). */
  k: number;
  /** Defaults to 1. */
  alpha?: number;
  a: Float32Array;
  /** Row stride of A as stored. Defaults to its row length (k, or m when transposed). */
  lda?: number;
  b: Float32Array;
  /** Row stride of B as stored. Defaults to its row length (n, or k when transposed). */
  ldb?: number;
  /** Defaults to 0 (C is overwritten). */
  beta?: number;
  c: Float32Array;
  /** Row stride of C. Defaults to n. */
  ldc?: number;
}

/** Arguments of {@link Kernels.adamwStep} (PyTorch's AdamW formula, decoupled weight decay). */
export interface AdamWStepOptions {
  param: Float32Array;
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** The optimizer step, counted from 1 (for the bias corrections). */
  step: number;
  /** Multiplies the gradient first (gradient clipping). Defaults to 1. */
  gradScale?: number;
}

/** The positional kernels exactly as the C sources declare them (native/src/ops.h); arrays belong to the backend. */
export interface RawKernels {
  sgemm(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): void;
  embeddingForward(out: Float32Array, tokens: Int32Array, table: Float32Array, N: number, C: number): void;
  embeddingBackward(dtable: Float32Array, tokens: Int32Array, dout: Float32Array, N: number, C: number): void;
  rmsnormForward(out: Float32Array, rstd: Float32Array, x: Float32Array, w: Float32Array, N: number, C: number, eps: number): void;
  rmsnormBackward(dx: Float32Array, dw: Float32Array, dout: Float32Array, x: Float32Array, w: Float32Array, rstd: Float32Array, N: number, C: number): void;
  ropeForward(x: Float32Array, cos: Float32Array, sin: Float32Array, B: number, T: number, heads: number, HD: number, rowStride: number): void;
  ropeBackward(dx: Float32Array, cos: Float32Array, sin: Float32Array, B: number, T: number, heads: number, HD: number, rowStride: number): void;
  attentionForward(out: Float32Array, lse: Float32Array, qkv: Float32Array, B: number, T: number, NH: number, NKV: number, HD: number, scratch: Float32Array): void;
  attentionBackward(dqkv: Float32Array, dout: Float32Array, qkv: Float32Array, lse: Float32Array, B: number, T: number, NH: number, NKV: number, HD: number, scratch: Float32Array): void;
  swigluForward(h: Float32Array, g: Float32Array, u: Float32Array, n: number): void;
  swigluBackward(dg: Float32Array, du: Float32Array, dh: Float32Array, g: Float32Array, u: Float32Array, n: number): void;
  add(y: Float32Array, x: Float32Array, n: number): void;
  scale(y: Float32Array, a: number, n: number): void;
  fill(y: Float32Array, a: number, n: number): void;
  crossEntropyForward(losses: Float32Array, logits: Float32Array, targets: Int32Array, N: number, V: number): void;
  crossEntropyBackward(dlogits: Float32Array, logits: Float32Array, targets: Int32Array, N: number, V: number, scale: number): void;
  logSoftmax(out: Float32Array, logits: Float32Array, N: number, V: number): void;
  adamwStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, lr: number, beta1: number, beta2: number, eps: number, wd: number, gradScale: number, bc1: number, bc2: number): void;
  sumsq(x: Float32Array, n: number): number;
  setThreads(n: number): number;
}

/** Memory a backend hands out: arrays its kernels can read and write without copies. */
export interface BackendMemory {
  /** A zero-filled Float32Array of `length` elements. */
  alloc(length: number): Float32Array;
  /** A zero-filled Int32Array of `length` elements. */
  allocInt32(length: number): Int32Array;
  /** Returns an array from alloc/allocInt32 to the backend (a no-op for the native backend: the GC frees it). */
  free(array: Float32Array | Int32Array): void;
  /** Bytes currently allocated through this backend's alloc. */
  allocatedBytes(): number;
}

/** The engine's kernels on one backend. Arrays passed in must come from {@link Kernels.alloc} (or be views of them). */
export interface Kernels extends BackendMemory {
  readonly backend: BackendName;
  /**
   * Sets the threads kernels run on (the caller included) and returns the count in use; 0 only asks. Native: the
   * BLAS threads and the addon's pool for the other heavy kernels (default: OpenBLAS's, i.e. OPENBLAS_NUM_THREADS or
   * all cores). WebAssembly: worker threads over the shared memory (default 1). Results do not depend on it.
   */
  setThreads(threads: number): number;
  sgemm(options: SgemmOptions): void;
  /** out[N, C] = table[tokens[n], :] */
  embeddingForward(out: Float32Array, tokens: Int32Array, table: Float32Array, N: number, C: number): void;
  /** dtable[V, C] += dout[n, :] at rows tokens[n] */
  embeddingBackward(dtable: Float32Array, tokens: Int32Array, dout: Float32Array, N: number, C: number): void;
  /** out[N, C] = x * rstd * w; rstd[N] = 1 / sqrt(mean(x^2) + eps) */
  rmsnormForward(out: Float32Array, rstd: Float32Array, x: Float32Array, w: Float32Array, N: number, C: number, eps: number): void;
  /** dx[N, C] +=, dw[C] += */
  rmsnormBackward(dx: Float32Array, dw: Float32Array, dout: Float32Array, x: Float32Array, w: Float32Array, rstd: Float32Array, N: number, C: number): void;
  /** In place on `heads` heads of HD values at the start of each of B*T rows of width rowStride; cos/sin [T, HD/2]. */
  ropeForward(x: Float32Array, cos: Float32Array, sin: Float32Array, B: number, T: number, heads: number, HD: number, rowStride: number): void;
  /** In place: the inverse rotation of {@link Kernels.ropeForward}. */
  ropeBackward(dx: Float32Array, cos: Float32Array, sin: Float32Array, B: number, T: number, heads: number, HD: number, rowStride: number): void;
  /** out[N, NH*HD], lse[B, NH, T] from qkv[N, (NH + 2 NKV) HD]; scratch of T*T floats. Causal. */
  attentionForward(out: Float32Array, lse: Float32Array, qkv: Float32Array, B: number, T: number, NH: number, NKV: number, HD: number, scratch: Float32Array): void;
  /** dqkv[N, (NH + 2 NKV) HD] from dout[N, NH*HD], qkv and lse; scratch of 2*T*T floats. */
  attentionBackward(dqkv: Float32Array, dout: Float32Array, qkv: Float32Array, lse: Float32Array, B: number, T: number, NH: number, NKV: number, HD: number, scratch: Float32Array): void;
  /** h[n] = silu(g[n]) * u[n] */
  swigluForward(h: Float32Array, g: Float32Array, u: Float32Array, n: number): void;
  /** dg[n], du[n] from dh[n] (dg or du may be dh itself) */
  swigluBackward(dg: Float32Array, du: Float32Array, dh: Float32Array, g: Float32Array, u: Float32Array, n: number): void;
  /** y[n] += x[n] */
  add(y: Float32Array, x: Float32Array, n: number): void;
  /** y[n] *= a */
  scale(y: Float32Array, a: number, n: number): void;
  /** y[n] = a */
  fill(y: Float32Array, a: number, n: number): void;
  /** losses[N] = logsumexp(logits[n]) - logits[n, targets[n]]; 0 where targets[n] < 0 */
  crossEntropyForward(losses: Float32Array, logits: Float32Array, targets: Int32Array, N: number, V: number): void;
  /** dlogits[N, V] = scale * (softmax(logits[n]) - onehot(targets[n])); dlogits may be logits itself */
  crossEntropyBackward(dlogits: Float32Array, logits: Float32Array, targets: Int32Array, N: number, V: number, scale: number): void;
  /** out[N, V] = log softmax of each row (out may be logits itself) */
  logSoftmax(out: Float32Array, logits: Float32Array, N: number, V: number): void;
  /** One AdamW update of param, m, v in place. */
  adamwStep(options: AdamWStepOptions): void;
  /** The sum of squares of x[0..n), accumulated in float64. */
  sumsq(x: Float32Array, n: number): number;
}

function need(array: Float32Array | Int32Array, length: number, what: string): void {
  if (!Number.isInteger(length) || length < 0) throw new KernelArgumentError(`expected a non-negative integer size for ${what} but got ${length}`);
  if (array.length < length) throw new KernelArgumentError(`expected ${what} to hold at least ${length} elements but it has ${array.length}`);
}

function positive(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0) throw new KernelArgumentError(`expected ${what} to be a non-negative integer but got ${value}`);
}

/** Bytes a strided matrix of `rows` rows of `cols` values at row stride `ld` spans. */
function spanOf(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

function checkAttention(B: number, T: number, NH: number, NKV: number, HD: number): void {
  for (const [v, n] of [[B, "B"], [T, "T"], [NH, "NH"], [NKV, "NKV"], [HD, "HD"]] as const) positive(v, n);
  if (NKV === 0 || NH % NKV !== 0) throw new KernelArgumentError(`expected the query heads (${NH}) to be a multiple of the key/value heads (${NKV})`);
}

/** Wraps a backend's raw kernels with the size checks every caller needs. */
export function checkedKernels(backend: BackendName, raw: RawKernels, memory: BackendMemory): Kernels {
  return {
    backend,
    alloc: (length) => memory.alloc(length),
    allocInt32: (length) => memory.allocInt32(length),
    free: (array) => memory.free(array),
    allocatedBytes: () => memory.allocatedBytes(),
    setThreads: (threads) => raw.setThreads(threads),
    sgemm({ transA = false, transB = false, m, n, k, alpha = 1, a, lda, b, ldb, beta = 0, c, ldc }) {
      for (const [v, name] of [[m, "m"], [n, "n"], [k, "k"]] as const) positive(v, name);
      const [aRows, aCols] = transA ? [k, m] : [m, k];
      const [bRows, bCols] = transB ? [n, k] : [k, n];
      const la = lda ?? aCols, lb = ldb ?? bCols, lc = ldc ?? n;
      if (la < aCols || lb < bCols || lc < n) throw new KernelArgumentError(`expected row strides at least the row lengths but got lda ${la} < ${aCols}, ldb ${lb} < ${bCols} or ldc ${lc} < ${n}`);
      need(a, spanOf(aRows, aCols, la), "sgemm A");
      need(b, spanOf(bRows, bCols, lb), "sgemm B");
      need(c, spanOf(m, n, lc), "sgemm C");
      raw.sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, Math.max(la, 1), b, Math.max(lb, 1), beta, c, Math.max(lc, 1));
    },
    embeddingForward(out, tokens, table, N, C) {
      need(out, N * C, "embedding out");
      checkTokens(tokens, table, N, C);
      raw.embeddingForward(out, tokens, table, N, C);
    },
    embeddingBackward(dtable, tokens, dout, N, C) {
      need(dout, N * C, "embedding dout");
      checkTokens(tokens, dtable, N, C);
      raw.embeddingBackward(dtable, tokens, dout, N, C);
    },
    rmsnormForward(out, rstd, x, w, N, C, eps) {
      for (const [arr, len, name] of [[out, N * C, "out"], [rstd, N, "rstd"], [x, N * C, "x"], [w, C, "w"]] as const) need(arr, len, `rmsnorm ${name}`);
      raw.rmsnormForward(out, rstd, x, w, N, C, eps);
    },
    rmsnormBackward(dx, dw, dout, x, w, rstd, N, C) {
      for (const [arr, len, name] of [[dx, N * C, "dx"], [dw, C, "dw"], [dout, N * C, "dout"], [x, N * C, "x"], [w, C, "w"], [rstd, N, "rstd"]] as const) need(arr, len, `rmsnorm ${name}`);
      raw.rmsnormBackward(dx, dw, dout, x, w, rstd, N, C);
    },
    ropeForward(x, cos, sin, B, T, heads, HD, rowStride) {
      checkRope(x, cos, sin, B, T, heads, HD, rowStride);
      raw.ropeForward(x, cos, sin, B, T, heads, HD, rowStride);
    },
    ropeBackward(dx, cos, sin, B, T, heads, HD, rowStride) {
      checkRope(dx, cos, sin, B, T, heads, HD, rowStride);
      raw.ropeBackward(dx, cos, sin, B, T, heads, HD, rowStride);
    },
    attentionForward(out, lse, qkv, B, T, NH, NKV, HD, scratch) {
      checkAttention(B, T, NH, NKV, HD);
      const N = B * T;
      need(out, N * NH * HD, "attention out");
      need(lse, B * NH * T, "attention lse");
      need(qkv, N * (NH + 2 * NKV) * HD, "attention qkv");
      need(scratch, T * T, "attention scratch");
      raw.attentionForward(out, lse, qkv, B, T, NH, NKV, HD, scratch);
    },
    attentionBackward(dqkv, dout, qkv, lse, B, T, NH, NKV, HD, scratch) {
      checkAttention(B, T, NH, NKV, HD);
      const N = B * T;
      need(dqkv, N * (NH + 2 * NKV) * HD, "attention dqkv");
      need(dout, N * NH * HD, "attention dout");
      need(qkv, N * (NH + 2 * NKV) * HD, "attention qkv");
      need(lse, B * NH * T, "attention lse");
      need(scratch, 2 * T * T, "attention scratch");
      raw.attentionBackward(dqkv, dout, qkv, lse, B, T, NH, NKV, HD, scratch);
    },
    swigluForward(h, g, u, n) {
      for (const [arr, name] of [[h, "h"], [g, "g"], [u, "u"]] as const) need(arr, n, `swiglu ${name}`);
      raw.swigluForward(h, g, u, n);
    },
    swigluBackward(dg, du, dh, g, u, n) {
      for (const [arr, name] of [[dg, "dg"], [du, "du"], [dh, "dh"], [g, "g"], [u, "u"]] as const) need(arr, n, `swiglu ${name}`);
      raw.swigluBackward(dg, du, dh, g, u, n);
    },
    add(y, x, n) {
      need(y, n, "add y");
      need(x, n, "add x");
      raw.add(y, x, n);
    },
    scale(y, a, n) {
      need(y, n, "scale y");
      raw.scale(y, a, n);
    },
    fill(y, a, n) {
      need(y, n, "fill y");
      raw.fill(y, a, n);
    },
    crossEntropyForward(losses, logits, targets, N, V) {
      need(losses, N, "cross-entropy losses");
      need(logits, N * V, "cross-entropy logits");
      need(targets, N, "cross-entropy targets");
      checkTargets(targets, N, V);
      raw.crossEntropyForward(losses, logits, targets, N, V);
    },
    crossEntropyBackward(dlogits, logits, targets, N, V, scale) {
      need(dlogits, N * V, "cross-entropy dlogits");
      need(logits, N * V, "cross-entropy logits");
      need(targets, N, "cross-entropy targets");
      checkTargets(targets, N, V);
      raw.crossEntropyBackward(dlogits, logits, targets, N, V, scale);
    },
    logSoftmax(out, logits, N, V) {
      need(out, N * V, "log-softmax out");
      need(logits, N * V, "log-softmax logits");
      raw.logSoftmax(out, logits, N, V);
    },
    adamwStep({ param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step, gradScale = 1 }) {
      const n = param.length;
      for (const [arr, name] of [[grad, "grad"], [m, "m"], [v, "v"]] as const) need(arr, n, `adamw ${name}`);
      if (!Number.isInteger(step) || step < 1) throw new KernelArgumentError(`expected the AdamW step to count from 1 but got ${step}`);
      raw.adamwStep(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, gradScale, 1 - beta1 ** step, 1 - beta2 ** step);
    },
    sumsq(x, n) {
      need(x, n, "sumsq x");
      return raw.sumsq(x, n);
    },
  };
}

function checkRope(x: Float32Array, cos: Float32Array, sin: Float32Array, B: number, T: number, heads: number, HD: number, rowStride: number): void {
  for (const [v, n] of [[B, "B"], [T, "T"], [heads, "heads"], [HD, "HD"], [rowStride, "rowStride"]] as const) positive(v, n);
  if (HD % 2 !== 0) throw new KernelArgumentError(`expected an even head dimension for rope but got ${HD}`);
  if (rowStride < heads * HD) throw new KernelArgumentError(`expected a rope row stride of at least ${heads * HD} but got ${rowStride}`);
  need(x, spanOf(B * T, heads * HD, rowStride), "rope x");
  need(cos, (T * HD) / 2, "rope cos");
  need(sin, (T * HD) / 2, "rope sin");
}

function checkTokens(tokens: Int32Array, table: Float32Array, N: number, C: number): void {
  need(tokens, N, "embedding tokens");
  const rows = C > 0 ? Math.floor(table.length / C) : 0;
  for (let i = 0; i < N; i++) {
    const t = tokens[i] as number;
    if (t < 0 || t >= rows) throw new KernelArgumentError(`expected token ids in [0, ${rows}) but found ${t} at ${i}`);
  }
}

function checkTargets(targets: Int32Array, N: number, V: number): void {
  for (let i = 0; i < N; i++) {
    const t = targets[i] as number;
    if (t >= V) throw new KernelArgumentError(`expected targets below the vocabulary size ${V} but found ${t} at ${i}`);
  }
}
