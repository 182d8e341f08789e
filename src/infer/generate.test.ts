// Generation on a tiny generated F32 model: determinism, limits, stop strings, streaming, grammars, and scoring that
// agrees with the log-probabilities seen while generating.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTinyModel } from "../tiny/index.js";
import { generate, generateTokens, streamTokens, tokenizePrompt, chat } from "./generate.js";
import { loadModel, physicalCores, type InferenceModel } from "./model.js";
import { scorePrompt } from "./score.js";

let dir: string;
let model: InferenceModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-infer-"));
  const tiny = await makeTinyModel({ output: join(dir, "tiny.gguf"), type: "F32", layers: 2 });
  model = await loadModel(tiny.path, { contextSize: 256, threads: 1, gpuLayers: 0, sequences: 2 });
});

afterAll(async () => {
  await model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("generate", () => {
  it("is deterministic at temperature 0 and stops at max tokens with finish_reason length", async () => {
    const a = await generate(model, "the water is", { temperature: 0, maxTokens: 12 });
    const b = await generate(model, "the water is", { temperature: 0, maxTokens: 12 });
    expect(a.object).toBe("text_completion");
    expect(a.choices[0]!.text.length).toBeGreaterThan(0);
    expect(a.choices[0]!.text).toBe(b.choices[0]!.text);
    expect(a.usage.completion_tokens).toBe(12);
    expect(a.choices[0]!.finish_reason).toBe("length");
    expect(a.usage.prompt_tokens).toBe(tokenizePrompt(model, "the water is").length);
    expect(a.usage.total_tokens).toBe(a.usage.prompt_tokens + 12);
  });

  it("same seed, same sample; cuts at a stop string without including it", async () => {
    const a = await generate(model, "once upon", { temperature: 1, seed: 7, maxTokens: 20 });
    const b = await generate(model, "once upon", { temperature: 1, seed: 7, maxTokens: 20 });
    expect(a.choices[0]!.text).toBe(b.choices[0]!.text);
    const full = (await generate(model, "the water is", { temperature: 0, maxTokens: 20 })).choices[0]!.text;
    const stop = full.slice(4, 6);
    const cut = await generate(model, "the water is", { temperature: 0, maxTokens: 20, stop: [stop] });
    expect(cut.choices[0]!.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(cut.choices[0]!.finish_reason).toBe("stop");
  });

  it("streams the same text it returns, and frees its sequence", async () => {
    const tokens = tokenizePrompt(model, "the water is");
    const pieces: string[] = [];
    const stream = streamTokens(model, tokens, { temperature: 0, maxTokens: 10 });
    let step = await stream.next();
    while (!step.done) {
      pieces.push(step.value);
      step = await stream.next();
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(step.value.text);
    expect(model.stats()).toEqual({ sequences: 2, free: 2, busy: 0, waiting: 0 });
  });

  it("follows a JSON schema", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const out = await generate(model, "json:", { temperature: 0, maxTokens: 40, jsonSchema: schema });
    expect(JSON.parse(out.choices[0]!.text)).toHaveProperty("ok");
  });

  it("scores generated tokens with the log-probabilities seen while generating (1e-4)", async () => {
    const prompt = tokenizePrompt(model, "the water is");
    const result = await generateTokens(model, prompt, { temperature: 0, maxTokens: 8, logprobs: 2 });
    expect(result.logprobs).toHaveLength(8);
    const score = await scorePrompt(model, [...prompt, ...result.tokens], { addBos: false, topLogprobs: 2 });
    for (let i = 0; i < 8; i++) {
      expect(score.logprobs[prompt.length + i]).toBeCloseTo(result.logprobs![i]!.logprob, 4);
      expect(result.logprobs![i]!.top[0]!.token).toBe(result.tokens[i]); // greedy: the chosen token is the top one
    }
    expect(score.logprobs[0]).toBeNull();
    expect(score.offsets[0]).toBe(0);
  });

  it("reuses the prompt a sequence already holds (a chat's earlier turns) and generates exactly what a cold sequence does", async () => {
    const first = tokenizePrompt(model, "the sea was calm and the ship sailed on through the long grey morning, and the crew");
    const one = await generateTokens(model, first, { temperature: 0, maxTokens: 12, logprobs: 0 });
    const again = await generateTokens(model, first, { temperature: 0, maxTokens: 12, logprobs: 0 });
    expect(again.cachedTokens).toBe(first.length - 1); // the last prompt token is evaluated again for its distribution
    expect(again.tokens).toEqual(one.tokens);
    // the next turn: the whole first exchange and more text
    const next = [...first, ...one.tokens, ...tokenizePrompt(model, " and then the wind rose", { addBos: false })];
    const warm = await generateTokens(model, next, { temperature: 0, maxTokens: 12, logprobs: 0 });
    expect(warm.cachedTokens).toBeGreaterThanOrEqual(first.length);
    expect(warm.cachedTokens).toBeLessThan(next.length);
    const fresh = await loadModel(model.path, { contextSize: 256, threads: 1, gpuLayers: 0, sequences: 1 });
    try {
      const cold = await generateTokens(fresh, next, { temperature: 0, maxTokens: 12, logprobs: 0 });
      expect(cold.cachedTokens).toBe(0);
      expect(warm.tokens).toEqual(cold.tokens);
      warm.logprobs!.forEach((t, i) => expect(t.logprob, `token ${i}`).toBeCloseTo(cold.logprobs![i]!.logprob, 4));
      // a scorer after those generations gets an empty sequence, not one holding a kept prompt
      const scored = (await scorePrompt(model, next, { addBos: false })).logprobs;
      const reference = (await scorePrompt(fresh, next, { addBos: false })).logprobs;
      scored.forEach((x, i) => expect(x ?? 0, `position ${i}`).toBeCloseTo(reference[i] ?? 0, 4));
    } finally {
      await fresh.dispose();
    }
    expect(model.stats()).toEqual({ sequences: 2, free: 2, busy: 0, waiting: 0 });
  });

  it("answers a chat with a chat.completion object and rejects bad options", async () => {
    const out = await chat(model, [{ role: "user", content: "hi" }], { template: "solar", temperature: 0, maxTokens: 5 });
    expect(out.object).toBe("chat.completion");
    expect(out.choices[0]!.message.role).toBe("assistant");
    expect(out.usage.prompt_tokens).toBe(tokenizePrompt(model, "### User:\nhi\n\n### Assistant:\n", { specialTokens: true }).length);
    await expect(generate(model, "x", { temperature: -1 })).rejects.toThrow(/temperature/);
    await expect(generate(model, "x ".repeat(400))).rejects.toThrow(/fewer than 256 tokens/);
    expect(physicalCores()).toBeGreaterThan(0);
  });
});
