// bench/eval: the cost of log-likelihood scoring against plain forward passes over the same tokens, same model, same
// run. Shapes: HellaSwag-like docs (a context and 4 continuations of about 20 tokens) and MMLU-like docs (a fixed
// five-shot block, a question, 4 one-token answers). For each: the llama.cpp scorer, the same forward passes without
// log-softmax (logits at the scored positions, or only at each request's last token), the scorer with no prefix
// sharing (two docs), and node-llama-cpp's probability maps (two docs). Medians of interleaved runs, explicit threads.
// Usage: npx vite-node bench/eval.ts [runs=5] [docs=24]   (THREADS=2; VOCAB=path.gguf another vocabulary, VOCAB= dusk's own)
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openNativeScorer, openScorer, type NativeScorer, type ScoreRequest } from "../src/infer/index.js";
import { makeTinyModel, seededRandom } from "../src/tiny/index.js";

const runs = Number(process.argv[2] ?? 5);
const docs = Number(process.argv[3] ?? 24);
const threads = Number(process.env.THREADS ?? 2);
const vocabFile = process.env.VOCAB ?? resolve(import.meta.dirname, "../../shared/data/gguf/ggml-vocab-llama-spm.gguf");
const vocabFrom = existsSync(vocabFile) ? vocabFile : undefined;

const dir = await mkdtemp(join(tmpdir(), "dusk-bench-eval-"));
const tiny = await makeTinyModel({ output: join(dir, "bench.gguf"), type: "F32", layers: 4, hidden: 256, heads: 4, kvHeads: 2, context: 2048, ...(vocabFrom ? { vocabFrom } : {}) });
const V = tiny.config.vocab;
const random = seededRandom(7);
/** `n` random ordinary token ids (past the control and byte tokens). */
const randomTokens = (n: number): number[] => Array.from({ length: n }, () => 259 + Math.floor(random.uniform() * (V - 259)));
const length = (mean: number): number => mean - 4 + Math.floor(random.uniform() * 9);

function hellaswagDoc(): ScoreRequest[] {
  const context = [1, ...randomTokens(length(60))];
  return Array.from({ length: 4 }, () => ({ tokens: [...context, ...randomTokens(length(20))], from: context.length }));
}
const fewShot = [1, ...randomTokens(600)];
function mmluDoc(): ScoreRequest[] {
  const context = [...fewShot, ...randomTokens(length(80))];
  return Array.from({ length: 4 }, () => ({ tokens: [...context, ...randomTokens(1)], from: context.length }));
}
const shapes = {
  hellaswag: Array.from({ length: docs }, hellaswagDoc),
  mmlu: Array.from({ length: docs }, mmluDoc),
};

const scorer: NativeScorer = await openNativeScorer({ modelPath: tiny.path, threads, contextSize: 2048, parallel: 4 });
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
async function timed(task: () => Promise<unknown>): Promise<number> {
  await scorer.reset(); // every run starts cold: the few-shot block is evaluated once per run, then reused
  const start = performance.now();
  await task();
  return performance.now() - start;
}

type Variant = "score" | "forwardScored" | "forwardLast";
const report: Record<string, unknown>[] = [];
for (const [task, docRequests] of Object.entries(shapes)) {
  const requests = docRequests.flat();
  const scoredTokens = requests.reduce((sum, request) => sum + request.tokens.length - request.from, 0);
  const variants: Record<Variant, () => Promise<unknown>> = {
    score: () => scorer.score(requests),
    forwardScored: () => scorer.forward(requests, "scored"),
    forwardLast: () => scorer.forward(requests, "last"),
  };
  const names = Object.keys(variants) as Variant[];
  const times: Record<Variant, number[]> = { score: [], forwardScored: [], forwardLast: [] };
  for (const name of names) await timed(variants[name]); // warm-up
  for (let run = 0; run < runs; run++) for (const name of names) times[name].push(await timed(variants[name]));
  const before = scorer.stats();
  await timed(variants.score);
  const after = scorer.stats();
  // Without prefix sharing (each request alone, from an empty cache), on the first two docs only.
  const unsharedDocs = docRequests.slice(0, 2).flat();
  const unsharedTimes: number[] = [];
  for (let run = 0; run < Math.min(runs, 3); run++) {
    unsharedTimes.push(
      await timed(async () => {
        for (const request of unsharedDocs) {
          await scorer.reset();
          await scorer.score([request]);
        }
      }),
    );
  }
  const unsharedMs = median(unsharedTimes);
  const ms = { score: median(times.score), forwardScored: median(times.forwardScored), forwardLast: median(times.forwardLast) };
  report.push({
    task,
    docs,
    requests: requests.length,
    scoredTokens,
    tokensIfUnshared: requests.reduce((sum, request) => sum + request.tokens.length, 0),
    evaluatedTokens: after.evaluatedTokens - before.evaluatedTokens,
    reusedTokens: after.reusedTokens - before.reusedTokens,
    scoreMs: +ms.score.toFixed(1),
    forwardScoredMs: +ms.forwardScored.toFixed(1),
    forwardLastMs: +ms.forwardLast.toFixed(1),
    scoreOverForwardScored: +(ms.score / ms.forwardScored).toFixed(3),
    scoreOverForwardLast: +(ms.score / ms.forwardLast).toFixed(3),
    msPerScoredToken: +(ms.score / scoredTokens).toFixed(4),
    softmaxMsPerScoredToken: +((after.softmaxMs - before.softmaxMs) / scoredTokens).toFixed(4),
    docsPerSecond: +((docs * 1000) / ms.score).toFixed(1),
    unsharedDocsPerSecond: +((2 * 1000) / unsharedMs).toFixed(1),
  });
}

// node-llama-cpp's probability maps (the fallback), on the first two HellaSwag docs only: it is slow.
const fallback = await openScorer({ modelPath: tiny.path, threads, contextSize: 2048, backend: "node-llama-cpp" });
const few = shapes.hellaswag.slice(0, 2).flat();
const fewScored = few.reduce((sum, request) => sum + request.tokens.length - request.from, 0);
await fallback.score(few.slice(0, 1)); // warm-up
const fallbackTimes: number[] = [];
for (let run = 0; run < Math.min(runs, 3); run++) {
  await fallback.reset();
  const start = performance.now();
  await fallback.score(few);
  fallbackTimes.push(performance.now() - start);
}
await fallback.close();

const model = `tiny F32 Llama, 4 layers, hidden 256, vocab ${V}${vocabFrom ? " (llama SPM)" : " (dusk's own)"}`;
console.log(JSON.stringify({ model, threads, runs, loadAverage: loadavg().map((load) => +load.toFixed(1)), tasks: report, nodeLlamaCpp: { scoredTokens: fewScored, msPerScoredToken: +(median(fallbackTimes) / fewScored).toFixed(3) } }, null, 2));
await scorer.close();
await rm(dir, { recursive: true, force: true });
