// bench/chat: a multi-turn chat (as `dusk chat` runs it: the whole history rendered each turn) with prompt caching
// (the sequence keeps the earlier turns, only the new text is read) against the same chat with cachePrompt off, on
// one tiny model, alternating, median wall time of RUNS conversations each.
// Usage: THREADS=2 npx vite-node bench/chat.ts [runs] [turns]
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chat, getSharedLlama, loadModel, type ChatMessage } from "../src/infer/index.js";
import { makeTinyModel } from "../src/tiny/index.js";

const runs = Number(process.argv[2] ?? 5);
const turns = Number(process.argv[3] ?? 8);
const threads = Number(process.env.THREADS ?? 2);
const dir = await mkdtemp(join(tmpdir(), "dusk-bench-chat-"));
const tiny = await makeTinyModel({ output: join(dir, "bench.gguf"), type: "F32", layers: 8, hidden: 256, heads: 8, kvHeads: 4, context: 4096 });
const model = await loadModel(tiny.path, { contextSize: 4096, threads, gpuLayers: 0, llama: await getSharedLlama(false) });
const question = "tell me again about the water, the ships, the long grey morning and what the crew said to the captain";

/** Seconds for one conversation of `turns` user messages, each answered with 16 greedy tokens. */
async function conversation(cachePrompt: boolean): Promise<{ seconds: number; cached: number; prompt: number }> {
  const messages: ChatMessage[] = [{ role: "system", content: "you answer briefly" }];
  let cached = 0, prompt = 0;
  const start = performance.now();
  for (let turn = 0; turn < turns; turn++) {
    messages.push({ role: "user", content: `${question} (${turn})` });
    const out = await chat(model, messages, { template: "solar", temperature: 0, maxTokens: 16, cachePrompt });
    messages.push({ role: "assistant", content: out.choices[0]!.message.content });
    cached += out.usage.prompt_tokens_details?.cached_tokens ?? 0;
    prompt += out.usage.prompt_tokens;
  }
  return { seconds: (performance.now() - start) / 1000, cached, prompt };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
await conversation(true); // warm-up
const times = { cached: [] as number[], uncached: [] as number[] };
let tokens = { cached: 0, prompt: 0 };
for (let run = 0; run < runs; run++) {
  times.uncached.push((await conversation(false)).seconds);
  const warm = await conversation(true);
  times.cached.push(warm.seconds);
  tokens = { cached: warm.cached, prompt: warm.prompt };
}
const [a, b] = [median(times.cached), median(times.uncached)];
console.log(JSON.stringify({ threads, runs, turns, promptTokens: tokens.prompt, cachedTokens: tokens.cached, cachedSeconds: +a.toFixed(3), uncachedSeconds: +b.toFixed(3), speedup: +(b / a).toFixed(2) }));
await model.dispose();
