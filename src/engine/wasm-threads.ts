// Threads for the WebAssembly backend: each worker instantiates the same module over the same shared memory, with
// its own stack, and waits on a small control block in that memory. The main thread splits a kernel call into parts,
// hands all but the first to workers, runs the first itself and waits for the rest (Atomics.wait / notify), so calls
// stay synchronous. Parts never overlap in what they write, and each element is computed exactly as on one thread,
// so results are bitwise the same for any thread count.
import { Worker } from "node:worker_threads";
import { DuskError } from "../common/index.js";

/** The memory and module of the backend, as the workers need them. */
export interface WasmShared {
  module: object;
  memory: { readonly buffer: SharedArrayBuffer | ArrayBuffer };
  /** Export names the workers may call, by index. */
  names: readonly string[];
  /** Allocates bytes of the shared memory (64-byte aligned) and returns the offset. */
  alloc(bytes: number): number;
  /** Frees an offset from alloc. */
  free(offset: number): void;
}

/** One part of a call: an export index and its numeric arguments. */
export type Part = readonly [fn: number, args: readonly number[]];

const CONTROL_BYTES = 256; // i32: [0] go (1 run, -1 exit), [1] done, [2] fn, [3] argc, [4] error; f64 args from byte 32
const MAX_ARGS = (CONTROL_BYTES - 32) / 8;
const STACK_BYTES = 256 * 1024;
const START_TIMEOUT_MS = 60_000;

// CommonJS, evaluated in the worker: instantiate, report ready, then serve calls until told to exit.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, names, control, stackTop } = workerData;
const i32 = new Int32Array(memory.buffer, control, 8);
const f64 = new Float64Array(memory.buffer, control + 32, ${MAX_ARGS});
let fns;
try {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  exports.__stack_pointer.value = stackTop;
  fns = names.map((name) => exports[name]);
} catch (error) {
  i32[4] = 2;
}
Atomics.store(i32, 1, 1);
Atomics.notify(i32, 1);
while (fns) {
  Atomics.wait(i32, 0, 0);
  const go = Atomics.exchange(i32, 0, 0);
  if (go < 0) break;
  const args = Array.from(f64.subarray(0, i32[3]));
  try {
    fns[i32[2]](...args);
    i32[4] = 0;
  } catch (error) {
    i32[4] = 1;
  }
  Atomics.store(i32, 1, 1);
  Atomics.notify(i32, 1);
}
`;

interface WorkerSlot {
  worker: Worker;
  control: number;
  stack: number;
  i32: Int32Array;
  f64: Float64Array;
}

/** A worker thread failed to start or trapped while running a kernel. */
export class WasmThreadError extends DuskError {
  constructor(message: string) {
    super("ENGINE_WASM_THREAD", message, { hint: "run with one thread (setThreads(1) / --threads 1) and report the problem" });
  }
}

/** The worker threads of one WebAssembly backend instance. */
export class WasmThreadPool {
  private readonly slots: WorkerSlot[] = [];

  constructor(private readonly shared: WasmShared) {}

  /** Threads in use, the main thread included. */
  get size(): number {
    return this.slots.length + 1;
  }

  /** Starts or stops workers so that `threads` threads (main included) run kernels. Blocks until they are ready. */
  resize(threads: number): void {
    const want = Math.max(1, Math.floor(threads)) - 1;
    while (this.slots.length > want) this.stop(this.slots.pop() as WorkerSlot);
    while (this.slots.length < want) this.slots.push(this.start());
  }

  private start(): WorkerSlot {
    const { memory, module, names } = this.shared;
    const control = this.shared.alloc(CONTROL_BYTES);
    const stack = this.shared.alloc(STACK_BYTES);
    const i32 = new Int32Array(memory.buffer, control, 8).fill(0);
    const f64 = new Float64Array(memory.buffer, control + 32, MAX_ARGS);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, names, control, stackTop: stack + STACK_BYTES } });
    worker.unref();
    const slot = { worker, control, stack, i32, f64 };
    if (Atomics.wait(i32, 1, 0, START_TIMEOUT_MS) === "timed-out" || i32[4] !== 0) {
      this.stop(slot);
      throw new WasmThreadError(`expected a WebAssembly worker thread to start within ${START_TIMEOUT_MS / 1000} s but it ${i32[4] === 2 ? "failed to instantiate the module" : "did not answer"}`);
    }
    return slot;
  }

  private stop(slot: WorkerSlot): void {
    Atomics.store(slot.i32, 0, -1);
    Atomics.notify(slot.i32, 0);
    void slot.worker.terminate();
    this.shared.free(slot.control);
    this.shared.free(slot.stack);
  }

  /**
   * Runs the parts at once: part 0 on the calling thread with `runHere`, part i on worker i - 1.
   * There must be at most {@link size} parts.
   */
  run(parts: readonly Part[], runHere: (part: Part) => void): void {
    if (parts.length > this.size) throw new WasmThreadError(`expected at most ${this.size} parts for the threads but got ${parts.length}`);
    for (let i = 1; i < parts.length; i++) {
      const slot = this.slots[i - 1] as WorkerSlot;
      const [fn, args] = parts[i] as Part;
      slot.f64.set(args);
      slot.i32[2] = fn;
      slot.i32[3] = args.length;
      Atomics.store(slot.i32, 1, 0);
      Atomics.store(slot.i32, 0, 1);
      Atomics.notify(slot.i32, 0);
    }
    let failure: Error | undefined;
    try {
      runHere(parts[0] as Part);
    } catch (error) {
      failure = error instanceof Error ? error : new WasmThreadError(`expected a WebAssembly kernel to finish but it threw ${String(error)}`);
    }
    for (let i = 1; i < parts.length; i++) {
      const slot = this.slots[i - 1] as WorkerSlot;
      while (Atomics.load(slot.i32, 1) === 0) Atomics.wait(slot.i32, 1, 0);
      if (slot.i32[4] !== 0) failure ??= new WasmThreadError(`expected a WebAssembly kernel (${this.shared.names[slot.i32[2] as number]}) to finish on a worker thread but it trapped`);
    }
    if (failure !== undefined) throw failure;
  }
}

/**
 * Splits [0, total) into at most `threads` ranges whose starts are multiples of `align`, each at least `minimum`
 * long (fewer ranges when total is small). Returns [start, count] pairs.
 */
export function splitRange(total: number, threads: number, align: number, minimum: number): [number, number][] {
  const parts = Math.max(1, Math.min(threads, Math.floor(total / Math.max(minimum, 1))));
  if (parts === 1) return [[0, total]];
  const chunk = Math.ceil(total / parts / align) * align;
  const ranges: [number, number][] = [];
  for (let start = 0; start < total; start += chunk) ranges.push([start, Math.min(chunk, total - start)]);
  return ranges;
}
