// The GGUF export of a model trained by `dusk train pretrain`, loaded in node-llama-cpp, gives the engine's
// next-token log-probabilities (every vocabulary token at every position, several prompts; max abs diff ≤ 1e-3).
// This checks the architecture, the rope layout, the checkpoint writer and the exporter together.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertModel } from "../src/convert/index.js";
import { createModel } from "../src/engine/index.js";
import { loadCheckpointWeights, loadTokenizer, pretrain, readCheckpointConfig } from "../src/train/index.js";
import { logProbs, maxAbsDifference } from "./support/convert-check.js";

const PROMPTS = [
  "Call me Ishmael. Some years ago",
  "The whale, the whale!",
  "It was the best of times; 1851, and the sea was grey.",
  "  whitespace\tand\nnewlines  ",
];

let dir: string;
let llama: Llama;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-pretrain-parity-"));
  llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("pretrained model exported to GGUF", () => {
  it("gives node-llama-cpp the engine's next-token log-probabilities", async () => {
    const run = await pretrain({
      output: join(dir, "run"), config: "tiny", sources: ["moby-dick"], cacheDir: join(dir, "cache"), maxSteps: 15, batchSize: 4, seqLen: 32,
      warmup: 2, lr: 3e-3, evalEvery: 0, saveEvery: 0, threads: 1,
    });
    const folder = run.checkpoint!;
    const gguf = join(dir, "model.gguf");
    const summary = await convertModel({ input: folder, output: gguf, type: "F32" });
    expect(summary.permuted).toBeGreaterThan(0);

    const tokenizer = await loadTokenizer(folder);
    const engine = createModel(await readCheckpointConfig(folder), { backend: run.backend === "wasm" ? "wasm" : "native" });
    await loadCheckpointWeights(folder, engine);
    const model = await llama.loadModel({ modelPath: gguf });
    try {
      let worst = 0;
      for (const prompt of PROMPTS) {
        const ids = tokenizer.encode(prompt, { addBos: true });
        expect(ids[0]).toBe(tokenizer.vocab.bosId);
        // llama.cpp tokenizes the prompt the same way (BOS included).
        expect(model.tokenize(prompt).map(Number)).toEqual(ids.slice(1));
        const theirs = await logProbs(model, ids as Token[]);
        const V = engine.config.vocab;
        const ours = engine.logProbs({ tokens: Int32Array.from(ids), batchSize: 1, seqLen: ids.length });
        const rows = Array.from({ length: ids.length }, (_, t) => Float64Array.from(ours.subarray(t * V, (t + 1) * V)));
        const diff = maxAbsDifference(rows, theirs);
        worst = Math.max(worst, diff);
        // The trained model is not uniform: the log-probs spread over several nats.
        const row = rows.at(-1)!;
        expect(Math.max(...row) - Math.min(...row)).toBeGreaterThan(1);
      }
      expect(worst).toBeLessThanOrEqual(1e-3);
    } finally {
      await model.dispose();
      engine.dispose();
    }
  }, 60_000);
});
