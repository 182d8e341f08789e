// Up-scaled GGUF files in llama.cpp (node-llama-cpp): the m = 8 results of an F32 and a Q4_K tiny model load and
// generate, a split result loads and scores like the single file, and a one-slice identity merge gives the source
// model's next-token log-probabilities (to 1e-5; the same machine and thread count).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upscale } from "../src/merge/index.js";
import { makeTinyModel } from "../src/tiny/index.js";

const PROMPT = "the water is hot and the sound of";
// One thread: with two on a busy 2-core machine, llama.cpp's spinning thread barriers made 8 tokens take 17 s, not 0.1 s.
const THREADS = 1;

let dir: string;
let llama: Llama;
const paths = { f32: "", q4k: "", f32Up: "", q4kUp: "", identity: "", split: "" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-upscale-llama-"));
  llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
  paths.f32 = join(dir, "tiny-F32.gguf");
  paths.q4k = join(dir, "tiny-Q4_K.gguf");
  await makeTinyModel({ output: paths.f32, layers: 32, type: "F32", name: "tiny-f32" });
  await makeTinyModel({ output: paths.q4k, layers: 32, type: "Q4_K", ffn: 256, name: "tiny-q4k" });
  paths.f32Up = join(dir, "up-F32.gguf");
  paths.q4kUp = join(dir, "up-Q4_K.gguf");
  paths.identity = join(dir, "identity-F32.gguf");
  await upscale({ model: paths.f32, m: 8, output: paths.f32Up, progress: false });
  await upscale({ model: paths.q4k, m: 8, output: paths.q4kUp, progress: false });
  await upscale({ model: paths.f32, layers: "0-32", output: paths.identity, progress: false });
  await mkdir(join(dir, "split"));
  const split = await upscale({ model: paths.f32, m: 8, output: join(dir, "split", "up.gguf"), splitMaxBytes: 2_000_000, progress: false });
  paths.split = split.result!.files[0]!;
});

afterAll(async () => {
  await llama?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Loads a model, runs `use` with a fresh context sequence, and frees everything. */
async function withModel<T>(modelPath: string, use: (model: LlamaModel, sequence: LlamaContextSequence) => Promise<T>): Promise<T> {
  const model = await llama.loadModel({ modelPath });
  try {
    const context = await model.createContext({ contextSize: 128, threads: THREADS });
    try {
      return await use(model, context.getSequence());
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/** The prompt's tokens with BOS first (node-llama-cpp does not add it). */
function promptTokens(model: LlamaModel): Token[] {
  return [model.tokens.bos!, ...model.tokenize(PROMPT)];
}

/** Greedy generation of `count` tokens after the prompt (not stopping at end of text), with the model's layer count. */
async function generate(modelPath: string, count: number): Promise<{ tokens: Token[]; layers: number | undefined; vocab: number }> {
  return withModel(modelPath, async (model, sequence) => {
    const tokens: Token[] = [];
    for await (const token of sequence.evaluate(promptTokens(model), { temperature: 0 })) {
      tokens.push(token);
      if (tokens.length >= count) break;
    }
    const metadata = model.fileInfo.metadata as { llama?: { block_count?: number }; tokenizer: { ggml: { tokens: readonly string[] } } };
    return { tokens, layers: metadata.llama?.block_count, vocab: metadata.tokenizer.ggml.tokens.length };
  });
}

/** Log-probabilities of every vocabulary token as the next token, at each position of the prompt. */
async function nextTokenLogProbs(modelPath: string): Promise<Float64Array[]> {
  return withModel(modelPath, async (model, sequence) => {
    const input = promptTokens(model).map((token) => [token, { generateNext: { probabilities: true } }] as [Token, { generateNext: { probabilities: boolean } }]);
    const results = await sequence.controlledEvaluate(input);
    return results.map((result, position) => {
      const probabilities = result?.next.probabilities;
      if (!probabilities) throw new Error(`no probabilities at position ${position}`);
      const logs = new Float64Array(Math.max(...probabilities.keys()) + 1).fill(Number.NaN);
      for (const [token, p] of probabilities) logs[token] = Math.log(p);
      return logs;
    });
  });
}

function maxAbsDifference(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  a.forEach((row, position) => {
    const other = b[position]!;
    expect(row.length).toBe(other.length);
    for (let i = 0; i < row.length; i++) {
      expect(Number.isFinite(row[i]!), `log p(token ${i}) at position ${position}`).toBe(true);
      max = Math.max(max, Math.abs(row[i]! - other[i]!));
    }
  });
  return max;
}

describe("up-scaled GGUF in llama.cpp", () => {
  for (const [label, key] of [["F32", "f32Up"], ["Q4_K", "q4kUp"]] as const) {
    it(`loads the 48-layer ${label} result and generates 8 tokens`, async () => {
      const { tokens, layers, vocab } = await generate(paths[key], 8);
      expect(layers).toBe(48);
      expect(tokens).toHaveLength(8);
      for (const token of tokens) expect(token).toBeLessThan(vocab);
    });
  }

  it("loads the split result and scores exactly like the single file", async () => {
    expect(paths.split).toMatch(/-00001-of-000\d\d\.gguf$/);
    const [single, split] = [await nextTokenLogProbs(paths.f32Up), await nextTokenLogProbs(paths.split)];
    expect(maxAbsDifference(single, split)).toBe(0);
  });

  it("gives the source model's next-token log-probabilities after a one-slice identity merge (< 1e-5)", async () => {
    const source = await nextTokenLogProbs(paths.f32);
    const identity = await nextTokenLogProbs(paths.identity);
    expect(source.length).toBeGreaterThan(4);
    expect(maxAbsDifference(source, identity)).toBeLessThan(1e-5);
    // The comparison can tell models apart: the 48-layer stack scores differently.
    expect(maxAbsDifference(source, await nextTokenLogProbs(paths.f32Up))).toBeGreaterThan(1e-3);
  });
});
