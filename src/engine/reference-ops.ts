// Plain TypeScript float64 reference implementations of every engine op, forward and backward, written for clarity
// rather than speed. Tests check their backward passes against central finite differences, and check both kernel
// backends (float32) against them. Shape legend as in kernels.ts (B, T, N = B*T, C, V, NH, NKV, HD, F).
type F64 = Float64Array;

/** y[N, Out] = x[N, In] @ w[Out, In]^T */
export function linearForward64(x: F64, w: F64, N: number, In: number, Out: number): F64 {
  const y = new Float64Array(N * Out);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Out; o++) {
      let s = 0;
      for (let i = 0; i < In; i++) s += (x[n * In + i] as number) * (w[o * In + i] as number);
      y[n * Out + o] = s;
    }
  return y;
}

/** dx[N, In] = dy @ w; dw[Out, In] = dy^T @ x */
export function linearBackward64(dy: F64, x: F64, w: F64, N: number, In: number, Out: number): { dx: F64; dw: F64 } {
  const dx = new Float64Array(N * In);
  const dw = new Float64Array(Out * In);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Out; o++) {
      const d = dy[n * Out + o] as number;
      for (let i = 0; i < In; i++) {
        dx[n * In + i] = (dx[n * In + i] as number) + d * (w[o * In + i] as number);
        dw[o * In + i] = (dw[o * In + i] as number) + d * (x[n * In + i] as number);
      }
    }
  return { dx, dw };
}

/** out[N, C] = table[tokens[n], :] */
export function embeddingForward64(tokens: ArrayLike<number>, table: F64, C: number): F64 {
  const out = new Float64Array(tokens.length * C);
  for (let n = 0; n < tokens.length; n++) out.set(table.subarray((tokens[n] as number) * C, ((tokens[n] as number) + 1) * C), n * C);
  return out;
}

/** dtable[V, C]: dout rows summed at their token ids */
export function embeddingBackward64(tokens: ArrayLike<number>, dout: F64, V: number, C: number): F64 {
  const dtable = new Float64Array(V * C);
  for (let n = 0; n < tokens.length; n++) {
    const row = (tokens[n] as number) * C;
    for (let c = 0; c < C; c++) dtable[row + c] = (dtable[row + c] as number) + (dout[n * C + c] as number);
  }
  return dtable;
}

/** out[N, C] = x / sqrt(mean(x^2) + eps) * w; rstd[N] */
export function rmsnormForward64(x: F64, w: F64, N: number, C: number, eps: number): { out: F64; rstd: F64 } {
  const out = new Float64Array(N * C);
  const rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += (x[n * C + c] as number) ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[n] = r;
    for (let c = 0; c < C; c++) out[n * C + c] = (x[n * C + c] as number) * r * (w[c] as number);
  }
  return { out, rstd };
}

/** dx[N, C], dw[C] */
export function rmsnormBackward64(dout: F64, x: F64, w: F64, rstd: F64, N: number, C: number): { dx: F64; dw: F64 } {
  const dx = new Float64Array(N * C);
  const dw = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const r = rstd[n] as number;
    let dot = 0; // sum over c of dxhat * xhat
    for (let c = 0; c < C; c++) dot += (dout[n * C + c] as number) * (w[c] as number) * (x[n * C + c] as number) * r;
    for (let c = 0; c < C; c++) {
      const xhat = (x[n * C + c] as number) * r;
      const dxhat = (dout[n * C + c] as number) * (w[c] as number);
      dx[n * C + c] = r * (dxhat - (xhat * dot) / C);
      dw[c] = (dw[c] as number) + (dout[n * C + c] as number) * xhat;
    }
  }
  return { dx, dw };
}

/** cos and sin of t * theta^(-2i/HD), each [T, HD/2] */
export function ropeTables64(T: number, HD: number, theta: number): { cos: F64; sin: F64 } {
  const half = HD / 2;
  const cos = new Float64Array(T * half);
  const sin = new Float64Array(T * half);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < half; i++) {
      const angle = t * theta ** ((-2 * i) / HD);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  return { cos, sin };
}

/** Rotates adjacent pairs of `heads` heads at the start of each of N = B*T rows of width rowStride (a copy). */
export function ropeForward64(x: F64, tables: { cos: F64; sin: F64 }, T: number, heads: number, HD: number, rowStride: number): F64 {
  return rotate(x, tables, T, heads, HD, rowStride, 1);
}

/** The inverse rotation (the transpose of ropeForward64), applied to gradients. */
export function ropeBackward64(dx: F64, tables: { cos: F64; sin: F64 }, T: number, heads: number, HD: number, rowStride: number): F64 {
  return rotate(dx, tables, T, heads, HD, rowStride, -1);
}

function rotate(x: F64, { cos, sin }: { cos: F64; sin: F64 }, T: number, heads: number, HD: number, rowStride: number, sign: number): F64 {
  const out = Float64Array.from(x);
  const half = HD / 2;
  const rows = x.length / rowStride;
  for (let row = 0; row < rows; row++) {
    const t = row % T;
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < half; i++) {
        const at = row * rowStride + h * HD + 2 * i;
        const c = cos[t * half + i] as number, s = sign * (sin[t * half + i] as number);
        const x0 = x[at] as number, x1 = x[at + 1] as number;
        out[at] = x0 * c - x1 * s;
        out[at + 1] = x0 * s + x1 * c;
      }
  }
  return out;
}

interface AttentionShape {
  B: number;
  T: number;
  NH: number;
  NKV: number;
  HD: number;
}

/** out[N, NH*HD], probs[B, NH, T, T] (causal softmax of q k^T / sqrt(HD)), lse[B, NH, T] from qkv[N, (NH+2NKV)*HD] */
export function attentionForward64(qkv: F64, { B, T, NH, NKV, HD }: AttentionShape): { out: F64; probs: F64; lse: F64 } {
  const W = (NH + 2 * NKV) * HD, OW = NH * HD, rep = NH / NKV, scale = 1 / Math.sqrt(HD);
  const out = new Float64Array(B * T * OW);
  const probs = new Float64Array(B * NH * T * T);
  const lse = new Float64Array(B * NH * T);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < NH; h++) {
      const q = h * HD, k = (NH + Math.floor(h / rep)) * HD, v = (NH + NKV + Math.floor(h / rep)) * HD;
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let j = 0; j <= t; j++) {
          let s = 0;
          for (let d = 0; d < HD; d++) s += (qkv[(b * T + t) * W + q + d] as number) * (qkv[(b * T + j) * W + k + d] as number);
          scores.push(s * scale);
        }
        const m = Math.max(...scores);
        const sum = scores.reduce((acc, s) => acc + Math.exp(s - m), 0);
        lse[(b * NH + h) * T + t] = m + Math.log(sum);
        const p = probs.subarray(((b * NH + h) * T + t) * T, ((b * NH + h) * T + t + 1) * T);
        for (let j = 0; j <= t; j++) p[j] = Math.exp((scores[j] as number) - m) / sum;
        for (let d = 0; d < HD; d++) {
          let o = 0;
          for (let j = 0; j <= t; j++) o += (p[j] as number) * (qkv[(b * T + j) * W + v + d] as number);
          out[(b * T + t) * OW + h * HD + d] = o;
        }
      }
    }
  return { out, probs, lse };
}

/** dqkv[N, (NH+2NKV)*HD] from dout[N, NH*HD], qkv and the probs of the forward */
export function attentionBackward64(dout: F64, qkv: F64, probs: F64, { B, T, NH, NKV, HD }: AttentionShape): F64 {
  const W = (NH + 2 * NKV) * HD, OW = NH * HD, rep = NH / NKV, scale = 1 / Math.sqrt(HD);
  const dqkv = new Float64Array(B * T * W);
  const at = (b: number, t: number, col: number): number => (b * T + t) * W + col;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < NH; h++) {
      const q = h * HD, k = (NH + Math.floor(h / rep)) * HD, v = (NH + NKV + Math.floor(h / rep)) * HD;
      for (let t = 0; t < T; t++) {
        const p = probs.subarray(((b * NH + h) * T + t) * T, ((b * NH + h) * T + t + 1) * T);
        const dp = new Float64Array(t + 1);
        for (let j = 0; j <= t; j++) {
          for (let d = 0; d < HD; d++) {
            const g = dout[(b * T + t) * OW + h * HD + d] as number;
            dp[j] = (dp[j] as number) + g * (qkv[at(b, j, v + d)] as number);
            dqkv[at(b, j, v + d)] = (dqkv[at(b, j, v + d)] as number) + (p[j] as number) * g;
          }
        }
        let dot = 0;
        for (let j = 0; j <= t; j++) dot += (p[j] as number) * (dp[j] as number);
        for (let j = 0; j <= t; j++) {
          const ds = (p[j] as number) * ((dp[j] as number) - dot) * scale;
          for (let d = 0; d < HD; d++) {
            dqkv[at(b, t, q + d)] = (dqkv[at(b, t, q + d)] as number) + ds * (qkv[at(b, j, k + d)] as number);
            dqkv[at(b, j, k + d)] = (dqkv[at(b, j, k + d)] as number) + ds * (qkv[at(b, t, q + d)] as number);
          }
        }
      }
    }
  return dqkv;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** h[n] = silu(g[n]) * u[n] */
export function swigluForward64(g: F64, u: F64): F64 {
  return g.map((gi, i) => gi * sigmoid(gi) * (u[i] as number));
}

/** dg[n], du[n] */
export function swigluBackward64(dh: F64, g: F64, u: F64): { dg: F64; du: F64 } {
  const dg = new Float64Array(g.length);
  const du = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const s = sigmoid(g[i] as number), gi = g[i] as number;
    dg[i] = (dh[i] as number) * (u[i] as number) * s * (1 + gi * (1 - s));
    du[i] = (dh[i] as number) * gi * s;
  }
  return { dg, du };
}

/** out[N, V]: each row minus its log-sum-exp */
export function logSoftmax64(logits: F64, N: number, V: number): F64 {
  const out = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const row = logits.subarray(n * V, (n + 1) * V);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((acc, x) => acc + Math.exp(x - m), 0));
    for (let j = 0; j < V; j++) out[n * V + j] = (row[j] as number) - lse;
  }
  return out;
}

/** losses[N] = -log softmax(logits[n])[targets[n]]; 0 where targets[n] < 0 */
export function crossEntropyForward64(logits: F64, targets: ArrayLike<number>, N: number, V: number): F64 {
  const logp = logSoftmax64(logits, N, V);
  const losses = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const t = targets[n] as number;
    losses[n] = t < 0 ? 0 : -(logp[n * V + t] as number);
  }
  return losses;
}

/** dlogits[N, V] = scale * (softmax - onehot); zero rows where targets[n] < 0 */
export function crossEntropyBackward64(logits: F64, targets: ArrayLike<number>, N: number, V: number, scale: number): F64 {
  const logp = logSoftmax64(logits, N, V);
  const d = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const t = targets[n] as number;
    if (t < 0) continue;
    for (let j = 0; j < V; j++) d[n * V + j] = scale * Math.exp(logp[n * V + j] as number);
    d[n * V + t] = (d[n * V + t] as number) - scale;
  }
  return d;
}
