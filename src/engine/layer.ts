// One Llama layer, forward and backward, as llama.cpp computes it: pre-norm attention (RMSNorm, fused q/k/v
// projection, adjacent-pair rope, causal grouped-query attention, output projection, residual) then a pre-norm
// SwiGLU feed-forward with its residual. Weights are row-major [out, in] as in PyTorch.
//
// Legend: B batch, T time, N = B*T rows, C channels, NH query heads, NKV key/value heads, HD head dim,
// W = (NH + 2 NKV) HD the fused q/k/v width, F feed-forward size.
import type { Kernels } from "./kernels.js";

/** Sizes shared by every layer for one batch shape. */
export interface LayerDims {
  B: number;
  T: number;
  N: number;
  C: number;
  NH: number;
  NKV: number;
  HD: number;
  W: number;
  F: number;
  eps: number;
}

/** A layer's weights (or their gradients): views into the model's parameter (or gradient) array. */
export interface LayerWeights {
  attnNorm: Float32Array; // [C]
  qkv: Float32Array; //      [W, C]  attn_q, attn_k, attn_v stored back to back
  wo: Float32Array; //       [C, NH*HD]
  ffnNorm: Float32Array; //  [C]
  gate: Float32Array; //     [F, C]
  up: Float32Array; //       [F, C]
  down: Float32Array; //     [C, F]
}

/** What a layer keeps from its forward pass for its backward pass. */
export interface LayerActivations {
  x: Float32Array; //     [N, C]  layer input (the residual stream)
  xn1: Float32Array; //   [N, C]  attention norm output
  rstd1: Float32Array; // [N]
  qkv: Float32Array; //   [N, W]  after rope
  lse: Float32Array; //   [B, NH, T] attention log-sum-exp (probabilities are recomputed)
  att: Float32Array; //   [N, NH*HD] attention output before the output projection
  x2: Float32Array; //    [N, C]  residual after attention
  xn2: Float32Array; //   [N, C]  feed-forward norm output
  rstd2: Float32Array; // [N]
  gate: Float32Array; //  [N, F]
  up: Float32Array; //    [N, F]  (silu(gate) * up is recomputed in the backward pass)
}

/** Buffers shared by all layers, reused op to op. */
export interface LayerScratch {
  dxn: Float32Array; //       [N, C]
  work: Float32Array; //      max(3 N F, N (NH*HD + W)): h, dgate, dup in the FFN; datt, dqkv in attention
  attention: Float32Array; // [2 T T]
}

/** Rope angle tables [T, HD/2]. */
export interface RopeTables {
  cos: Float32Array;
  sin: Float32Array;
}

/** Length of {@link LayerScratch.work} for a shape. */
export function workLength({ N, F, NH, HD, W }: LayerDims): number {
  return Math.max(3 * N * F, N * (NH * HD + W));
}

/** Runs one layer: out[N, C] = layer(a.x), filling the rest of `a` for the backward pass. */
export function layerForward(k: Kernels, w: LayerWeights, a: LayerActivations, out: Float32Array, d: LayerDims, rope: RopeTables, s: LayerScratch): void {
  const { B, T, N, C, NH, NKV, HD, W, F, eps } = d;
  k.rmsnormForward(a.xn1, a.rstd1, a.x, w.attnNorm, N, C, eps); // xn1[N, C]
  k.sgemm({ transB: true, m: N, n: W, k: C, a: a.xn1, b: w.qkv, c: a.qkv }); // qkv[N, W] = xn1 @ Wqkv^T
  k.ropeForward(a.qkv, rope.cos, rope.sin, B, T, NH + NKV, HD, W); // q and k heads are adjacent: rotate both
  k.attentionForward(a.att, a.lse, a.qkv, B, T, NH, NKV, HD, s.attention); // att[N, NH*HD]
  a.x2.set(a.x);
  k.sgemm({ transB: true, m: N, n: C, k: NH * HD, a: a.att, b: w.wo, beta: 1, c: a.x2 }); // x2 = x + att @ Wo^T
  k.rmsnormForward(a.xn2, a.rstd2, a.x2, w.ffnNorm, N, C, eps); // xn2[N, C]
  k.sgemm({ transB: true, m: N, n: F, k: C, a: a.xn2, b: w.gate, c: a.gate }); // gate[N, F]
  k.sgemm({ transB: true, m: N, n: F, k: C, a: a.xn2, b: w.up, c: a.up }); // up[N, F]
  const h = s.work.subarray(0, N * F);
  k.swigluForward(h, a.gate, a.up, N * F); // h[N, F] = silu(gate) * up
  out.set(a.x2);
  k.sgemm({ transB: true, m: N, n: C, k: F, a: h, b: w.down, beta: 1, c: out }); // out = x2 + h @ Wdown^T
}

/**
 * Backward through one layer. On entry dres[N, C] is the gradient of the loss with respect to the layer's output;
 * on return, with respect to its input. Weight gradients are accumulated (+=) into g.
 */
export function layerBackward(k: Kernels, w: LayerWeights, g: LayerWeights, a: LayerActivations, dres: Float32Array, d: LayerDims, rope: RopeTables, s: LayerScratch): void {
  const { B, T, N, C, NH, NKV, HD, W, F } = d;
  // feed-forward: out = x2 + swiglu(xn2 Wgate^T, xn2 Wup^T) Wdown^T
  const h = s.work.subarray(0, N * F), dgate = s.work.subarray(N * F, 2 * N * F), dup = s.work.subarray(2 * N * F, 3 * N * F);
  k.swigluForward(h, a.gate, a.up, N * F); // recompute h[N, F]
  k.sgemm({ transA: true, m: C, n: F, k: N, a: dres, b: h, beta: 1, c: g.down }); // dWdown[C, F] += dres^T @ h
  k.sgemm({ m: N, n: F, k: C, a: dres, b: w.down, c: h }); // dh[N, F] = dres @ Wdown (over h)
  k.swigluBackward(dgate, dup, h, a.gate, a.up, N * F); // dgate, dup [N, F]
  k.sgemm({ transA: true, m: F, n: C, k: N, a: dgate, b: a.xn2, beta: 1, c: g.gate }); // dWgate[F, C] += dgate^T @ xn2
  k.sgemm({ transA: true, m: F, n: C, k: N, a: dup, b: a.xn2, beta: 1, c: g.up }); // dWup[F, C] += dup^T @ xn2
  k.sgemm({ m: N, n: C, k: F, a: dgate, b: w.gate, c: s.dxn }); // dxn2[N, C] = dgate @ Wgate
  k.sgemm({ m: N, n: C, k: F, a: dup, b: w.up, beta: 1, c: s.dxn }); //          + dup @ Wup
  k.rmsnormBackward(dres, g.ffnNorm, s.dxn, a.x2, w.ffnNorm, a.rstd2, N, C); // dres = dL/dx2
  // attention: x2 = x + attention(rope(xn1 Wqkv^T)) Wo^T
  const datt = s.work.subarray(0, N * NH * HD), dqkv = s.work.subarray(N * NH * HD, N * (NH * HD + W));
  k.sgemm({ transA: true, m: C, n: NH * HD, k: N, a: dres, b: a.att, beta: 1, c: g.wo }); // dWo[C, NH*HD] += dres^T @ att
  k.sgemm({ m: N, n: NH * HD, k: C, a: dres, b: w.wo, c: datt }); // datt[N, NH*HD] = dres @ Wo
  k.attentionBackward(dqkv, datt, a.qkv, a.lse, B, T, NH, NKV, HD, s.attention); // dqkv[N, W] (after rope)
  k.ropeBackward(dqkv, rope.cos, rope.sin, B, T, NH + NKV, HD, W); // dqkv before rope
  k.sgemm({ transA: true, m: W, n: C, k: N, a: dqkv, b: a.xn1, beta: 1, c: g.qkv }); // dWqkv[W, C] += dqkv^T @ xn1
  k.sgemm({ m: N, n: C, k: W, a: dqkv, b: w.qkv, c: s.dxn }); // dxn1[N, C] = dqkv @ Wqkv
  k.rmsnormBackward(dres, g.attnNorm, s.dxn, a.x, w.attnNorm, a.rstd1, N, C); // dres = dL/dx
}

/**
 * Rope tables for positions 0..T-1 computed as llama.cpp's ggml_rope does (mode 0): theta_0 = t and
 * theta_{i+1} = theta_i * base^(-2/HD), each step rounded to float32, then cos/sin of it.
 */
export function ropeTables(T: number, HD: number, base: number, alloc: (n: number) => Float32Array): RopeTables {
  const half = HD / 2;
  const cos = alloc(T * half), sin = alloc(T * half);
  const thetaScale = Math.fround(base ** (-2 / HD));
  for (let t = 0; t < T; t++) {
    let theta = Math.fround(t);
    for (let i = 0; i < half; i++) {
      cos[t * half + i] = Math.cos(theta);
      sin[t * half + i] = Math.sin(theta);
      theta = Math.fround(theta * thetaScale);
    }
  }
  return { cos, sin };
}
