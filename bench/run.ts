// bench/run: decoding tokens per second of dusk's generate path against node-llama-cpp used directly, same model,
// prompt, threads and greedy sampling, interleaved runs, medians of wall-clock and of process CPU time (the CPU
// ratio is the steadier one on a shared machine). Usage: THREADS=1 npx vite-node bench/run.ts [runs] [tokens]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTokens, getSharedLlama, loadModel, tokenizePrompt } from "../src/infer/index.js";
import { makeTinyModel } from "../src/tiny/index.js";

const runs = Number(process.argv[2] ?? 7);
const tokens = Number(process.argv[3] ?? 128);
const threads = Number(process.env.THREADS ?? 2);
const dir = await mkdtemp(join(tmpdir(), "dusk-bench-run-"));
const tiny = await makeTinyModel({ output: join(dir, "bench.gguf"), type: "F32", layers: 8, hidden: 256, heads: 8, kvHeads: 4 });
const llama = await getSharedLlama(false);
const model = await loadModel(tiny.path, { contextSize: 512, threads, gpuLayers: 0, llama });
const prompt = tokenizePrompt(model, "the water is hot and the sky is");

// node-llama-cpp directly: its own model and context, the same evaluate loop a user would write; the context is
// configured as dusk's loadModel configures it on the CPU (flash attention off: see src/infer/model.ts)
const directModel = await llama.loadModel({ modelPath: tiny.path, gpuLayers: 0 });
const directContext = await directModel.createContext({ contextSize: 512, threads, flashAttention: false });
const directSequence = directContext.getSequence();

/** Tokens per second of wall time and per second of this process's CPU time (steadier on a loaded machine). */
interface Rate {
  wall: number;
  cpu: number;
}

async function timed(run: () => Promise<number>): Promise<Rate> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const n = await run();
  const cpu = process.cpuUsage(cpuStart);
  return { wall: n / ((performance.now() - start) / 1000), cpu: n / ((cpu.user + cpu.system) / 1e6) };
}

const direct = (): Promise<Rate> => timed(async () => {
  await directSequence.clearHistory();
  let n = 0;
  for await (const token of directSequence.evaluate([...prompt], { temperature: 0 })) {
    void directModel.detokenize([token]);
    if (++n >= tokens) break;
  }
  return n;
});

const dusk = (): Promise<Rate> => timed(async () => {
  const result = await generateTokens(model, prompt, { temperature: 0, maxTokens: tokens, onText: () => undefined, cachePrompt: false });
  return result.completionTokens;
});

const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
await direct();
await dusk();
const a: Rate[] = [];
const b: Rate[] = [];
for (let i = 0; i < runs; i++) {
  a.push(await direct());
  b.push(await dusk());
}
const wall = { direct: median(a.map((r) => r.wall)), dusk: median(b.map((r) => r.wall)) };
const cpu = { direct: median(a.map((r) => r.cpu)), dusk: median(b.map((r) => r.cpu)) };
console.log(JSON.stringify({
  model: "tiny F32, 8 layers, hidden 256", threads, tokens, runs,
  directTokensPerSecond: +wall.direct.toFixed(1), duskTokensPerSecond: +wall.dusk.toFixed(1), ratio: +(wall.dusk / wall.direct).toFixed(3),
  directTokensPerCpuSecond: +cpu.direct.toFixed(1), duskTokensPerCpuSecond: +cpu.dusk.toFixed(1), cpuRatio: +(cpu.dusk / cpu.direct).toFixed(3),
}));
await directContext.dispose();
await directModel.dispose();
await model.dispose();
await rm(dir, { recursive: true, force: true });
