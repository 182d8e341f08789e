// bench/run: decoding tokens per second of dusk's generate path against node-llama-cpp used directly, same model,
// prompt, threads and greedy sampling, interleaved runs, medians. Usage: npx vite-node bench/run.ts [runs] [tokens]
import { mkdtemp } from "node:fs/promises";
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

// node-llama-cpp directly: its own model and context, the same evaluate loop a user would write
const directModel = await llama.loadModel({ modelPath: tiny.path, gpuLayers: 0 });
const directContext = await directModel.createContext({ contextSize: 512, threads });
const directSequence = directContext.getSequence();

async function direct(): Promise<number> {
  await directSequence.clearHistory();
  const start = performance.now();
  let n = 0;
  for await (const token of directSequence.evaluate([...prompt], { temperature: 0 })) {
    void directModel.detokenize([token]);
    if (++n >= tokens) break;
  }
  return n / ((performance.now() - start) / 1000);
}

async function dusk(): Promise<number> {
  const start = performance.now();
  const result = await generateTokens(model, prompt, { temperature: 0, maxTokens: tokens, onText: () => undefined });
  return result.completionTokens / ((performance.now() - start) / 1000);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
await direct();
await dusk();
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < runs; i++) {
  a.push(await direct());
  b.push(await dusk());
}
const ratio = median(b) / median(a);
console.log(JSON.stringify({ model: "tiny F32, 8 layers, hidden 256", threads, tokens, runs, directTokensPerSecond: +median(a).toFixed(1), duskTokensPerSecond: +median(b).toFixed(1), ratio: +ratio.toFixed(3) }));
await directContext.dispose();
await directModel.dispose();
await model.dispose();
