// The endpoint backend against two local OpenAI-compatible toy servers: token-id prompts with echo + logprobs +
// max_tokens 0 for scoring, greedy text with stop strings for generation, BOS learned from /tokenize, requests
// spread over the URLs, retries on 503, typed errors for servers that do not speak the protocol.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndpointBackend, EndpointError, parseEndpointList } from "../../src/eval/index.js";
import { BOS, ToyBackend, toyTokenize } from "./toy-model.js";
import { startToyServer, type ToyServer } from "./toy-server.js";

let servers: ToyServer[] = [];
beforeAll(async () => {
  servers = [await startToyServer(), await startToyServer()];
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe("EndpointBackend", () => {
  it("parses URL lists", () => {
    expect(parseEndpointList("http://a:1/, http://b:2/v1,,")).toEqual(["http://a:1", "http://b:2/v1"]);
  });

  it("learns BOS from /tokenize and tokenizes without special tokens", async () => {
    const backend = await EndpointBackend.connect({ urls: [servers[0]!.url] });
    expect(backend.bosToken).toBe(BOS);
    expect(backend.addBosByDefault).toBe(true);
    expect(await backend.tokenize("Answer: A")).toEqual(toyTokenize("Answer: A"));
  });

  it("scores spans with echo + logprobs equal to the model's own teacher-forced sums, spread over both servers", async () => {
    const backend = await EndpointBackend.connect({ urls: servers.map((s) => `${s.url}/v1`), parallel: 4 });
    const reference = new ToyBackend();
    const spans = ["Question: X\nAnswer:", "the cat", "a dog is", "12 of 13", "Answer: B", "  ed er ing", "owl", "yak"].map((text, i) => {
      const tokens = [BOS, ...toyTokenize(text)];
      const cut = 1 + (i % Math.max(1, tokens.length - 1));
      return { context: tokens.slice(0, cut), continuation: tokens.slice(cut) };
    });
    const before = servers.map((s) => s.hits["/v1/completions"] ?? 0);
    const got = await backend.loglikelihood(spans);
    const want = await reference.loglikelihood(spans);
    got.forEach((g, i) => {
      expect(g.logprob).toBeCloseTo(want[i]!.logprob, 10);
      expect(g.isGreedy).toBe(want[i]!.isGreedy);
    });
    servers.forEach((s, i) => expect((s.hits["/v1/completions"] ?? 0) - before[i]!).toBeGreaterThan(0));
    const body = servers.flatMap((s) => s.bodies).at(-1)!;
    expect(body).toMatchObject({ echo: true, max_tokens: 0, logprobs: 1, temperature: 0 });
    expect(Array.isArray(body.prompt)).toBe(true);
  });

  it("generates greedily with the stop strings and cuts at the earliest one", async () => {
    const backend = await EndpointBackend.connect({ urls: [servers[0]!.url] });
    const reference = new ToyBackend();
    const requests = [
      { context: toyTokenize("Question: 2+2?\nAnswer:"), until: [":", "Question:", "Question"], maxTokens: 40 },
      { context: toyTokenize("the"), until: [], maxTokens: 12 },
    ];
    expect(await backend.generateUntil(requests)).toEqual(await reference.generateUntil(requests));
    expect(servers[0]!.bodies.at(-1)).toMatchObject({ max_tokens: 12, temperature: 0 });
    expect(servers[0]!.bodies.at(-2)).toMatchObject({ stop: [":", "Question:", "Question"], max_tokens: 40 });
  });

  it("retries 503 answers and then succeeds", async () => {
    const backend = await EndpointBackend.connect({ urls: [servers[1]!.url], parallel: 1 });
    servers[1]!.failNext(2);
    const [result] = await backend.loglikelihood([{ context: [BOS], continuation: toyTokenize("ok") }]);
    expect(result?.logprob).toBeLessThan(0);
  });

  it("raises EndpointError for a server without the routes, or one that is down", async () => {
    await expect(EndpointBackend.connect({ urls: [`${servers[0]!.url}/nothing-here`], attempts: 1 })).rejects.toThrow(EndpointError);
    await expect(EndpointBackend.connect({ urls: ["http://127.0.0.1:9"], attempts: 1 })).rejects.toThrow(/expected an HTTP response/);
  });
});
