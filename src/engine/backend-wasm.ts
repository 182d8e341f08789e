// The WebAssembly SIMD backend: instantiates the module built from native/src (committed in wasm-module.ts) over a
// shared memory, so that growing it never detaches the Float32Arrays already handed out and worker threads can work in
// it too; adapts typed arrays in that memory to the pointers the C kernels take, and splits the heavy kernels
// (sgemm, attention, cross-entropy, SwiGLU, AdamW) across threads after setThreads(n > 1).
import { DuskError } from "../common/index.js";
import { FreeListAllocator } from "./allocator.js";
import { KernelArgumentError } from "./errors.js";
import type { BackendMemory, RawKernels } from "./kernels.js";
import { splitRange, WasmThreadPool, type Part } from "./wasm-threads.js";
import { WASM_BASE64, WASM_INITIAL_PAGES } from "./wasm-module.js";

type Fn = (...args: number[]) => number;

// The few parts of the WebAssembly JS API used here (the project's lib settings do not declare the global's values).
interface WasmMemory {
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const globalNumber = (value: unknown): number | undefined => {
  const inner = typeof value === "object" && value !== null && "value" in value ? value.value : undefined;
  return typeof inner === "number" ? inner : undefined;
};

const KERNEL_EXPORTS = [
  "dusk_sgemm", "dusk_sgemm_ws", "dusk_sgemm_ws_floats", "dusk_embedding_forward", "dusk_embedding_backward",
  "dusk_rmsnorm_forward", "dusk_rmsnorm_backward", "dusk_rope_forward", "dusk_rope_backward", "dusk_attention_forward",
  "dusk_attention_backward", "dusk_swiglu_forward", "dusk_swiglu_backward", "dusk_add", "dusk_scale", "dusk_fill",
  "dusk_cross_entropy_forward", "dusk_cross_entropy_backward", "dusk_log_softmax", "dusk_adamw_step", "dusk_sumsq",
] as const;

type KernelExport = (typeof KERNEL_EXPORTS)[number];
const index = (name: KernelExport): number => KERNEL_EXPORTS.indexOf(name);

/** WebAssembly pages are 64 KiB; wasm32 memory ends at 4 GiB. */
const PAGE = 65536;
const MAX_PAGES = 65536;
/** Below these sizes a call runs on one thread (waking workers costs tens of microseconds). */
const MIN_GEMM_MULTIPLIES = 1 << 21;
const MIN_ELEMENTS_PER_THREAD = 1 << 15;

/** The WebAssembly memory ran out (wasm32 addresses at most 4 GiB). */
export class WasmMemoryError extends DuskError {
  constructor(bytes: number, options: { cause?: unknown } = {}) {
    super("ENGINE_WASM_MEMORY", `expected the WebAssembly backend's memory to hold ${bytes} bytes but it is limited to 4 GiB`, {
      hint: "use a smaller model, batch or sequence length, or the native backend (npm run build:native; DUSK_BACKEND=native)",
      ...options,
    });
  }
}

/** Instantiates the WebAssembly kernels; returns the raw kernels and the memory they work in. */
export function loadWasmBackend(): { raw: RawKernels; memory: BackendMemory } {
  const module = new wasmApi.Module(Buffer.from(WASM_BASE64, "base64"));
  const memory = new wasmApi.Memory({ initial: WASM_INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
  const exports = new wasmApi.Instance(module, { env: { memory } }).exports;
  const heapBase = globalNumber(exports.__heap_base);
  const broken = (what: string): DuskError =>
    new DuskError("ENGINE_WASM_MODULE", `expected the WebAssembly module to export ${what} but it does not`, { hint: "rebuild it with npm run build:wasm -- --force" });
  if (heapBase === undefined) throw broken("__heap_base");
  const fns = KERNEL_EXPORTS.map((name) => {
    const f = exports[name];
    if (typeof f !== "function") throw broken(name);
    return f as Fn;
  });
  const k = Object.fromEntries(KERNEL_EXPORTS.map((name, i) => [name, fns[i]])) as Record<KernelExport, Fn>;

  // Every SharedArrayBuffer object this memory has shown (a new one after each growth); arrays must live in one.
  const buffers = new WeakSet<ArrayBufferLike>([memory.buffer]);
  const allocator = new FreeListAllocator(heapBase, (end) => {
    const have = memory.buffer.byteLength;
    if (end <= have) return;
    if (end > MAX_PAGES * PAGE) throw new WasmMemoryError(end);
    try {
      memory.grow(Math.ceil((end - have) / PAGE));
    } catch (cause) {
      throw new WasmMemoryError(end, { cause });
    }
    buffers.add(memory.buffer);
  });

  const p = (array: Float32Array | Int32Array): number => {
    if (!buffers.has(array.buffer)) {
      if (array.buffer !== memory.buffer) {
        throw new KernelArgumentError("expected an array allocated by the WebAssembly backend (kernels.alloc) but got one from elsewhere");
      }
      buffers.add(array.buffer);
    }
    return array.byteOffset;
  };

  // ---- threads: per-worker sgemm workspaces and attention scratch, grown on demand ----
  const pool = new WasmThreadPool({ module, memory, names: KERNEL_EXPORTS, alloc: (bytes) => allocator.alloc(bytes), free: (offset) => allocator.free(offset) });
  const wsBytes = k.dusk_sgemm_ws_floats() * 4;
  const workspaces: number[] = [0]; // thread 0 (main) uses the module's static workspace
  const scratches: { offset: number; bytes: number }[] = [];
  const workspace = (thread: number): number => {
    while (workspaces.length <= thread) workspaces.push(allocator.alloc(wsBytes));
    return workspaces[thread] as number;
  };
  const scratch = (thread: number, bytes: number): number => {
    const have = scratches[thread];
    if (have && have.bytes >= bytes) return have.offset;
    if (have) allocator.free(have.offset);
    scratches[thread] = { offset: allocator.alloc(bytes), bytes };
    return (scratches[thread] as { offset: number }).offset;
  };
  const runHere = ([fn, args]: Part): void => void fns[fn]?.(...args);
  /** Runs fn over ranges of [0, total): args(start, count, thread) gives each part's arguments. */
  const parallel = (fn: KernelExport, total: number, align: number, minimum: number, args: (start: number, count: number, thread: number) => number[]): void => {
    const ranges = splitRange(total, pool.size, align, minimum);
    pool.run(ranges.map(([start, count], thread) => [index(fn), args(start, count, thread)] as const), runHere);
  };

  const raw: RawKernels = {
    sgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc) {
      const [A, B, C] = [p(a), p(b), p(c)];
      if (pool.size === 1 || m * n * kk < MIN_GEMM_MULTIPLIES) return void k.dusk_sgemm(ta, tb, m, n, kk, alpha, A, lda, B, ldb, beta, C, ldc);
      if (m >= n || n < 16 * pool.size) {
        // rows of C: rows of op(A)
        parallel("dusk_sgemm_ws", m, 4, 16, (i0, rows, t) => [workspace(t), ta, tb, rows, n, kk, alpha, ta ? A + 4 * i0 : A + 4 * i0 * lda, lda, B, ldb, beta, C + 4 * i0 * ldc, ldc]);
      } else {
        // columns of C: columns of op(B)
        parallel("dusk_sgemm_ws", n, 8, 16, (j0, cols, t) => [workspace(t), ta, tb, m, cols, kk, alpha, A, lda, tb ? B + 4 * j0 * ldb : B + 4 * j0, ldb, beta, C + 4 * j0, ldc]);
      }
    },
    embeddingForward: (out, tokens, table, N, C) => void k.dusk_embedding_forward(p(out), p(tokens), p(table), N, C),
    embeddingBackward: (dtable, tokens, dout, N, C) => void k.dusk_embedding_backward(p(dtable), p(tokens), p(dout), N, C),
    rmsnormForward: (out, rstd, x, w, N, C, eps) => void k.dusk_rmsnorm_forward(p(out), p(rstd), p(x), p(w), N, C, eps),
    rmsnormBackward: (dx, dw, dout, x, w, rstd, N, C) => void k.dusk_rmsnorm_backward(p(dx), p(dw), p(dout), p(x), p(w), p(rstd), N, C),
    ropeForward: (x, cos, sin, B, T, h, HD, rs) => void k.dusk_rope_forward(p(x), p(cos), p(sin), B, T, h, HD, rs),
    ropeBackward: (dx, cos, sin, B, T, h, HD, rs) => void k.dusk_rope_backward(p(dx), p(cos), p(sin), B, T, h, HD, rs),
    attentionForward(out, lse, qkv, B, T, NH, NKV, HD, s) {
      const [O, L, Q, S] = [p(out), p(lse), p(qkv), p(s)], W = (NH + 2 * NKV) * HD;
      parallel("dusk_attention_forward", B, 1, 1, (b0, count, t) => [
        O + 4 * b0 * T * NH * HD, L + 4 * b0 * NH * T, Q + 4 * b0 * T * W, count, T, NH, NKV, HD, t === 0 ? S : scratch(t, 4 * T * T), workspace(t),
      ]);
    },
    attentionBackward(dqkv, dout, qkv, lse, B, T, NH, NKV, HD, s) {
      const [D, O, Q, L, S] = [p(dqkv), p(dout), p(qkv), p(lse), p(s)], W = (NH + 2 * NKV) * HD;
      parallel("dusk_attention_backward", B, 1, 1, (b0, count, t) => [
        D + 4 * b0 * T * W, O + 4 * b0 * T * NH * HD, Q + 4 * b0 * T * W, L + 4 * b0 * NH * T, count, T, NH, NKV, HD, t === 0 ? S : scratch(t, 8 * T * T), workspace(t),
      ]);
    },
    swigluForward(h, g, u, n) {
      const [H, G, U] = [p(h), p(g), p(u)];
      parallel("dusk_swiglu_forward", n, 16, MIN_ELEMENTS_PER_THREAD, (i, c) => [H + 4 * i, G + 4 * i, U + 4 * i, c]);
    },
    swigluBackward(dg, du, dh, g, u, n) {
      const [DG, DU, DH, G, U] = [p(dg), p(du), p(dh), p(g), p(u)];
      parallel("dusk_swiglu_backward", n, 16, MIN_ELEMENTS_PER_THREAD, (i, c) => [DG + 4 * i, DU + 4 * i, DH + 4 * i, G + 4 * i, U + 4 * i, c]);
    },
    add: (y, x, n) => void k.dusk_add(p(y), p(x), n),
    scale: (y, a, n) => void k.dusk_scale(p(y), a, n),
    fill: (y, a, n) => void k.dusk_fill(p(y), a, n),
    crossEntropyForward(losses, logits, targets, N, V) {
      const [Ls, Lg, Tg] = [p(losses), p(logits), p(targets)];
      parallel("dusk_cross_entropy_forward", N, 1, Math.ceil(MIN_ELEMENTS_PER_THREAD / V), (n0, c) => [Ls + 4 * n0, Lg + 4 * n0 * V, Tg + 4 * n0, c, V]);
    },
    crossEntropyBackward(d, logits, targets, N, V, s) {
      const [D, Lg, Tg] = [p(d), p(logits), p(targets)];
      parallel("dusk_cross_entropy_backward", N, 1, Math.ceil(MIN_ELEMENTS_PER_THREAD / V), (n0, c) => [D + 4 * n0 * V, Lg + 4 * n0 * V, Tg + 4 * n0, c, V, s]);
    },
    logSoftmax(out, logits, N, V) {
      const [O, Lg] = [p(out), p(logits)];
      parallel("dusk_log_softmax", N, 1, Math.ceil(MIN_ELEMENTS_PER_THREAD / V), (n0, c) => [O + 4 * n0 * V, Lg + 4 * n0 * V, c, V]);
    },
    adamwStep(param, g, m, v, n, lr, b1, b2, eps, wd, gs, bc1, bc2) {
      const [P, G, M, Vv] = [p(param), p(g), p(m), p(v)];
      parallel("dusk_adamw_step", n, 16, MIN_ELEMENTS_PER_THREAD, (i, c) => [P + 4 * i, G + 4 * i, M + 4 * i, Vv + 4 * i, c, lr, b1, b2, eps, wd, gs, bc1, bc2]);
    },
    sumsq: (x, n) => k.dusk_sumsq(p(x), n),
    setThreads(threads) {
      if (threads >= 1) pool.resize(threads);
      return pool.size;
    },
  };

  const mem: BackendMemory = {
    alloc(length) {
      const offset = allocator.alloc(length * 4);
      return new Float32Array(memory.buffer, offset, length).fill(0);
    },
    allocInt32(length) {
      const offset = allocator.alloc(length * 4);
      return new Int32Array(memory.buffer, offset, length).fill(0);
    },
    free(array) {
      if (buffers.has(array.buffer)) allocator.free(array.byteOffset);
    },
    allocatedBytes: () => allocator.allocatedBytes,
  };
  return { raw, memory: mem };
}
