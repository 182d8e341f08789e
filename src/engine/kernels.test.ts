// Both kernel backends (float32) against the float64 reference ops, on inputs rounded to float32 so that only the
// kernels' own rounding differs; plus the size checks in front of them.
import { describe, expect, it } from "vitest";
import { getKernels } from "./backend.js";
import { KernelArgumentError } from "./errors.js";
import type { Kernels } from "./kernels.js";
import { ropeTables } from "./layer.js";
import {
  attentionBackward64, attentionForward64, crossEntropyBackward64, crossEntropyForward64, embeddingBackward64,
  embeddingForward64, logSoftmax64, rmsnormBackward64, rmsnormForward64, ropeBackward64, ropeForward64, ropeTables64,
  swigluBackward64, swigluForward64,
} from "./reference-ops.js";
import { Rng } from "./rng.js";
import { backendsUnderTest, f32, randomArray, relativeError } from "./testing.js";

const TOL = 2e-5; // float32 rounding of sums of a few hundred terms, relative to the output's scale

/** A backend array holding the values. */
function put(k: Kernels, values: Float64Array): Float32Array {
  const a = k.alloc(values.length);
  a.set(values);
  return a;
}

function ints(k: Kernels, values: number[]): Int32Array {
  const a = k.allocInt32(values.length);
  a.set(values);
  return a;
}

/** op(M) for a row-major matrix stored with row stride ld. */
function at(m: Float64Array, trans: boolean, ld: number, r: number, c: number): number {
  return (trans ? m[c * ld + r] : m[r * ld + c]) as number;
}

describe.each(backendsUnderTest())("kernels on the %s backend", (backend) => {
  const k = getKernels(backend);
  const rng = new Rng(7);

  it("reports its backend", () => {
    expect(k.backend).toBe(backend);
  });

  it.each([
    [false, false], [false, true], [true, false], [true, true],
  ])("sgemm transA=%s transB=%s with strides, alpha and beta", (transA, transB) => {
    for (const [m, n, kk] of [[1, 1, 1], [7, 13, 5], [37, 70, 300], [130, 9, 64]] as const) {
      const pad = 3; // stored rows are longer than the matrix rows
      const [aRows, aCols] = transA ? [kk, m] : [m, kk];
      const [bRows, bCols] = transB ? [n, kk] : [kk, n];
      const lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
      const A = f32(randomArray(rng, aRows * lda)), B = f32(randomArray(rng, bRows * ldb)), C0 = f32(randomArray(rng, m * ldc));
      const [alpha, beta] = [0.75, -0.5];
      const expected = Float64Array.from(C0);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < kk; p++) s += at(A, transA, lda, i, p) * at(B, transB, ldb, p, j);
          expected[i * ldc + j] = alpha * s + beta * (C0[i * ldc + j] as number);
        }
      const c = put(k, C0);
      k.sgemm({ transA, transB, m, n, k: kk, alpha, a: put(k, A), lda, b: put(k, B), ldb, beta, c, ldc });
      expect(relativeError(c, expected)).toBeLessThan(TOL);
    }
  });

  it("sgemm with beta = 0 ignores NaN already in C", () => {
    const c = put(k, new Float64Array(4).fill(NaN));
    k.sgemm({ m: 2, n: 2, k: 1, a: put(k, Float64Array.of(1, 2)), b: put(k, Float64Array.of(3, 4)), c });
    expect([...c]).toEqual([3, 4, 6, 8]);
  });

  it("embedding forward and backward", () => {
    const [V, C] = [11, 6];
    const tokens = [3, 0, 10, 3, 7];
    const table = f32(randomArray(rng, V * C)), dy = f32(randomArray(rng, tokens.length * C));
    const out = k.alloc(tokens.length * C);
    k.embeddingForward(out, ints(k, tokens), put(k, table), tokens.length, C);
    expect(relativeError(out, embeddingForward64(tokens, table, C))).toBe(0);
    const dtable = put(k, new Float64Array(V * C).fill(0.5)); // accumulates
    k.embeddingBackward(dtable, ints(k, tokens), put(k, dy), tokens.length, C);
    expect(relativeError(dtable, embeddingBackward64(tokens, dy, V, C).map((v) => v + 0.5))).toBeLessThan(TOL);
    expect(() => k.embeddingForward(out, ints(k, [11, 0, 0, 0, 0]), put(k, table), 5, C)).toThrow(KernelArgumentError);
  });

  it("rmsnorm forward and backward (dx and dw accumulate)", () => {
    const [N, C, eps] = [5, 48, 1e-5];
    const x = f32(randomArray(rng, N * C, 3)), w = f32(randomArray(rng, C)), dy = f32(randomArray(rng, N * C));
    const ref = rmsnormForward64(x, w, N, C, eps);
    const out = k.alloc(N * C), rstd = k.alloc(N);
    k.rmsnormForward(out, rstd, put(k, x), put(k, w), N, C, eps);
    expect(relativeError(out, ref.out)).toBeLessThan(TOL);
    expect(relativeError(rstd, ref.rstd)).toBeLessThan(TOL);
    const refB = rmsnormBackward64(dy, x, w, ref.rstd, N, C);
    const dx = put(k, new Float64Array(N * C).fill(1)), dw = put(k, new Float64Array(C).fill(-1));
    k.rmsnormBackward(dx, dw, put(k, dy), put(k, x), put(k, w), rstd, N, C);
    expect(relativeError(dx, refB.dx.map((v) => v + 1))).toBeLessThan(TOL);
    expect(relativeError(dw, refB.dw.map((v) => v - 1))).toBeLessThan(TOL);
  });

  it("rope forward and backward on the q and k heads of fused rows, with llama.cpp's angle tables", () => {
    const [B, T, heads, HD, stride, theta] = [2, 9, 3, 8, 8 * 5, 10000];
    const tables64 = ropeTables64(T, HD, theta);
    const tables = ropeTables(T, HD, theta, (n) => k.alloc(n));
    expect(relativeError(tables.cos, tables64.cos)).toBeLessThan(1e-6);
    expect(relativeError(tables.sin, tables64.sin)).toBeLessThan(1e-6);
    const x = f32(randomArray(rng, B * T * stride)), dy = f32(randomArray(rng, B * T * stride));
    const xs = put(k, x);
    k.ropeForward(xs, tables.cos, tables.sin, B, T, heads, HD, stride);
    expect(relativeError(xs, ropeForward64(x, tables64, T, heads, HD, stride))).toBeLessThan(TOL);
    const ds = put(k, dy);
    k.ropeBackward(ds, tables.cos, tables.sin, B, T, heads, HD, stride);
    expect(relativeError(ds, ropeBackward64(dy, tables64, T, heads, HD, stride))).toBeLessThan(TOL);
  });

  it.each([
    [{ B: 2, T: 5, NH: 4, NKV: 2, HD: 8 }],
    [{ B: 1, T: 70, NH: 2, NKV: 1, HD: 16 }], // more than one block of query rows
    [{ B: 1, T: 3, NH: 3, NKV: 3, HD: 4 }],
  ])("causal attention forward and backward %o", (shape) => {
    const { B, T, NH, NKV, HD } = shape;
    const N = B * T, W = (NH + 2 * NKV) * HD;
    const qkv = f32(randomArray(rng, N * W)), dy = f32(randomArray(rng, N * NH * HD));
    const ref = attentionForward64(qkv, shape);
    const out = k.alloc(N * NH * HD), lse = k.alloc(B * NH * T), scratch = k.alloc(2 * T * T);
    const qkvK = put(k, qkv);
    k.attentionForward(out, lse, qkvK, B, T, NH, NKV, HD, scratch);
    expect(relativeError(out, ref.out)).toBeLessThan(TOL);
    expect(relativeError(lse, ref.lse)).toBeLessThan(TOL);
    const dqkv = put(k, new Float64Array(N * W).fill(123)); // overwritten, not accumulated
    k.attentionBackward(dqkv, put(k, dy), qkvK, lse, B, T, NH, NKV, HD, scratch);
    expect(relativeError(dqkv, attentionBackward64(dy, qkv, ref.probs, shape))).toBeLessThan(TOL);
  });

  it("swiglu forward and backward, also with dg written over dh", () => {
    const n = 37;
    const g = f32(randomArray(rng, n, 4)), u = f32(randomArray(rng, n)), dh = f32(randomArray(rng, n));
    const h = k.alloc(n);
    k.swigluForward(h, put(k, g), put(k, u), n);
    expect(relativeError(h, swigluForward64(g, u))).toBeLessThan(TOL);
    const ref = swigluBackward64(dh, g, u);
    const dg = put(k, dh), du = k.alloc(n);
    k.swigluBackward(dg, du, dg, put(k, g), put(k, u), n);
    expect(relativeError(dg, ref.dg)).toBeLessThan(TOL);
    expect(relativeError(du, ref.du)).toBeLessThan(TOL);
  });

  it("cross-entropy forward and backward (in place), log-softmax", () => {
    const [N, V] = [6, 300];
    const logits = f32(randomArray(rng, N * V, 5)), targets = [0, 299, -1, 17, 150, 3];
    const losses = k.alloc(N), lk = put(k, logits), tk = ints(k, targets);
    k.crossEntropyForward(losses, lk, tk, N, V);
    expect(relativeError(losses, crossEntropyForward64(logits, targets, N, V))).toBeLessThan(TOL);
    const lsm = k.alloc(N * V);
    k.logSoftmax(lsm, lk, N, V);
    expect(relativeError(lsm, logSoftmax64(logits, N, V))).toBeLessThan(TOL);
    k.crossEntropyBackward(lk, lk, tk, N, V, 0.25);
    expect(relativeError(lk, crossEntropyBackward64(logits, targets, N, V, 0.25))).toBeLessThan(TOL);
    expect(() => k.crossEntropyForward(losses, lk, ints(k, [0, 0, 0, 0, 0, 300]), N, V)).toThrow(KernelArgumentError);
  });

  it("add, scale, fill, sumsq", () => {
    const x = f32(randomArray(rng, 1000)), y = f32(randomArray(rng, 1000));
    const yk = put(k, y);
    k.add(yk, put(k, x), 1000);
    k.scale(yk, -2, 1000);
    expect(relativeError(yk, y.map((v, i) => -2 * (v + (x[i] as number))))).toBeLessThan(1e-6);
    expect(k.sumsq(put(k, x), 1000)).toBeCloseTo(x.reduce((a, v) => a + v * v, 0), 8);
    k.fill(yk, 3, 10);
    expect([...yk.subarray(0, 11)].slice(0, 10)).toEqual(new Array(10).fill(3));
    expect(yk[10]).not.toBe(3);
  });

  it("adamw step matches PyTorch's AdamW formula", () => {
    const n = 50;
    const p = f32(randomArray(rng, n)), g = f32(randomArray(rng, n)), m = f32(randomArray(rng, n, 0.1)), v = f32(randomArray(rng, n).map((x) => x * x * 0.01));
    const o = { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3, gradScale: 0.5 };
    const [pk, mk, vk] = [put(k, p), put(k, m), put(k, v)];
    k.adamwStep({ ...o, param: pk, grad: put(k, g), m: mk, v: vk });
    const bc1 = 1 - o.beta1 ** o.step, bc2 = 1 - o.beta2 ** o.step;
    const em = m.map((mi, i) => o.beta1 * mi + (1 - o.beta1) * (g[i] as number) * o.gradScale);
    const ev = v.map((vi, i) => o.beta2 * vi + (1 - o.beta2) * ((g[i] as number) * o.gradScale) ** 2);
    const ep = p.map((pi, i) => pi * (1 - o.lr * o.weightDecay) - ((o.lr / bc1) * (em[i] as number)) / (Math.sqrt(ev[i] as number) / Math.sqrt(bc2) + o.eps));
    expect(relativeError(mk, em)).toBeLessThan(1e-6);
    expect(relativeError(vk, ev)).toBeLessThan(1e-6);
    expect(relativeError(pk, ep)).toBeLessThan(1e-6);
  });

  it("refuses arrays too short for the shapes given", () => {
    const a = k.alloc(6), b = k.alloc(6), c = k.alloc(3);
    expect(() => k.sgemm({ m: 2, n: 2, k: 3, a, b, c })).toThrow(KernelArgumentError);
    expect(() => k.rmsnormForward(k.alloc(8), k.alloc(1), k.alloc(8), k.alloc(4), 2, 4, 1e-5)).toThrow(/rstd/);
    expect(() => k.attentionForward(k.alloc(64), k.alloc(8), k.alloc(128), 1, 4, 3, 2, 4, k.alloc(16))).toThrow(/multiple/);
  });
});

describe("the WebAssembly backend's memory", () => {
  const k = getKernels("wasm");

  it("refuses arrays that do not live in its memory", () => {
    const outside = new Float32Array(4);
    expect(() => k.add(outside, k.alloc(4), 4)).toThrow(KernelArgumentError);
  });

  it("keeps earlier arrays valid when it grows, and reuses freed blocks", () => {
    const first = k.alloc(16);
    first.set([1, 2, 3]);
    const big = k.alloc(8 * 1024 * 1024); // 32 MB: forces the memory to grow
    const other = k.alloc(16);
    k.add(first, other.fill(1), 16);
    expect([...first.subarray(0, 4)]).toEqual([2, 3, 4, 1]);
    const before = k.allocatedBytes();
    k.free(big);
    expect(k.allocatedBytes()).toBe(before - 32 * 1024 * 1024);
    const again = k.alloc(1000);
    expect(again.every((v) => v === 0)).toBe(true);
    k.free(again);
    k.free(first);
    k.free(other);
  });
});

describe.each(backendsUnderTest())("the %s backend on two threads", (backend) => {
  const k = getKernels(backend);
  const rng = new Rng(17);
  const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

  /** Runs `body` on one thread and on two, returning both outputs. */
  function onOneAndTwo(body: () => Float32Array): [Float32Array, Float32Array] {
    const before = k.setThreads(0);
    k.setThreads(1);
    const one = Float32Array.from(body());
    expect(k.setThreads(2)).toBe(2);
    try {
      return [one, Float32Array.from(body())];
    } finally {
      k.setThreads(before);
    }
  }

  // our own sgemm (wasm) splits rows or columns: bitwise equal; OpenBLAS partitions its work differently per thread
  // count, so native results agree to float32 rounding only (they are deterministic for a given count)
  it.each([[false, false], [true, false], [false, true], [true, true]])("splits sgemm (transA=%s, transB=%s) with equal results", (transA, transB) => {
    for (const [m, n, kk] of [[200, 120, 100], [40, 400, 160]] as const) {
      const a = put(k, randomArray(rng, m * kk)), b = put(k, randomArray(rng, kk * n)), c0 = randomArray(rng, m * n);
      const [one, two] = onOneAndTwo(() => {
        const c = put(k, c0);
        k.sgemm({ transA, transB, m, n, k: kk, alpha: 0.5, a, b, beta: 0.25, c });
        return c;
      });
      if (backend === "wasm") expect(same(one, two)).toBe(true);
      else expect(relativeError(two, one)).toBeLessThan(1e-6);
    }
  });

  it("splits attention, cross-entropy, SwiGLU and AdamW with bitwise equal results", () => {
    const [B, T, NH, NKV, HD] = [3, 40, 4, 2, 8];
    const N = B * T, W = (NH + 2 * NKV) * HD;
    const qkv = put(k, randomArray(rng, N * W)), dout = put(k, randomArray(rng, N * NH * HD));
    const attention = onOneAndTwo(() => {
      const out = k.alloc(N * NH * HD), lse = k.alloc(B * NH * T), dqkv = k.alloc(N * W), s = k.alloc(2 * T * T);
      k.attentionForward(out, lse, qkv, B, T, NH, NKV, HD, s);
      k.attentionBackward(dqkv, dout, qkv, lse, B, T, NH, NKV, HD, s);
      const all = k.alloc(out.length + lse.length + dqkv.length);
      all.set(out);
      all.set(lse, out.length);
      all.set(dqkv, out.length + lse.length);
      return all;
    });
    expect(same(...attention)).toBe(true);
    const [Nr, V] = [300, 500];
    const logits = put(k, randomArray(rng, Nr * V, 3)), targets = ints(k, Array.from({ length: Nr }, (_, i) => (i * 37) % V));
    const ce = onOneAndTwo(() => {
      const losses = k.alloc(Nr), d = k.alloc(Nr * V);
      k.crossEntropyForward(losses, logits, targets, Nr, V);
      k.crossEntropyBackward(d, logits, targets, Nr, V, 0.1);
      k.logSoftmax(d, d, Nr, V);
      d.set(losses);
      return d;
    });
    expect(same(...ce)).toBe(true);
    const n = 100_003;
    const g = put(k, randomArray(rng, n, 3)), u = put(k, randomArray(rng, n));
    const elementwise = onOneAndTwo(() => {
      const h = k.alloc(n), dg = k.alloc(n), du = k.alloc(n), m = k.alloc(n), v = k.alloc(n);
      k.swigluForward(h, g, u, n);
      k.swigluBackward(dg, du, h, g, u, n);
      k.adamwStep({ param: h, grad: dg, m, v, lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, step: 1 });
      h.set(du.subarray(0, 10));
      return h;
    });
    expect(same(...elementwise)).toBe(true);
  });
});
