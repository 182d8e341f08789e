// Greedy decoding on the engine: prompts of different lengths decoded together (right-padded) give exactly what
// each gives alone, every token is the argmax of a full forward pass, and stop ids and stop conditions end a sequence.
import { describe, expect, it } from "vitest";
import type { LlamaConfig } from "../../arch/index.js";
import { createModel } from "../../engine/index.js";
import { greedyGenerate } from "./generate.js";

const CONFIG: LlamaConfig = { layers: 2, hidden: 16, heads: 4, kvHeads: 2, ffn: 24, vocab: 20, context: 48, rmsNormEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: false };

describe("greedyGenerate", () => {
  it("decodes a batch of unequal prompts exactly as each prompt alone, each token the argmax of a forward pass", () => {
    const model = createModel(CONFIG, { seed: 9, initStd: 0.5 });
    try {
      const prompts = [[1, 4, 5], [1, 6, 7, 8, 9, 10, 11], [1]];
      const together = greedyGenerate(model, prompts, { maxNewTokens: 6, padId: 0 });
      const alone = prompts.map((p) => greedyGenerate(model, [p], { maxNewTokens: 6, padId: 0 })[0]);
      expect(together).toEqual(alone);
      expect(together.every((out) => out.length === 6)).toBe(true);
      // The first new token of prompt 1 is the argmax after its last token.
      const prompt = prompts[1] as number[];
      const { logits } = model.forward({ tokens: prompt, batchSize: 1, seqLen: prompt.length });
      const last = Array.from(logits.subarray((prompt.length - 1) * CONFIG.vocab, prompt.length * CONFIG.vocab));
      expect(together[1]?.[0]).toBe(last.indexOf(Math.max(...last)));
    } finally {
      model.dispose();
    }
  });

  it("stops at a stop id (left out of the output), at a stop condition, or at the context length", () => {
    const model = createModel(CONFIG, { seed: 9, initStd: 0.5 });
    try {
      const [free] = greedyGenerate(model, [[1, 4, 5]], { maxNewTokens: 6 });
      const stopId = free?.[2] as number;
      const [stopped] = greedyGenerate(model, [[1, 4, 5]], { maxNewTokens: 6, stopIds: [stopId] });
      expect(stopped).toEqual(free?.slice(0, free.indexOf(stopId)));
      const [two] = greedyGenerate(model, [[1, 4, 5]], { maxNewTokens: 6, stopWhen: (out) => out.length === 2 });
      expect(two).toEqual(free?.slice(0, 2));
      const [full] = greedyGenerate(model, [Array.from({ length: 46 }, (_, i) => (i % 18) + 1)], { maxNewTokens: 10 });
      expect(full).toHaveLength(2);
    } finally {
      model.dispose();
    }
  });
});
