// bench/serve: completion tokens per second of the HTTP server with 1, 4 and 8 concurrent streaming-free clients
// against --parallel 1, 4 and 8. Usage: npx vite-node bench/serve.ts [tokens]
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getSharedLlama } from "../src/infer/index.js";
import { createServer } from "../src/serve/index.js";
import { makeTinyModel } from "../src/tiny/index.js";

const tokens = Number(process.argv[2] ?? 64);
const threads = Number(process.env.THREADS ?? 2);
const dir = await mkdtemp(join(tmpdir(), "dusk-bench-serve-"));
const tiny = await makeTinyModel({ output: join(dir, "bench.gguf"), type: "F32", layers: 8, hidden: 256, heads: 8, kvHeads: 4 });
const llama = await getSharedLlama(false);
const rows: { parallel: number; clients: number; tokensPerSecond: number }[] = [];
for (const parallel of [1, 4, 8]) {
  const server = await createServer({ models: [{ name: "bench", path: tiny.path }], parallel, port: 0, contextSize: 256, threads, gpuLayers: 0, llama });
  for (const clients of [1, 4, 8]) {
    const one = async (i: number): Promise<number> => {
      const res = await fetch(`${server.url}/v1/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ model: "bench", prompt: `request ${i} says`, max_tokens: tokens, temperature: 0 }) });
      return ((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens;
    };
    await one(-1);
    const start = performance.now();
    const counts = await Promise.all(Array.from({ length: clients * 2 }, (_, i) => one(i)));
    const seconds = (performance.now() - start) / 1000;
    rows.push({ parallel, clients, tokensPerSecond: +(counts.reduce((s, c) => s + c, 0) / seconds).toFixed(1) });
    console.log(JSON.stringify(rows.at(-1)));
  }
  await server.close();
}
