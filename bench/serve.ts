// bench/serve: completion tokens per second of the HTTP server with 1, 4 and 8 concurrent streaming-free clients
// against --parallel 1, 4 and 8; then dusk's decode batching (one sequence per batch except single-token steps, see
// src/infer/batching.ts) against node-llama-cpp's default "maximumParallelism" (which mixes sequences and gives wrong
// logits) at --parallel 4 with 4 clients, alternating, median of ROUNDS. Usage: npx vite-node bench/serve.ts [tokens]
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONTEXT_BATCHING } from "../src/infer/batching.js";
import { getSharedLlama } from "../src/infer/index.js";
import { createServer } from "../src/serve/index.js";
import { makeTinyModel } from "../src/tiny/index.js";

const tokens = Number(process.argv[2] ?? 64);
const threads = Number(process.env.THREADS ?? 2);
const rounds = Number(process.env.ROUNDS ?? 5);
const dir = await mkdtemp(join(tmpdir(), "dusk-bench-serve-"));
const tiny = await makeTinyModel({ output: join(dir, "bench.gguf"), type: "F32", layers: 8, hidden: 256, heads: 8, kvHeads: 4 });
const llama = await getSharedLlama(false);

/** Tokens per second of 2 × clients completions against a fresh server with `parallel` sequences. */
async function measure(parallel: number, clients: number): Promise<number> {
  const server = await createServer({ models: [{ name: "bench", path: tiny.path }], parallel, port: 0, contextSize: 256, threads, gpuLayers: 0, llama });
  try {
    const one = async (i: number): Promise<number> => {
      const res = await fetch(`${server.url}/v1/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ model: "bench", prompt: `request ${i} says`, max_tokens: tokens, temperature: 0 }) });
      return ((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens;
    };
    await one(-1);
    const start = performance.now();
    const counts = await Promise.all(Array.from({ length: clients * 2 }, (_, i) => one(i)));
    return counts.reduce((s, c) => s + c, 0) / ((performance.now() - start) / 1000);
  } finally {
    await server.close();
  }
}

for (const parallel of [1, 4, 8]) {
  for (const clients of [1, 4, 8]) console.log(JSON.stringify({ parallel, clients, tokensPerSecond: +(await measure(parallel, clients)).toFixed(1) }));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours = CONTEXT_BATCHING.itemPrioritizationStrategy ?? "maximumParallelism";
const samples = { dusk: [] as number[], maximumParallelism: [] as number[] };
for (let round = 0; round < rounds; round++) {
  CONTEXT_BATCHING.itemPrioritizationStrategy = "maximumParallelism";
  samples.maximumParallelism.push(await measure(4, 4));
  CONTEXT_BATCHING.itemPrioritizationStrategy = ours;
  samples.dusk.push(await measure(4, 4));
}
const [a, b] = [median(samples.dusk), median(samples.maximumParallelism)];
console.log(JSON.stringify({ parallel: 4, clients: 4, rounds, dusk: +a.toFixed(1), maximumParallelism: +b.toFixed(1), ratio: +(a / b).toFixed(3) }));
