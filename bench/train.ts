// bench/train: training tokens per second of dusk's engine (native backend, then WebAssembly) against PyTorch
// (Debian's python3-torch, bench/train_torch.py: the same architecture written plainly) on the model:
// 4 layers, hidden 256, 4 heads, 2 KV heads, FFN 688, vocab 4096, untied head, sequence 128, batch 8 (≈5M
// parameters), AdamW + clipping, random tokens. Runs are interleaved (native, wasm, torch, repeated); prints each
// run and the medians and ratios. Usage: npx vite-node bench/train.ts [runs=3] [steps=10] [warmup=2]
// Env: THREADS (default 2), PYTHON (default /usr/bin/python3), SKIP=wasm,torch to leave systems out.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LlamaConfig } from "../src/arch/index.js";
import { AdamW, Rng, createModel, isBackendAvailable, lrSchedule, trainStep, type BackendName } from "../src/engine/index.js";

const runs = Number(process.argv[2] ?? 3);
const steps = Number(process.argv[3] ?? 10);
const warmup = Number(process.argv[4] ?? 2);
const threads = Number(process.env.THREADS ?? 2);
const python = process.env.PYTHON ?? "/usr/bin/python3";
const skip = new Set((process.env.SKIP ?? "").split(",").filter(Boolean));
const B = 8, T = 128;
const CONFIG: LlamaConfig = { layers: 4, hidden: 256, heads: 4, kvHeads: 2, ffn: 688, vocab: 4096, context: 128, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false };

/** Tokens per second of `steps` timed training steps on a backend (after `warmup` untimed ones). */
function dusk(backend: BackendName): number {
  const model = createModel(CONFIG, { seed: 0, backend });
  model.kernels.setThreads(threads);
  const optimizer = new AdamW(model);
  const rng = new Rng(1);
  const batch = (): { tokens: Int32Array; targets: Int32Array; batchSize: number; seqLen: number } => ({
    tokens: Int32Array.from({ length: B * T }, () => rng.int(CONFIG.vocab)),
    targets: Int32Array.from({ length: B * T }, () => rng.int(CONFIG.vocab)),
    batchSize: B, seqLen: T,
  });
  const total = warmup + steps;
  let started = 0;
  for (let s = 0; s < total; s++) {
    if (s === warmup) started = performance.now();
    const { loss } = trainStep(model, optimizer, [batch()], { lr: lrSchedule({ step: s, lr: 1e-3, totalSteps: total }), maxGradNorm: 1 });
    if (!Number.isFinite(loss)) throw new Error(`dusk ${backend}: loss ${loss}`);
  }
  const seconds = (performance.now() - started) / 1000;
  optimizer.dispose();
  model.dispose();
  return (steps * B * T) / seconds;
}

function torch(): Promise<number> {
  const script = fileURLToPath(new URL("./train_torch.py", import.meta.url));
  return new Promise((done, fail) => {
    execFile(python, [script, String(steps), String(warmup), String(threads), String(B), String(T)], { env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) } }, (error, stdout, stderr) => {
      if (error) return fail(new Error(`${python} ${script}: ${stderr || error.message}`));
      done((JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { tokens_per_second: number }).tokens_per_second);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const systems: [string, () => number | Promise<number>][] = [];
if (!skip.has("native") && isBackendAvailable("native")) systems.push(["dusk native", () => dusk("native")]);
if (!skip.has("wasm")) systems.push(["dusk wasm", () => dusk("wasm")]);
if (!skip.has("torch")) systems.push(["pytorch", torch]);
const results = new Map<string, number[]>(systems.map(([name]) => [name, []]));
console.log(`bench/train: 4 layers, hidden 256, 4/2 heads, FFN 688, vocab 4096, batch ${B} x seq ${T}; ${steps} timed steps after ${warmup}; threads ${threads}; ${runs} runs`);
for (let r = 0; r < runs; r++) {
  for (const [name, run] of systems) {
    const tps = await run();
    results.get(name)!.push(tps);
    console.log(`run ${r + 1}  ${name.padEnd(12)} ${tps.toFixed(0)} tok/s`);
  }
}
const medians = new Map([...results].map(([name, xs]) => [name, median(xs)]));
console.log("\nmedian tokens/s:");
for (const [name, m] of medians) console.log(`  ${name.padEnd(12)} ${m.toFixed(0)}`);
const torchTps = medians.get("pytorch");
if (torchTps !== undefined) {
  for (const [name, m] of medians) if (name !== "pytorch") console.log(`  ${name} / pytorch = ${(m / torchTps).toFixed(2)}x`);
}
