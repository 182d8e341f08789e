// The in-process backend's log-likelihoods against an independent teacher-forced computation: the same F32 weights
// loaded into dusk's own training engine (a forward written in TypeScript and C, not llama.cpp), within 1e-3 nats.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModel } from "../../src/engine/index.js";
import { createInProcessBackend, type TokenSpan } from "../../src/eval/index.js";
import { dequantize, openGguf } from "../../src/formats/index.js";
import { makeTinyModel, type TinyModel } from "../../src/tiny/index.js";

let dir: string;
let tiny: TinyModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-eval-ref-"));
  tiny = await makeTinyModel({ output: join(dir, "tiny.gguf"), layers: 2, hidden: 64, heads: 4, kvHeads: 2, seed: 7 });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** log p(continuation | context) from the engine: one forward over context + continuation. */
async function engineLoglikelihood(span: TokenSpan): Promise<{ logprob: number; isGreedy: boolean }> {
  const model = createModel(tiny.config, { seed: 0, backend: "wasm" });
  const file = await openGguf(tiny.path);
  try {
    for (const tensor of file.tensors) {
      const count = tensor.shape.reduce((a, b) => a * b, 1);
      model.setTensor(tensor.name, dequantize(await file.readTensor(tensor.name), "F32", count), { layout: "gguf" });
    }
  } finally {
    await file.close();
  }
  const tokens = [...span.context, ...span.continuation];
  const input = Int32Array.from(tokens.slice(0, -1));
  const logProbs = model.logProbs({ tokens: input, batchSize: 1, seqLen: input.length });
  const vocab = tiny.config.vocab;
  let logprob = 0;
  let isGreedy = true;
  for (let i = span.context.length; i < tokens.length; i++) {
    const row = logProbs.subarray((i - 1) * vocab, i * vocab);
    const target = tokens[i]!;
    logprob += row[target]!;
    for (let v = 0; v < vocab; v++) if (row[v]! > row[target]!) isGreedy = false;
  }
  model.dispose();
  return { logprob, isGreedy };
}

describe("in-process eval backend against dusk's engine", () => {
  it("gives the same continuation log-likelihoods within 1e-3 nats", async () => {
    const backend = await createInProcessBackend({ modelPath: tiny.path, threads: 1, contextLength: 256 });
    try {
      const encode = (text: string): Promise<number[]> => backend.tokenize(text);
      const bos = backend.bosToken!;
      const pairs: [string, string][] = [
        ["the water is", " hot"],
        ["what is the answer to the question", " of the day and the night"],
        ["### User:\nhow long is the line", "\n\n### Assistant:\nmany"],
      ];
      const spans: TokenSpan[] = [];
      for (const [context, continuation] of pairs) spans.push({ context: [bos, ...(await encode(context))], continuation: await encode(continuation) });
      const results = await backend.loglikelihood(spans);
      for (const [i, span] of spans.entries()) {
        const reference = await engineLoglikelihood(span);
        expect(Math.abs(results[i]!.logprob - reference.logprob)).toBeLessThan(1e-3);
        expect(results[i]!.isGreedy).toBe(reference.isGreedy);
      }
      // The comparison can fail: a different continuation scores differently.
      const other = await engineLoglikelihood({ context: spans[0]!.context, continuation: await encode(" cold") });
      expect(Math.abs(results[0]!.logprob - other.logprob)).toBeGreaterThan(1e-3);
    } finally {
      await backend.close();
    }
  });
});
