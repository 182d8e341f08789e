// The in-process backend (node-llama-cpp through src/infer) on a tiny generated F32 model: span log-likelihoods
// and greedy flags equal src/infer's independent whole-prompt scoring, generation stops at the stop strings, and
// `evaluate` runs fixture tasks end to end keyed by the model file's sha256.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessBackend, evaluate, type Backend } from "../../src/eval/index.js";
import { loadModel, scorePrompt, type InferenceModel } from "../../src/infer/index.js";
import { makeTinyModel } from "../../src/tiny/index.js";
import { writeFixtureDataDir } from "./fixtures.js";

const root = mkdtempSync(join(tmpdir(), "dusk-eval-inproc-"));
let modelPath = "";
let backend: Backend;
let reference: InferenceModel;

beforeAll(async () => {
  modelPath = (await makeTinyModel({ output: join(root, "tiny.gguf"), type: "F32", layers: 2, context: 512 })).path;
  backend = await createInProcessBackend({ modelPath, threads: 1, contextLength: 512 });
  reference = await loadModel(modelPath, { contextSize: 512, threads: 1, gpuLayers: 0, gpu: false, kvCacheType: "F32" });
});

afterAll(async () => {
  await backend?.close();
  await reference?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe("in-process backend", () => {
  it("scores spans like src/infer's whole-prompt scoring, within 1e-4 nats", async () => {
    const tokens = await backend.tokenize("The quick brown fox jumps over the lazy dog. Answer: B");
    const full = await scorePrompt(reference, tokens as Token[], { addBos: false, topLogprobs: 1 });
    for (const cut of [1, 5, tokens.length - 2]) {
      const [result] = await backend.loglikelihood([{ context: tokens.slice(0, cut), continuation: tokens.slice(cut) }]);
      const expected = full.logprobs.slice(cut).reduce((sum: number, lp) => sum + (lp ?? Number.NaN), 0);
      expect(result!.logprob).toBeCloseTo(expected, 4);
      const greedy = full.top.slice(cut).every((top, i) => top?.[0]?.token === tokens[cut + i]);
      expect(result!.isGreedy).toBe(greedy);
    }
  });

  it("reuses a shared prefix between spans of one call without changing the results", async () => {
    const context = await backend.tokenize("Question: which animal barks?\nAnswer:");
    const other = await backend.tokenize("A different context entirely.");
    const built = await Promise.all([" dog", " cat", " owl"].map(async (text) => ({ context, continuation: await backend.tokenize(text) })));
    const all = [...built, { context: other, continuation: built[0]!.continuation }, built[1]!];
    const together = await backend.loglikelihood(all);
    for (const [i, span] of all.entries()) {
      const [alone] = await backend.loglikelihood([span]);
      expect(together[i]!.logprob).toBeCloseTo(alone!.logprob, 4);
      expect(together[i]!.isGreedy).toBe(alone!.isGreedy);
    }
  });

  it("generates greedily and cuts at the stop strings", async () => {
    const context = await backend.tokenize("Question: what is two plus two?\nAnswer:");
    const [free] = await backend.generateUntil([{ context, until: [], maxTokens: 12 }]);
    const [stopped] = await backend.generateUntil([{ context, until: [":", "Question"], maxTokens: 12 }]);
    expect(free!.length).toBeGreaterThan(0);
    expect(stopped!.includes(":")).toBe(false);
    expect(free!.startsWith(stopped!)).toBe(true);
  });

  it("runs dusk eval's library path on fixture tasks, keyed by the file's sha256", async () => {
    const dataDir = join(root, "data");
    writeFixtureDataDir(dataDir);
    const output = join(root, "results.json");
    const report = await evaluate({ model: modelPath, tasks: "winogrande,gsm8k", dataDir, limit: 2, threads: 1, storePath: join(root, "store.sqlite"), output, progress: false });
    const json = JSON.parse(readFileSync(output, "utf8")) as { config: { model_sha256: string }; results: Record<string, Record<string, number>> };
    expect(json.config.model_sha256).toBe(createHash("sha256").update(readFileSync(modelPath)).digest("hex"));
    expect(Object.keys(json.results)).toEqual(["winogrande", "gsm8k"]);
    expect(report.computed).toBe(2 * 2 + 2);
  });
});
