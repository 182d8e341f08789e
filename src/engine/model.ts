// The Llama model of the training engine: parameters named as GGUF names them (arch/'s llamaTensors, with the HF
// name alongside), stored in one contiguous float32 array on the kernel backend, plus the forward pass with
// cross-entropy loss and the hand-written backward pass. Activations are kept only as the backward pass needs them.
//
// Legend: B batch, T time, N = B*T, C channels, V vocabulary, L layers, F feed-forward size.
import { llamaTensors, permuteGgufToHf, permuteHfToGguf, type LlamaConfig, type RopePermutation } from "../arch/index.js";
import { getKernels, type BackendChoice } from "./backend.js";
import { ModelConfigError, ModelInputError } from "./errors.js";
import type { Kernels } from "./kernels.js";
import { layerBackward, layerForward, ropeTables, workLength, type LayerActivations, type LayerDims, type LayerScratch, type LayerWeights, type RopeTables } from "./layer.js";
import { Rng } from "./rng.js";

/** One parameter tensor of the model. */
export interface ModelTensor {
  /** GGUF name, e.g. `blk.0.attn_q.weight`. */
  readonly name: string;
  /** Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  readonly hfName: string;
  /** PyTorch-order shape ([out, in] for matrices). */
  readonly shape: readonly number[];
  /** The rope row permutation this tensor needs when moving between HF and GGUF layouts (the engine uses GGUF's). */
  readonly permute: RopePermutation;
  /** Whether AdamW applies weight decay to it (matrices yes, norm weights no). */
  readonly decay: boolean;
  /** View into {@link LlamaModel.params}. */
  readonly data: Float32Array;
  /** View into {@link LlamaModel.grads}. */
  readonly grad: Float32Array;
}

/** A batch of token sequences. */
export interface ModelBatch {
  /** B*T token ids, sequence after sequence. */
  tokens: ArrayLike<number>;
  /** B*T next-token targets (-1 where no loss is taken); without them forward computes logits only. */
  targets?: ArrayLike<number>;
  batchSize: number;
  seqLen: number;
}

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /** Seed of the weight initialisation. Defaults to 0. */
  seed?: number;
  /** Kernel backend. Defaults to DUSK_BACKEND, else the native addon when it loads, else WebAssembly. */
  backend?: BackendChoice;
  /** Standard deviation of the normal initialisation of matrices (norm weights start at 1). Defaults to 0.02. */
  initStd?: number;
}

/** Bytes in use by a model (and optimizer), and the process's resident set. */
export interface MemoryReport {
  parameters: number;
  gradients: number;
  /** Activations kept for the backward pass, scratch buffers and logits for the current batch shape. */
  activations: number;
  /** Optimizer state (AdamW's m and v), when an optimizer was given. */
  optimizer: number;
  total: number;
  /** The largest total seen so far (activations are sized by the largest batch shape used). */
  peak: number;
  /** Resident set size of the whole process. */
  rss: number;
}

/** Checks that a configuration describes a model the engine can build. */
export function validateModelConfig(config: LlamaConfig): void {
  const ints: [keyof LlamaConfig, number][] = [["layers", 0], ["hidden", 1], ["heads", 1], ["kvHeads", 1], ["ffn", 1], ["vocab", 1], ["context", 1]];
  for (const [key, min] of ints) {
    const value = config[key];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw new ModelConfigError(`expected ${key} to be an integer of at least ${min} but got ${String(value)}`);
  }
  if (config.hidden % config.heads !== 0) throw new ModelConfigError(`expected hidden (${config.hidden}) to be a multiple of heads (${config.heads})`);
  if (config.heads % config.kvHeads !== 0) throw new ModelConfigError(`expected heads (${config.heads}) to be a multiple of kvHeads (${config.kvHeads})`);
  if ((config.hidden / config.heads) % 2 !== 0) throw new ModelConfigError(`expected an even head dimension for rope but got ${config.hidden / config.heads}`);
  if (!(config.rmsNormEps > 0)) throw new ModelConfigError(`expected rmsNormEps > 0 but got ${config.rmsNormEps}`);
  if (!(config.ropeTheta > 0)) throw new ModelConfigError(`expected ropeTheta > 0 but got ${config.ropeTheta}`);
}

/** Builds a Llama model with freshly initialised weights on a kernel backend. */
export function createModel(config: LlamaConfig, { seed = 0, backend, initStd = 0.02 }: CreateModelOptions = {}): LlamaModel {
  const model = new LlamaModel(config, getKernels(backend));
  const rng = new Rng(seed);
  for (const tensor of model.tensors) {
    if (tensor.shape.length === 1) tensor.data.fill(1);
    else for (let i = 0; i < tensor.data.length; i++) tensor.data[i] = rng.normal() * initStd;
  }
  return model;
}

interface Activations {
  B: number;
  T: number;
  buffers: (Float32Array | Int32Array)[];
  resid: Float32Array[]; // L+1 of [N, C]
  layers: LayerActivations[];
  xf: Float32Array; //     [N, C] final norm output
  rstdf: Float32Array; //  [N]
  logits: Float32Array; // [N, V] (gradients after backward)
  losses: Float32Array; // [N]
  tokens: Int32Array; //   [N]
  targets: Int32Array; //  [N]
  dres: Float32Array; //   [N, C]
  scratch: LayerScratch;
  rope: RopeTables;
  bytes: number;
}

/** A Llama model on one kernel backend. Call {@link LlamaModel.dispose} to give its memory back to the backend. */
export class LlamaModel {
  /** All parameters, back to back in {@link tensors} order. */
  readonly params: Float32Array;
  /** Gradients, laid out as {@link params}; backward accumulates into them. */
  readonly grads: Float32Array;
  readonly tensors: readonly ModelTensor[];
  private readonly byName: Map<string, ModelTensor>;
  private readonly layerWeights: LayerWeights[] = [];
  private readonly layerGrads: LayerWeights[] = [];
  private acts: Activations | undefined;
  private lastForward: { withTargets: boolean; count: number } | undefined;
  private peakBytes = 0;

  constructor(readonly config: LlamaConfig, readonly kernels: Kernels) {
    validateModelConfig(config);
    const specs = llamaTensors(config);
    const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    this.params = kernels.alloc(total);
    this.grads = kernels.alloc(total);
    let offset = 0;
    this.tensors = specs.map((spec) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const tensor: ModelTensor = {
        name: spec.gguf, hfName: spec.hf, shape: spec.shape, permute: spec.permute, decay: spec.shape.length > 1,
        data: this.params.subarray(offset, offset + size), grad: this.grads.subarray(offset, offset + size),
      };
      offset += size;
      return tensor;
    });
    this.byName = new Map(this.tensors.map((t) => [t.name, t]));
    for (let l = 0; l < config.layers; l++) {
      this.layerWeights.push(this.layerViews(l, (t) => t.data, this.params));
      this.layerGrads.push(this.layerViews(l, (t) => t.grad, this.grads));
    }
    this.peakBytes = 2 * total * 4;
  }

  /** The tensor of a GGUF name; throws ModelInputError for names the model does not have. */
  tensor(name: string): ModelTensor {
    const tensor = this.byName.get(name);
    if (!tensor) throw new ModelInputError(`expected a tensor name of this model (e.g. blk.0.attn_q.weight) but got ${name}`);
    return tensor;
  }

  /**
   * Copies values (float32, PyTorch order) into a tensor named by its GGUF or HF name. With layout "hf" the values
   * are in Hugging Face's layout and q/k rows get the rope permutation (the engine computes in GGUF's layout).
   * @param options.layout "gguf" or "hf". Defaults to "gguf".
   */
  setTensor(name: string, values: Float32Array, { layout = "gguf" }: { layout?: "gguf" | "hf" } = {}): void {
    const tensor = this.tensorByAnyName(name);
    if (values.length !== tensor.data.length) {
      throw new ModelInputError(`expected ${tensor.data.length} values for ${name} (shape [${tensor.shape.join(", ")}]) but got ${values.length}`);
    }
    tensor.data.set(layout === "hf" && tensor.permute ? this.permuted(tensor, values, permuteHfToGguf) : values);
  }

  /**
   * A copy of a tensor's values (PyTorch order), in GGUF layout or, with layout "hf", with q/k rows permuted back to
   * Hugging Face's. @param options.layout "gguf" or "hf". Defaults to "gguf".
   */
  getTensor(name: string, { layout = "gguf" }: { layout?: "gguf" | "hf" } = {}): Float32Array {
    const tensor = this.tensorByAnyName(name);
    return layout === "hf" && tensor.permute ? this.permuted(tensor, tensor.data, permuteGgufToHf) : Float32Array.from(tensor.data);
  }

  private tensorByAnyName(name: string): ModelTensor {
    return this.byName.get(name) ?? this.tensors.find((t) => t.hfName === name) ?? this.tensor(name);
  }

  private permuted(tensor: ModelTensor, values: Float32Array, permute: typeof permuteHfToGguf): Float32Array {
    const heads = tensor.permute === "q" ? this.config.heads : this.config.kvHeads;
    const bytes = permute({ bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength), rows: tensor.shape[0] as number, heads });
    return new Float32Array(bytes.buffer, bytes.byteOffset, values.length);
  }

  /** Number of parameters. */
  get parameterCount(): number {
    return this.params.length;
  }

  private layerViews(l: number, pick: (t: ModelTensor) => Float32Array, all: Float32Array): LayerWeights {
    const t = (name: string): ModelTensor => this.tensor(`blk.${l}.${name}.weight`);
    const q = pick(t("attn_q")), v = pick(t("attn_v"));
    const start = q.byteOffset / 4 - all.byteOffset / 4;
    return {
      attnNorm: pick(t("attn_norm")), qkv: all.subarray(start, start + q.length + 2 * v.length), wo: pick(t("attn_output")),
      ffnNorm: pick(t("ffn_norm")), gate: pick(t("ffn_gate")), up: pick(t("ffn_up")), down: pick(t("ffn_down")),
    };
  }

  private dims(B: number, T: number): LayerDims {
    const { hidden: C, heads: NH, kvHeads: NKV, ffn: F, rmsNormEps: eps } = this.config;
    const HD = C / NH;
    return { B, T, N: B * T, C, NH, NKV, HD, W: (NH + 2 * NKV) * HD, F, eps };
  }

  /** Allocates the activations for a batch shape (reusing them when the shape is unchanged). */
  private activations(B: number, T: number): Activations {
    if (this.acts && this.acts.B === B && this.acts.T === T) return this.acts;
    this.freeActivations();
    const d = this.dims(B, T);
    const { N, C, W, F, NH, HD } = d;
    const buffers: (Float32Array | Int32Array)[] = [];
    const f = (n: number): Float32Array => {
      const a = this.kernels.alloc(n);
      buffers.push(a);
      return a;
    };
    const i32 = (n: number): Int32Array => {
      const a = this.kernels.allocInt32(n);
      buffers.push(a);
      return a;
    };
    const resid = Array.from({ length: this.config.layers + 1 }, () => f(N * C));
    const layers = Array.from({ length: this.config.layers }, (_, l): LayerActivations => ({
      x: resid[l] as Float32Array, xn1: f(N * C), rstd1: f(N), qkv: f(N * W), lse: f(B * NH * T), att: f(N * NH * HD),
      x2: f(N * C), xn2: f(N * C), rstd2: f(N), gate: f(N * F), up: f(N * F),
    }));
    const acts: Activations = {
      B, T, buffers, resid, layers, xf: f(N * C), rstdf: f(N), logits: f(N * this.config.vocab), losses: f(N), tokens: i32(N), targets: i32(N),
      dres: f(N * C), scratch: { dxn: f(N * C), work: f(workLength(d)), attention: f(2 * T * T) }, rope: ropeTables(T, HD, this.config.ropeTheta, f),
      bytes: 0,
    };
    acts.bytes = buffers.reduce((n, b) => n + b.byteLength, 0);
    this.acts = acts;
    this.peakBytes = Math.max(this.peakBytes, this.params.byteLength * 2 + acts.bytes);
    return acts;
  }

  private freeActivations(): void {
    if (!this.acts) return;
    for (const buffer of this.acts.buffers) this.kernels.free(buffer);
    this.acts = undefined;
    this.lastForward = undefined;
  }

  /**
   * Runs the model on a batch. Returns the mean cross-entropy over targets that are not -1 (undefined without
   * targets), each position's cross-entropy `tokenLosses` [B*T] (0 where the target is -1; a view, empty without
   * targets) and the logits [B*T, V], views that stay valid until the next forward, backward or dispose.
   */
  forward(batch: ModelBatch): { loss: number | undefined; tokenLosses: Float32Array; logits: Float32Array } {
    const { batchSize: B, seqLen: T } = batch;
    for (const [value, name] of [[B, "batchSize"], [T, "seqLen"]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ModelInputError(`expected ${name} to be a positive integer but got ${value}`);
    }
    const N = B * T, { vocab: V, hidden: C } = this.config;
    if (batch.tokens.length !== N) throw new ModelInputError(`expected ${N} tokens (batchSize ${B} x seqLen ${T}) but got ${batch.tokens.length}`);
    if (batch.targets && batch.targets.length !== N) throw new ModelInputError(`expected ${N} targets but got ${batch.targets.length}`);
    const a = this.activations(B, T);
    let count = 0;
    for (let n = 0; n < N; n++) {
      const token = batch.tokens[n] as number;
      if (!Number.isInteger(token) || token < 0 || token >= V) throw new ModelInputError(`expected token ids in [0, ${V}) but found ${token} at position ${n}`);
      a.tokens[n] = token;
      const target = batch.targets ? (batch.targets[n] as number) : -1;
      if (!Number.isInteger(target) || target < -1 || target >= V) throw new ModelInputError(`expected targets in [-1, ${V}) but found ${target} at position ${n}`);
      a.targets[n] = target;
      if (target >= 0) count++;
    }
    const k = this.kernels, d = this.dims(B, T);
    k.embeddingForward(a.resid[0] as Float32Array, a.tokens, this.tensor("token_embd.weight").data, N, C); // x[N, C]
    for (let l = 0; l < this.config.layers; l++) {
      layerForward(k, this.layerWeights[l] as LayerWeights, a.layers[l] as LayerActivations, a.resid[l + 1] as Float32Array, d, a.rope, a.scratch);
    }
    const xL = a.resid[this.config.layers] as Float32Array;
    k.rmsnormForward(a.xf, a.rstdf, xL, this.tensor("output_norm.weight").data, N, C, d.eps); // xf[N, C]
    k.sgemm({ transB: true, m: N, n: V, k: C, a: a.xf, b: this.outputWeight().data, c: a.logits }); // logits[N, V]
    let loss: number | undefined;
    if (batch.targets) {
      k.crossEntropyForward(a.losses, a.logits, a.targets, N, V);
      let sum = 0;
      for (let n = 0; n < N; n++) sum += a.losses[n] as number;
      loss = count === 0 ? 0 : sum / count;
    }
    this.lastForward = { withTargets: batch.targets !== undefined, count };
    return { loss, tokenLosses: batch.targets ? a.losses : a.losses.subarray(0, 0), logits: a.logits };
  }

  /**
   * Next-token log-probabilities [B*T, V] of a batch (log-softmax of the logits, in place): row n is the
   * distribution after tokens[0..n] of its sequence. The view stays valid until the next forward or dispose.
   */
  logProbs(batch: Omit<ModelBatch, "targets">): Float32Array {
    const { logits } = this.forward({ tokens: batch.tokens, batchSize: batch.batchSize, seqLen: batch.seqLen });
    const N = batch.batchSize * batch.seqLen, V = this.config.vocab;
    this.kernels.logSoftmax(logits, logits, N, V);
    return logits;
  }

  private outputWeight(): ModelTensor {
    return this.tensor(this.config.tiedEmbeddings ? "token_embd.weight" : "output.weight");
  }

  /**
   * Backward pass of the last forward (which must have had targets): accumulates d(gradScale * loss)/d(param)
   * into {@link grads}. Overwrites the logits with their gradient. For gradient accumulation over k micro-batches,
   * pass gradScale = 1/k to each. With `weights` (one per position) the loss differentiated is instead the weighted
   * sum gradScale * Σ weights[n] * crossEntropy[n] (no mean), as objectives built on sequence log-probabilities
   * (DPO) need.
   * @param options.gradScale multiplies the loss being differentiated. Defaults to 1.
   * @param options.weights per-position weights [B*T] of a weighted sum. Defaults to none (the mean).
   */
  backward({ gradScale = 1, weights }: { gradScale?: number; weights?: ArrayLike<number> } = {}): void {
    const a = this.acts, last = this.lastForward;
    if (!a || !last?.withTargets) throw new ModelInputError("expected forward() with targets before backward() but found none (or backward() already ran)");
    this.lastForward = undefined;
    const k = this.kernels, { B, T } = a, d = this.dims(B, T), { N, C } = d, V = this.config.vocab;
    const out = this.outputWeight();
    if (weights !== undefined) {
      if (weights.length !== N) throw new ModelInputError(`expected ${N} weights (one per position) but got ${weights.length}`);
      for (let n = 0; n < N; n++) if (!Number.isFinite(weights[n])) throw new ModelInputError(`expected finite weights but found ${weights[n]} at position ${n}`);
    }
    k.crossEntropyBackward(a.logits, a.logits, a.targets, N, V, weights !== undefined ? gradScale : last.count === 0 ? 0 : gradScale / last.count); // dlogits[N, V]
    if (weights !== undefined) {
      for (let n = 0; n < N; n++) {
        const w = weights[n] as number;
        if (w !== 1 && (a.targets[n] as number) >= 0) k.scale(a.logits.subarray(n * V, (n + 1) * V), w, V);
      }
    }
    k.sgemm({ transA: true, m: V, n: C, k: N, a: a.logits, b: a.xf, beta: 1, c: out.grad }); // dWout[V, C] += dlogits^T @ xf
    k.sgemm({ m: N, n: C, k: V, a: a.logits, b: out.data, c: a.scratch.dxn }); // dxf[N, C] = dlogits @ Wout
    k.fill(a.dres, 0, N * C);
    const norm = this.tensor("output_norm.weight");
    k.rmsnormBackward(a.dres, norm.grad, a.scratch.dxn, a.resid[this.config.layers] as Float32Array, norm.data, a.rstdf, N, C); // dres = dL/dxL
    for (let l = this.config.layers - 1; l >= 0; l--) {
      layerBackward(k, this.layerWeights[l] as LayerWeights, this.layerGrads[l] as LayerWeights, a.layers[l] as LayerActivations, a.dres, d, a.rope, a.scratch);
    }
    k.embeddingBackward(this.tensor("token_embd.weight").grad, a.tokens, a.dres, N, C); // dE[V, C] += dx rows
  }

  /** Sets every gradient to zero (before accumulating a new optimizer step). */
  zeroGrad(): void {
    this.kernels.fill(this.grads, 0, this.grads.length);
  }

  /** The global L2 norm of all gradients. */
  gradNorm(): number {
    return Math.sqrt(this.kernels.sumsq(this.grads, this.grads.length));
  }

  /** Bytes in use, by kind; pass the optimizer to include its state. */
  memoryReport(optimizer?: { stateBytes: number }): MemoryReport {
    const parameters = this.params.byteLength, gradients = this.grads.byteLength;
    const activations = this.acts?.bytes ?? 0, opt = optimizer?.stateBytes ?? 0;
    const total = parameters + gradients + activations + opt;
    return { parameters, gradients, activations, optimizer: opt, total, peak: Math.max(this.peakBytes + opt, total), rss: process.memoryUsage().rss };
  }

  /** Gives the model's memory back to its backend; the model must not be used afterwards. */
  dispose(): void {
    this.freeActivations();
    this.kernels.free(this.params);
    this.kernels.free(this.grads);
  }
}
