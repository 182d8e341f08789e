// A float64 Llama forward and backward built from the reference ops: slow and plain, the oracle for the engine's
// whole-model gradient (itself checked against finite differences). Parameters are keyed by GGUF tensor name.
// Shapes: tokens/targets [B*T]; x [N, C]; qkv [N, (NH + 2 NKV) HD]; gate/up [N, F]; logits [N, V].
import type { LlamaConfig } from "../arch/index.js";
import { ModelInputError } from "./errors.js";
import {
  attentionBackward64, attentionForward64, crossEntropyBackward64, crossEntropyForward64, embeddingBackward64,
  embeddingForward64, linearBackward64, linearForward64, rmsnormBackward64, rmsnormForward64, ropeBackward64,
  ropeForward64, ropeTables64, swigluBackward64, swigluForward64,
} from "./reference-ops.js";

/** Parameters (or gradients) by GGUF tensor name. */
export type ReferenceParams = Map<string, Float64Array>;

/** A batch for the reference model. */
export interface ReferenceBatch {
  tokens: ArrayLike<number>;
  /** Next-token targets, -1 where no loss is taken. */
  targets: ArrayLike<number>;
  batchSize: number;
  seqLen: number;
}

function get(params: ReferenceParams, name: string): Float64Array {
  const value = params.get(name);
  if (!value) throw new ModelInputError(`expected the reference model's parameters to include ${name} but it is missing`);
  return value;
}

function addInto(target: Float64Array, source: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) + (source[i] as number);
}

/** Mean cross-entropy of the batch, its logits, and the gradient of the loss with respect to every parameter. */
export function referenceLossAndGrads(config: LlamaConfig, params: ReferenceParams, batch: ReferenceBatch): { loss: number; logits: Float64Array; grads: ReferenceParams } {
  const { hidden: C, heads: NH, kvHeads: NKV, ffn: F, vocab: V, rmsNormEps: eps } = config;
  const { tokens, targets, batchSize: B, seqLen: T } = batch;
  const N = B * T, HD = C / NH, W = (NH + 2 * NKV) * HD;
  const shape = { B, T, NH, NKV, HD };
  const tables = ropeTables64(T, HD, config.ropeTheta);
  const outWeight = config.tiedEmbeddings ? "token_embd.weight" : "output.weight";

  // ---- forward, keeping what the backward pass needs ----
  type LayerCache = { x: Float64Array; n1: { out: Float64Array; rstd: Float64Array }; qkv: Float64Array; probs: Float64Array; att: Float64Array; x2: Float64Array; n2: { out: Float64Array; rstd: Float64Array }; gate: Float64Array; up: Float64Array; h: Float64Array };
  const caches: LayerCache[] = [];
  let x = embeddingForward64(tokens, get(params, "token_embd.weight"), C);
  for (let l = 0; l < config.layers; l++) {
    const p = (name: string): Float64Array => get(params, `blk.${l}.${name}.weight`);
    const n1 = rmsnormForward64(x, p("attn_norm"), N, C, eps);
    const wqkv = concat(p("attn_q"), p("attn_k"), p("attn_v"));
    let qkv = linearForward64(n1.out, wqkv, N, C, W);
    qkv = ropeForward64(qkv, tables, T, NH + NKV, HD, W); // q heads then k heads are adjacent in each row
    const { out: att, probs } = attentionForward64(qkv, shape);
    const x2 = Float64Array.from(x);
    addInto(x2, linearForward64(att, p("attn_output"), N, NH * HD, C));
    const n2 = rmsnormForward64(x2, p("ffn_norm"), N, C, eps);
    const gate = linearForward64(n2.out, p("ffn_gate"), N, C, F);
    const up = linearForward64(n2.out, p("ffn_up"), N, C, F);
    const h = swigluForward64(gate, up);
    const x3 = Float64Array.from(x2);
    addInto(x3, linearForward64(h, p("ffn_down"), N, F, C));
    caches.push({ x, n1, qkv, probs, att, x2, n2, gate, up, h });
    x = x3;
  }
  const nf = rmsnormForward64(x, get(params, "output_norm.weight"), N, C, eps);
  const logits = linearForward64(nf.out, get(params, outWeight), N, C, V);
  const losses = crossEntropyForward64(logits, targets, N, V);
  let count = 0;
  for (let n = 0; n < N; n++) if ((targets[n] as number) >= 0) count++;
  const loss = count === 0 ? 0 : losses.reduce((a, b) => a + b, 0) / count;

  // ---- backward ----
  const grads: ReferenceParams = new Map([...params].map(([name, value]) => [name, new Float64Array(value.length)]));
  const g = (name: string): Float64Array => get(grads, name);
  const dlogits = crossEntropyBackward64(logits, targets, N, V, count === 0 ? 0 : 1 / count);
  const head = linearBackward64(dlogits, nf.out, get(params, outWeight), N, C, V);
  addInto(g(outWeight), head.dw);
  const dnf = rmsnormBackward64(head.dx, x, get(params, "output_norm.weight"), nf.rstd, N, C);
  addInto(g("output_norm.weight"), dnf.dw);
  let dres = dnf.dx;
  for (let l = config.layers - 1; l >= 0; l--) {
    const c = caches[l] as LayerCache;
    const p = (name: string): Float64Array => get(params, `blk.${l}.${name}.weight`);
    const gp = (name: string): Float64Array => g(`blk.${l}.${name}.weight`);
    const down = linearBackward64(dres, c.h, p("ffn_down"), N, F, C);
    addInto(gp("ffn_down"), down.dw);
    const { dg, du } = swigluBackward64(down.dx, c.gate, c.up);
    const gateB = linearBackward64(dg, c.n2.out, p("ffn_gate"), N, C, F);
    const upB = linearBackward64(du, c.n2.out, p("ffn_up"), N, C, F);
    addInto(gp("ffn_gate"), gateB.dw);
    addInto(gp("ffn_up"), upB.dw);
    addInto(gateB.dx, upB.dx);
    const dn2 = rmsnormBackward64(gateB.dx, c.x2, p("ffn_norm"), c.n2.rstd, N, C);
    addInto(gp("ffn_norm"), dn2.dw);
    const dx2 = Float64Array.from(dres);
    addInto(dx2, dn2.dx);
    const o = linearBackward64(dx2, c.att, p("attn_output"), N, NH * HD, C);
    addInto(gp("attn_output"), o.dw);
    let dqkv = attentionBackward64(o.dx, c.qkv, c.probs, shape);
    dqkv = ropeBackward64(dqkv, tables, T, NH + NKV, HD, W);
    const wqkv = concat(p("attn_q"), p("attn_k"), p("attn_v"));
    const lin = linearBackward64(dqkv, c.n1.out, wqkv, N, C, W);
    const qRows = NH * HD * C, kRows = NKV * HD * C;
    addInto(gp("attn_q"), lin.dw.subarray(0, qRows));
    addInto(gp("attn_k"), lin.dw.subarray(qRows, qRows + kRows));
    addInto(gp("attn_v"), lin.dw.subarray(qRows + kRows));
    const dn1 = rmsnormBackward64(lin.dx, c.x, p("attn_norm"), c.n1.rstd, N, C);
    addInto(gp("attn_norm"), dn1.dw);
    dres = dx2;
    addInto(dres, dn1.dx);
  }
  addInto(g("token_embd.weight"), embeddingBackward64(tokens, dres, V, C));
  return { loss, logits, grads };
}

function concat(...parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
