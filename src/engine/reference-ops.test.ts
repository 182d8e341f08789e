// Every reference op's backward pass against central finite differences in float64: for L = sum(dy * f(x)) with a
// random dy, dL/dx from the backward pass must equal (L(x + h) - L(x - h)) / 2h at every input element.
import { describe, expect, it } from "vitest";
import {
  attentionBackward64, attentionForward64, crossEntropyBackward64, crossEntropyForward64, embeddingBackward64,
  embeddingForward64, linearBackward64, linearForward64, logSoftmax64, rmsnormBackward64, rmsnormForward64,
  ropeBackward64, ropeForward64, ropeTables64, swigluBackward64, swigluForward64,
} from "./reference-ops.js";
import { Rng } from "./rng.js";
import { randomArray } from "./testing.js";

const H = 1e-5;
const TOL = 1e-7;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Max |analytic - numeric| / max(1, |analytic|) over every element of x, for L(x) = loss(x). */
function fdError(x: Float64Array, loss: () => number, analytic: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const keep = x[i] as number;
    x[i] = keep + H;
    const up = loss();
    x[i] = keep - H;
    const down = loss();
    x[i] = keep;
    const numeric = (up - down) / (2 * H);
    worst = Math.max(worst, Math.abs(numeric - (analytic[i] as number)) / Math.max(1, Math.abs(analytic[i] as number)));
  }
  return worst;
}

describe("reference ops: backward equals central finite differences (float64)", () => {
  const rng = new Rng(42);

  it("linear", () => {
    const [N, In, Out] = [3, 5, 4];
    const x = randomArray(rng, N * In), w = randomArray(rng, Out * In), dy = randomArray(rng, N * Out);
    const { dx, dw } = linearBackward64(dy, x, w, N, In, Out);
    const loss = (): number => dot(dy, linearForward64(x, w, N, In, Out));
    expect(fdError(x, loss, dx)).toBeLessThan(TOL);
    expect(fdError(w, loss, dw)).toBeLessThan(TOL);
  });

  it("embedding", () => {
    const [V, C] = [6, 4];
    const tokens = [1, 3, 1, 5, 0];
    const table = randomArray(rng, V * C), dy = randomArray(rng, tokens.length * C);
    const dtable = embeddingBackward64(tokens, dy, V, C);
    expect(fdError(table, () => dot(dy, embeddingForward64(tokens, table, C)), dtable)).toBeLessThan(TOL);
    expect(dtable.subarray(2 * C, 3 * C).every((v) => v === 0)).toBe(true); // token 2 never appears
  });

  it("rmsnorm", () => {
    const [N, C, eps] = [3, 8, 1e-5];
    const x = randomArray(rng, N * C), w = randomArray(rng, C), dy = randomArray(rng, N * C);
    const { rstd } = rmsnormForward64(x, w, N, C, eps);
    const { dx, dw } = rmsnormBackward64(dy, x, w, rstd, N, C);
    const loss = (): number => dot(dy, rmsnormForward64(x, w, N, C, eps).out);
    expect(fdError(x, loss, dx)).toBeLessThan(TOL);
    expect(fdError(w, loss, dw)).toBeLessThan(TOL);
  });

  it("rope (adjacent pairs) is a rotation and its backward is the transpose", () => {
    const [B, T, heads, HD, stride] = [2, 5, 3, 4, 14]; // 12 rotated values per row, 2 left alone
    const tables = ropeTables64(T, HD, 10000);
    const x = randomArray(rng, B * T * stride), dy = randomArray(rng, B * T * stride);
    const dx = ropeBackward64(dy, tables, T, heads, HD, stride);
    expect(fdError(x, () => dot(dy, ropeForward64(x, tables, T, heads, HD, stride)), dx)).toBeLessThan(TOL);
    // position 0 is the identity; columns beyond the heads are untouched; norms of pairs are preserved
    const y = ropeForward64(x, tables, T, heads, HD, stride);
    for (let c = 0; c < stride; c++) expect(y[c]).toBeCloseTo(x[c] as number, 12);
    expect(y[stride + 12]).toBe(x[stride + 12]);
    expect(Math.hypot(y[stride] as number, y[stride + 1] as number)).toBeCloseTo(Math.hypot(x[stride] as number, x[stride + 1] as number), 12);
  });

  it("causal grouped-query attention", () => {
    const shape = { B: 2, T: 4, NH: 4, NKV: 2, HD: 4 };
    const W = (shape.NH + 2 * shape.NKV) * shape.HD, N = shape.B * shape.T;
    const qkv = randomArray(rng, N * W), dy = randomArray(rng, N * shape.NH * shape.HD);
    const { probs } = attentionForward64(qkv, shape);
    const dqkv = attentionBackward64(dy, qkv, probs, shape);
    expect(fdError(qkv, () => dot(dy, attentionForward64(qkv, shape).out), dqkv)).toBeLessThan(TOL);
    // causal: the first position attends only to itself, so its output is its value vector
    const out = attentionForward64(qkv, shape).out;
    const v0 = (shape.NH + shape.NKV) * shape.HD;
    for (let d = 0; d < shape.HD; d++) expect(out[d]).toBeCloseTo(qkv[v0 + d] as number, 12);
  });

  it("swiglu", () => {
    const g = randomArray(rng, 10, 2), u = randomArray(rng, 10), dy = randomArray(rng, 10);
    const { dg, du } = swigluBackward64(dy, g, u);
    const loss = (): number => dot(dy, swigluForward64(g, u));
    expect(fdError(g, loss, dg)).toBeLessThan(TOL);
    expect(fdError(u, loss, du)).toBeLessThan(TOL);
  });

  it("cross-entropy, with an ignored position", () => {
    const [N, V] = [4, 7];
    const logits = randomArray(rng, N * V, 2), targets = [3, -1, 0, 6];
    const scale = 0.37;
    const d = crossEntropyBackward64(logits, targets, N, V, scale);
    const loss = (): number => scale * crossEntropyForward64(logits, targets, N, V).reduce((a, b) => a + b, 0);
    expect(fdError(logits, loss, d)).toBeLessThan(TOL);
    expect(d.subarray(V, 2 * V).every((v) => v === 0)).toBe(true);
    // log-softmax rows are normalised
    const lp = logSoftmax64(logits, N, V);
    expect(lp.subarray(0, V).reduce((a, b) => a + Math.exp(b), 0)).toBeCloseTo(1, 12);
  });
});
