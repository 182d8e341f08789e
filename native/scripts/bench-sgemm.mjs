#!/usr/bin/env node
// Measures sgemm GFLOP/s of both engine backends on the matrix shapes of the benchmark model (hidden 256,
// FFN 688, vocabulary 4096, 8 x 128 tokens): the native addon at 1 and 2 BLAS threads, and the WebAssembly module on
// one thread (read from the committed src/engine/wasm-module.ts). Usage: node native/scripts/bench-sgemm.mjs [seconds]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const seconds = Number(process.argv[2] ?? 1);
// [M, N, K, transA, transB, what]
const shapes = [
  [1024, 512, 256, 0, 1, "qkv = x Wqkv^T"],
  [1024, 688, 256, 0, 1, "gate = x Wg^T"],
  [1024, 256, 688, 0, 1, "out = h Wd^T"],
  [1024, 4096, 256, 0, 1, "logits = x Wout^T"],
  [688, 256, 1024, 1, 0, "dWg = dg^T x"],
  [1024, 256, 4096, 0, 0, "dx = dlogits Wout"],
];

const source = readFileSync(path.join(root, "src/engine/wasm-module.ts"), "utf8");
const field = (name) => source.match(new RegExp(`export const ${name} = "?([^";]*)"?;`))[1];
const memory = new WebAssembly.Memory({ initial: Number(field("WASM_INITIAL_PAGES")), maximum: 65536, shared: true });
const wasm = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(field("WASM_BASE64"), "base64")), { env: { memory } }).exports;
let top = Math.ceil(wasm.__heap_base.value / 64) * 64;
const walloc = (n) => {
  const end = top + n * 4;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const array = new Float32Array(memory.buffer, top, n);
  top = Math.ceil(end / 64) * 64;
  return array;
};

let native;
try {
  native = createRequire(import.meta.url)(path.join(root, "native/build/Release/dusk_native.node"));
} catch {
  console.log("native addon not built (npm run build:native): measuring WebAssembly only");
}

/** The best rate over 5 windows of seconds/5 each: on a shared machine the best window is the least disturbed one. */
function measure(run, flops) {
  run();
  let best = 0;
  for (let window = 0; window < 5; window++) {
    const start = performance.now();
    let reps = 0;
    while (performance.now() - start < (seconds * 1000) / 5) {
      run();
      reps++;
    }
    best = Math.max(best, (flops * reps) / ((performance.now() - start) / 1000) / 1e9);
  }
  return best;
}

const rows = [];
for (const [M, N, K, ta, tb, what] of shapes) {
  const [lda, ldb] = [ta ? M : K, tb ? K : N];
  const A = walloc(M * K).map((_, i) => Math.sin(i));
  const B = walloc(K * N).map((_, i) => Math.cos(i));
  const Aw = walloc(M * K), Bw = walloc(K * N), Cw = walloc(M * N);
  Aw.set(A);
  Bw.set(B);
  const flops = 2 * M * N * K;
  const row = { shape: `${M}x${N}x${K}${ta ? " A^T" : ""}${tb ? " B^T" : ""}`, what };
  row.wasm1 = measure(() => wasm.dusk_sgemm(ta, tb, M, N, K, 1, Aw.byteOffset, lda, Bw.byteOffset, ldb, 0, Cw.byteOffset, N), flops);
  if (native) {
    const C = new Float32Array(M * N);
    for (const threads of [1, 2]) {
      native.setThreads(threads);
      row[`native${threads}`] = measure(() => native.sgemm(ta, tb, M, N, K, 1, A, lda, B, ldb, 0, C, N), flops);
    }
  }
  rows.push(row);
}
console.log(`GFLOP/s (wall clock, best of 5 windows; load average ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ")})`);
console.log(["shape".padEnd(24), "what".padEnd(20), "wasm 1t", "native 1t", "native 2t"].join("  "));
for (const r of rows) {
  console.log([r.shape.padEnd(24), r.what.padEnd(20), r.wasm1.toFixed(1).padStart(7), (r.native1?.toFixed(1) ?? "-").padStart(9), (r.native2?.toFixed(1) ?? "-").padStart(9)].join("  "));
}
