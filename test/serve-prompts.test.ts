// `dusk serve`'s prompt forms and tokenizer endpoints against in-process inference on the same tiny model: prompts
// as strings, string batches, token ids and token-id batches (echo + logprobs + max_tokens 0 scoring included),
// llama.cpp's /tokenize and /detokenize, and 400s naming the bad field for malformed or out-of-vocabulary prompts.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTokens, getSharedLlama, loadModel, scorePrompt, tokenizePrompt, type InferenceModel } from "../src/infer/index.js";
import { createServer, vocabularySize, type DuskServer } from "../src/serve/index.js";
import { makeTinyModel } from "../src/tiny/index.js";

interface Choice {
  index: number;
  text: string;
  finish_reason: string | null;
  logprobs: { tokens: string[]; token_logprobs: (number | null)[]; top_logprobs: (Record<string, number> | null)[]; text_offset: number[] } | null;
}
interface Completion {
  choices: Choice[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details?: { cached_tokens: number } };
}
interface ApiErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

let dir: string;
let server: DuskServer;
let local: InferenceModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-serve-prompts-"));
  const tiny = await makeTinyModel({ output: join(dir, "tiny.gguf"), type: "F32", layers: 2 });
  const llama = await getSharedLlama(false);
  server = await createServer({ models: [{ name: "tiny", path: tiny.path }], parallel: 2, port: 0, contextSize: 256, threads: 1, gpuLayers: 0, llama });
  local = await loadModel(tiny.path, { contextSize: 256, threads: 1, gpuLayers: 0, llama });
});

afterAll(async () => {
  await server?.close();
  await local?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function post<T>(path: string, body: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
}

const complete = async (body: Record<string, unknown>): Promise<Completion> => {
  const { status, json } = await post<Completion>("/v1/completions", { model: "tiny", temperature: 0, ...body });
  expect(status, JSON.stringify(json).slice(0, 200)).toBe(200);
  return json;
};

describe("/tokenize and /detokenize (llama.cpp's server API)", () => {
  it("tokenizes as the model does, with BOS on add_special, pieces on with_pieces, special text parsed unless told not to", async () => {
    const content = "the water is hot, café";
    const plain = await post<{ tokens: number[] }>("/tokenize", { content });
    expect(plain.json.tokens).toEqual(tokenizePrompt(local, content, { addBos: false, specialTokens: true }));
    const special = await post<{ tokens: number[] }>("/tokenize", { content, add_special: true, model: "tiny" });
    expect(special.json.tokens).toEqual([local.model.tokens.bos, ...plain.json.tokens]);
    const pieces = await post<{ tokens: { id: number; piece: string }[] }>("/tokenize", { content: "the water is hot", with_pieces: true });
    expect(pieces.json.tokens.map((t) => t.id)).toEqual(local.model.tokenize("the water is hot", false));
    expect(pieces.json.tokens.map((t) => t.piece).join("")).toBe("the water is hot");
    expect((await post<{ tokens: number[] }>("/tokenize", { content: "<s>the" })).json.tokens).toEqual([local.model.tokens.bos, ...local.model.tokenize("the", false)]);
    expect((await post<{ tokens: number[] }>("/tokenize", { content: "<s>the", parse_special: false })).json.tokens).toEqual(local.model.tokenize("<s>the", false));
  });

  it("detokenizes back to the text, non-ASCII included", async () => {
    const content = "naïve 日本 🙂 world";
    const { json } = await post<{ tokens: number[] }>("/tokenize", { content });
    expect((await post<{ content: string }>("/detokenize", { tokens: json.tokens })).json.content).toBe(content);
    expect((await post<{ content: string }>("/detokenize", { tokens: [] })).json.content).toBe("");
  });
});

describe("completions prompt forms", () => {
  it("scores a token-id prompt with echo + logprobs + max_tokens 0 exactly as given (no BOS added), first logprob null", async () => {
    const start = [local.model.tokens.bos!, ...local.model.tokenize("the quick brown fox jumps over the lazy dog", false)];
    // greedy continuation tokens: their positions have them as the argmax
    const greedy = await generateTokens(local, start, { temperature: 0, maxTokens: 8 });
    const ids = [...start, ...greedy.tokens];
    const out = await complete({ prompt: ids, max_tokens: 0, echo: true, logprobs: 1 });
    const lp = out.choices[0]!.logprobs!;
    const reference = await scorePrompt(local, ids, { addBos: false, topLogprobs: 1 });
    expect(lp.token_logprobs).toHaveLength(ids.length);
    expect(lp.token_logprobs[0]).toBeNull();
    for (let i = 1; i < ids.length; i++) expect(lp.token_logprobs[i]).toBeCloseTo(reference.logprobs[i]!, 4);
    expect(out.choices[0]!.text).toBe(local.model.detokenize(ids, true));
    expect(lp.tokens.join("")).toBe(out.choices[0]!.text);
    expect(lp.tokens[0]).toBe("<s>");
    // the top alternative is spelled as the token at its position exactly when that token is the argmax
    let matches = 0;
    for (let i = 1; i < ids.length; i++) {
      const [best] = Object.keys(lp.top_logprobs[i]!);
      expect(best === lp.tokens[i], `position ${i}`).toBe(reference.top[i]![0]!.token === ids[i]);
      if (best === lp.tokens[i]) matches++;
    }
    expect(matches).toBeGreaterThanOrEqual(8);
    expect(out.usage).toEqual({ prompt_tokens: ids.length, completion_tokens: 0, total_tokens: ids.length });
    expect(out.choices[0]!.finish_reason).toBe("length");
  });

  it("generates from token ids as from the same text", async () => {
    const text = "the water is";
    const fromText = await complete({ prompt: text, max_tokens: 6 });
    const fromIds = await complete({ prompt: tokenizePrompt(local, text), max_tokens: 6 });
    expect(fromIds.choices[0]!.text).toBe(fromText.choices[0]!.text);
    const { prompt_tokens_details: textDetails, ...textUsage } = fromText.usage;
    const { prompt_tokens_details: idsDetails, ...idsUsage } = fromIds.usage;
    expect(idsUsage).toEqual(textUsage);
    // the second request finds the same prompt kept on a sequence: all but its last token are reused
    expect(textDetails?.cached_tokens).toBeGreaterThanOrEqual(0);
    expect(idsDetails?.cached_tokens).toBe(idsUsage.prompt_tokens - 1);
    // llama-server's cache_prompt: false reads the whole prompt again
    const uncached = await complete({ prompt: text, max_tokens: 6, cache_prompt: false });
    expect(uncached.usage.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(uncached.choices[0]!.text).toBe(fromText.choices[0]!.text);
    const direct = await generateTokens(local, tokenizePrompt(local, text), { temperature: 0, maxTokens: 6 });
    expect(fromIds.choices[0]!.text).toBe(direct.text);
  });

  it("answers a batch of strings or of token-id arrays with one choice per prompt, in order", async () => {
    const texts = ["the water is", "once upon a time", "one two three"];
    const singles = await Promise.all(texts.map((prompt) => complete({ prompt, max_tokens: 5 })));
    const batch = await complete({ prompt: texts, max_tokens: 5 });
    expect(batch.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(batch.choices.map((c) => c.text)).toEqual(singles.map((s) => s.choices[0]!.text));
    expect(batch.usage.prompt_tokens).toBe(singles.reduce((n, s) => n + s.usage.prompt_tokens, 0));
    expect(batch.usage.completion_tokens).toBe(15);

    const ids = texts.map((t) => [local.model.tokens.bos!, ...local.model.tokenize(t, false)]);
    const scored = await complete({ prompt: ids, max_tokens: 0, echo: true, logprobs: 0 });
    expect(scored.choices).toHaveLength(3);
    for (const [i, choice] of scored.choices.entries()) {
      const reference = await scorePrompt(local, ids[i] as Token[], { addBos: false });
      expect(choice.index).toBe(i);
      expect(choice.logprobs!.token_logprobs[0]).toBeNull();
      reference.logprobs.slice(1).forEach((lp, k) => expect(choice.logprobs!.token_logprobs[k + 1]).toBeCloseTo(lp!, 4));
      expect(choice.logprobs!.top_logprobs[1]).toEqual({});
    }
  });

  it("streams a batch as chunks tagged with each prompt's index", async () => {
    const texts = ["the water is", "once upon a time"];
    const plain = await complete({ prompt: texts, max_tokens: 6 });
    const res = await fetch(`${server.url}/v1/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ model: "tiny", prompt: texts, max_tokens: 6, temperature: 0, stream: true, echo: true }) });
    const events = (await res.text()).split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => e.slice(6));
    expect(events.at(-1)).toBe("[DONE]");
    const streamed = ["", ""];
    const finished: (string | null)[] = [null, null];
    for (const event of events.slice(0, -1)) {
      const choice = (JSON.parse(event) as Completion).choices[0]!;
      streamed[choice.index] += choice.text;
      finished[choice.index] = choice.finish_reason ?? finished[choice.index]!;
    }
    expect(streamed).toEqual(plain.choices.map((c, i) => texts[i] + c.text));
    expect(finished).toEqual(["length", "length"]);
  });
});

describe("bad prompts and token ids", () => {
  it("answers 400 naming the field, in OpenAI's error format", async () => {
    const vocab = vocabularySize(local);
    expect(vocab).toBe(local.model.fileInfo.metadata.tokenizer.ggml.tokens.length);
    const cases: [string, unknown, string, RegExp][] = [
      ["/v1/completions", { model: "tiny", prompt: [1, vocab] }, "prompt.1", /below the vocabulary size/],
      ["/v1/completions", { model: "tiny", prompt: [[1, 5], [1, 2, 1e9]] }, "prompt.1.2", /below the vocabulary size/],
      ["/v1/completions", { model: "tiny", prompt: [1, -3] }, "prompt.1", /≥ 0/],
      ["/v1/completions", { model: "tiny", prompt: [1, 2.5] }, "prompt.1", /whole numbers/],
      ["/v1/completions", { model: "tiny", prompt: ["a", 1] }, "prompt.1", /strings/],
      ["/v1/completions", { model: "tiny", prompt: [[1], []] }, "prompt.1", /at least one token/],
      ["/v1/completions", { model: "tiny", prompt: [] }, "prompt", /at least one prompt/],
      ["/v1/completions", { model: "tiny", prompt: Array.from({ length: 1025 }, () => "x") }, "prompt", /at most 1024 prompts/],
      ["/detokenize", { tokens: [1, vocab + 7] }, "tokens.1", /below the vocabulary size/],
      ["/detokenize", { tokens: "1 2" }, "tokens", /./],
      ["/tokenize", { content: 5 }, "content", /./],
    ];
    for (const [path, body, param, message] of cases) {
      const { status, json } = await post<ApiErrorBody>(path, body);
      expect(status, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
      expect(json.error).toMatchObject({ param, type: "invalid_request_error", code: "invalid_value" });
      expect(json.error.message).toMatch(message);
    }
    const unknown = await post<ApiErrorBody>("/tokenize", { content: "x", model: "nope" });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("model_not_found");
    const long = await post<ApiErrorBody>("/v1/completions", { model: "tiny", prompt: [[1, 5], Array.from({ length: 300 }, () => 5)], max_tokens: 1 });
    expect(long.status).toBe(400);
    expect(long.json.error).toMatchObject({ code: "context_length_exceeded", param: "prompt" });
    expect(long.json.error.message).toMatch(/^prompt 1: expected a prompt of fewer than 256 tokens/);
    expect(server.stats().tiny).toMatchObject({ free: 2, busy: 0, inFlight: 0 });
  });
});
