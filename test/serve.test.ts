// End-to-end tests of `dusk serve`'s library server driven by the official openai client: chat, streaming, completions,
// echo+logprobs scoring checked against in-process scoring, errors, bad input, and 16 concurrent streams on 4 sequences.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSharedLlama, loadModel, scorePrompt, type InferenceModel } from "../src/infer/index.js";
import { ListenError, createServer, type DuskServer } from "../src/serve/index.js";
import { makeTinyModel } from "../src/tiny/index.js";

const KEY = "test-key";
let dir: string;
let server: DuskServer;
let client: OpenAI;
let local: InferenceModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-serve-"));
  const f32 = await makeTinyModel({ output: join(dir, "tiny.gguf"), type: "F32", layers: 2 });
  const q8 = await makeTinyModel({ output: join(dir, "tiny-q8.gguf"), type: "Q8_0", layers: 2 });
  const llama = await getSharedLlama(false);
  server = await createServer({ models: [{ name: "tiny", path: f32.path }, { name: "tiny-q8", path: q8.path }], parallel: 4, queueLimit: 16, port: 0, apiKey: KEY, bodyLimit: 64 * 1024, contextSize: 256, threads: 1, gpuLayers: 0, template: "solar", llama });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
  local = await loadModel(f32.path, { contextSize: 256, threads: 1, gpuLayers: 0, llama });
});

afterAll(async () => {
  await server?.close();
  await local?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function post(path: string, body: string, headers: Record<string, string> = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" }): Promise<{ status: number; json: { error: { message: string; type: string; param: string | null; code: string } }; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers, body });
  return { status: res.status, json: (await res.json()) as never, headers: res.headers };
}

describe("serve with the openai client", () => {
  it("lists models and answers /health", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["tiny", "tiny-q8"]);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });

  it("chat: streaming gives the same text as a plain request, on both models", async () => {
    for (const model of ["tiny", "tiny-q8"]) {
      const plain = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hello" }], temperature: 0, max_tokens: 10 });
      expect(plain.object).toBe("chat.completion");
      expect(plain.choices[0]!.finish_reason).toBe("length");
      expect(plain.usage?.completion_tokens).toBe(10);
      const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hello" }], temperature: 0, max_tokens: 10, stream: true });
      let text = "";
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(text).toBe(plain.choices[0]!.message.content);
      expect(finish).toBe("length");
    }
  });

  it("a chat's next turn reuses the earlier turns a sequence holds (usage.prompt_tokens_details.cached_tokens)", async () => {
    const first = [{ role: "user" as const, content: "tell me about the sea and the ships on it" }];
    const one = await client.chat.completions.create({ model: "tiny", messages: first, temperature: 0, max_tokens: 8 });
    const answer = one.choices[0]!.message.content ?? "";
    const second = await client.chat.completions.create({ model: "tiny", messages: [...first, { role: "assistant", content: answer }, { role: "user", content: "and the wind?" }], temperature: 0, max_tokens: 8 });
    // at least the first turn's prompt (solar template) is kept; the answer re-tokenized may differ from the generated tokens
    const firstPrompt = one.usage!.prompt_tokens;
    expect(second.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(firstPrompt);
    expect(second.usage?.prompt_tokens_details?.cached_tokens).toBeLessThan(second.usage!.prompt_tokens);
  });

  it("completions with logprobs, and echo + max_tokens 0 scoring matches in-process scoring (1e-4)", async () => {
    const out = await client.completions.create({ model: "tiny", prompt: "the water is", max_tokens: 6, temperature: 0, logprobs: 3 });
    expect(out.choices[0]!.logprobs!.tokens).toHaveLength(6);
    expect(out.choices[0]!.logprobs!.tokens!.join("")).toBe(out.choices[0]!.text);
    const prompt = "the quick brown fox jumps over the lazy dog";
    const scored = await client.completions.create({ model: "tiny", prompt, max_tokens: 0, echo: true, logprobs: 1 });
    const lp = scored.choices[0]!.logprobs!;
    expect(scored.choices[0]!.text).toBe(prompt);
    const reference = await scorePrompt(local, prompt, { topLogprobs: 1 });
    expect(lp.tokens).toEqual(reference.pieces);
    expect(lp.token_logprobs![0]).toBeNull();
    for (let i = 1; i < reference.logprobs.length; i++) expect(lp.token_logprobs![i]).toBeCloseTo(reference.logprobs[i]!, 4);
    expect(lp.text_offset).toEqual(reference.offsets);
    expect(lp.tokens!.join("")).toBe(prompt);
  });

  it("answers errors the OpenAI way: 404, 401, 400, 413", async () => {
    await expect(client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({ status: 404 });
    const anonymous = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "wrong", maxRetries: 0 });
    await expect(anonymous.models.list()).rejects.toMatchObject({ status: 401 });
    const bad = await post("/v1/chat/completions", "{not json");
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: "invalid_json", type: "invalid_request_error" });
    expect((await post("/v1/completions", "x".repeat(70 * 1024))).status).toBe(413);
  });

  it("rejects bad input on every endpoint with 400 naming the field", async () => {
    const cases: [string, unknown, string][] = [
      ["/v1/completions", { model: "tiny", prompt: 42 }, "prompt"],
      ["/v1/completions", { model: "tiny", prompt: "x", max_tokens: 1e12 }, "max_tokens"],
      ["/v1/completions", { model: "tiny", prompt: "x", max_tokens: -1 }, "max_tokens"],
      ["/v1/completions", { model: "tiny", prompt: "x", temperature: "hot" }, "temperature"],
      ["/v1/completions", { model: "tiny", prompt: "x", stop: Array.from({ length: 5000 }, (_, i) => `s${i}`) }, "stop"],
      ["/v1/completions", { model: "tiny", prompt: "x", logprobs: 500 }, "logprobs"],
      ["/v1/chat/completions", { model: "tiny", messages: "hi" }, "messages"],
      ["/v1/chat/completions", { model: "tiny", messages: [{ role: "robot", content: "x" }] }, "messages.0.role"],
      ["/v1/chat/completions", { model: "tiny", messages: [{ role: "user", content: "x" }], top_p: 7 }, "top_p"],
      ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }] }, "model"],
      ["/v1/chat/completions", [1, 2, 3], ""],
    ];
    for (const [path, body, param] of cases) {
      const res = await post(path, JSON.stringify(body));
      expect(res.status, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
      expect(res.json.error.param ?? "").toBe(param);
    }
    const overflow = await post("/v1/completions", JSON.stringify({ model: "tiny", prompt: "x ".repeat(600) }));
    expect(overflow.status).toBe(400);
    expect(overflow.json.error.code).toBe("context_length_exceeded");
    expect((await post("/v1/completions", "{}", { "Content-Type": "application/json" })).status).toBe(401);
    expect((await fetch(`${server.url}/v1/models`, { headers: { Authorization: `Bearer ${KEY}` }, method: "DELETE" })).status).toBe(405);
    expect((await fetch(`${server.url}/v2/other`, { headers: { Authorization: `Bearer ${KEY}` } })).status).toBe(404);
  });

  it("16 concurrent streams on parallel 4 each get exactly their own completion, and disconnects free sequences", async () => {
    const prompts = Array.from({ length: 16 }, (_, i) => `story number ${i} begins`);
    const reference: string[] = [];
    for (const prompt of prompts) reference.push((await client.completions.create({ model: "tiny", prompt, max_tokens: 8, temperature: 0 })).choices[0]!.text);
    const texts = await Promise.all(prompts.map(async (prompt) => {
      const stream = await client.completions.create({ model: "tiny", prompt, max_tokens: 8, temperature: 0, stream: true });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
      return text;
    }));
    expect(texts).toEqual(reference);
    // clients that go away mid-stream
    await Promise.all(Array.from({ length: 6 }, async (_, i) => {
      const controller = new AbortController();
      const stream = await client.completions.create({ model: "tiny", prompt: `long ${i}`, max_tokens: 200, temperature: 0, stream: true }, { signal: controller.signal });
      try {
        for await (const chunk of stream) {
          if (chunk.choices[0]?.text) controller.abort();
        }
      } catch {
        // aborted on purpose
      }
    }));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (server.stats().tiny!.inFlight > 0 || server.stats().tiny!.free < 4)) await new Promise((r) => setTimeout(r, 50));
    expect(server.stats().tiny).toEqual({ sequences: 4, free: 4, busy: 0, waiting: 0, inFlight: 0 });
  });
});

describe("a full queue", () => {
  it("answers 429 with Retry-After", async () => {
    const path = join(dir, "tiny.gguf");
    const small = await createServer({ models: [{ name: "tiny", path }], parallel: 1, queueLimit: 1, port: 0, contextSize: 256, threads: 1, gpuLayers: 0, llama: await getSharedLlama(false) });
    try {
      const body = JSON.stringify({ model: "tiny", prompt: "go", max_tokens: 40, temperature: 0 });
      const responses = await Promise.all(Array.from({ length: 4 }, () => fetch(`${small.url}/v1/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body })));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 429, 429]);
      expect(responses.find((r) => r.status === 429)!.headers.get("retry-after")).toBe("1");
      await Promise.all(responses.map((r) => r.text()));
    } finally {
      await small.close();
    }
  });
});

describe("a port already in use", () => {
  it("is refused with a typed error and a hint, and the loaded model is given back", async () => {
    const port = Number(new URL(server.url).port);
    const second = createServer({ models: [{ name: "tiny", path: join(dir, "tiny.gguf") }], port, contextSize: 256, threads: 1, gpuLayers: 0, llama: await getSharedLlama(false) });
    await expect(second).rejects.toThrow(ListenError);
    await expect(second).rejects.toThrow(`expected to listen on 127.0.0.1:${port} but could not because it is already in use`);
    // The first server still answers.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
