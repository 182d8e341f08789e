// The endpoint backend: any OpenAI-compatible completions server with echo + logprobs (dusk serve, llama.cpp's
// server, vLLM). Prompts go as token ids (so the harness's tokenization rule holds); scoring uses echo: true,
// logprobs: 1, max_tokens: 0; generation uses temperature 0 and stop strings. Requests are spread over all the URLs.
import { z } from "zod";
import { cutAtStops } from "../tasks/gsm8k.js";
import { EndpointError } from "../errors.js";
import type { TokenSpan } from "../tokenize.js";
import type { Backend, GenerationRequest, SpanResult } from "./types.js";

/** Options of the endpoint backend. */
export interface EndpointBackendOptions {
  /** Base URLs, e.g. http://gpu1:8080 or http://gpu1:8080/v1. */
  urls: string[];
  /** The model name sent in each request. Defaults to the first model the server lists at GET /v1/models, else "default". */
  model?: string;
  /** Requests in flight at once, over all URLs. Defaults to 4 per URL. */
  parallel?: number;
  /** Bearer token for servers that want one. Defaults to none. */
  apiKey?: string | undefined;
  /** The model's context length, if known. Defaults to unknown (no truncation). */
  contextLength?: number | undefined;
  /** Milliseconds before one HTTP request is abandoned. Defaults to 600000. */
  timeoutMs?: number;
  /** Attempts per request on network errors, 429 and 5xx. Defaults to 3. */
  attempts?: number;
}

const TokenizeResponse = z.object({
  tokens: z.array(z.union([z.number().int(), z.object({ id: z.number().int() })])),
});

const CompletionResponse = z.object({
  choices: z
    .array(
      z.object({
        text: z.string().optional(),
        logprobs: z
          .object({
            tokens: z.array(z.string()).optional(),
            token_logprobs: z.array(z.number().nullable()),
            top_logprobs: z.array(z.record(z.string(), z.number()).nullable()).nullable().optional(),
          })
          .nullable()
          .optional(),
      }),
    )
    .min(1),
});

/** Splits "URL[,URL...]" into base URLs without trailing slashes. */
export function parseEndpointList(list: string): string[] {
  return list
    .split(",")
    .map((u) => u.trim().replace(/\/+$/, ""))
    .filter((u) => u !== "");
}

/** Runs `work` over items with at most `limit` in flight; worker w gets slot w (used to pick a URL). */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, slot: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (slot: number): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T, slot);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, (_, slot) => worker(slot)));
  return results;
}

/** An OpenAI-compatible completions server (or a fleet of them) as a Backend. */
export class EndpointBackend implements Backend {
  readonly description: string;
  readonly contextLength: number | undefined;
  bosToken: number | undefined = undefined;
  eosToken: number | undefined = undefined;
  addBosByDefault = false;
  private readonly urls: string[];
  private model: string;
  private readonly parallel: number;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private roundRobin = 0;

  private constructor({ urls, model = "default", parallel, apiKey, contextLength, timeoutMs = 600_000, attempts = 3 }: EndpointBackendOptions) {
    this.urls = urls;
    this.model = model;
    this.parallel = parallel ?? 4 * urls.length;
    this.apiKey = apiKey;
    this.contextLength = contextLength;
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
    this.description = `endpoint ${urls.join(", ")}`;
  }

  /** Connects: learns BOS from the first server by tokenizing with and without special tokens. */
  static async connect(options: EndpointBackendOptions): Promise<EndpointBackend> {
    if (options.urls.length === 0) throw new EndpointError("--endpoint", "at least one URL", "none");
    const backend = new EndpointBackend(options);
    if (options.model === undefined) backend.model = (await backend.firstListedModel()) ?? "default";
    const plain = await backend.tokenizeWith("a", false, 0);
    const special = await backend.tokenizeWith("a", true, 0);
    if (special.length === plain.length + 1 && special.slice(1).every((t, i) => t === plain[i])) {
      backend.bosToken = special[0];
      backend.addBosByDefault = true;
    }
    return backend;
  }

  /** The first model id of GET /v1/models (OpenAI's list format), or undefined when the server has no such route. */
  private async firstListedModel(): Promise<string | undefined> {
    try {
      const response = await fetch(`${this.serverRoot(0)}/v1/models`, {
        headers: this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {},
        signal: AbortSignal.timeout(Math.min(this.timeoutMs, 30_000)),
      });
      if (!response.ok) return undefined;
      const body = (await response.json()) as { data?: { id?: unknown }[] };
      const id = body.data?.[0]?.id;
      return typeof id === "string" ? id : undefined;
    } catch {
      return undefined;
    }
  }

  private serverRoot(slot: number): string {
    return (this.urls[slot % this.urls.length] as string).replace(/\/v1$/, "");
  }

  private async post(url: string, body: unknown): Promise<unknown> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        lastError = new EndpointError(url, "an HTTP response", (error as Error).message, { cause: error });
        await delay(attempt);
        continue;
      }
      const text = await response.text();
      if (response.ok) {
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          throw new EndpointError(url, "a JSON body", JSON.stringify(text.slice(0, 80)), { cause: error });
        }
      }
      lastError = new EndpointError(url, "status 200", `status ${response.status}: ${text.slice(0, 200)}`);
      if (response.status !== 429 && response.status < 500) break;
      await delay(attempt);
    }
    throw lastError;
  }

  private async tokenizeWith(text: string, special: boolean, slot: number): Promise<number[]> {
    const url = `${this.serverRoot(slot)}/tokenize`;
    const body = await this.post(url, { model: this.model, content: text, add_special: special, prompt: text, add_special_tokens: special });
    const parsed = TokenizeResponse.safeParse(body);
    if (!parsed.success) throw new EndpointError(url, "{tokens: number[]}", JSON.stringify(body).slice(0, 120));
    return parsed.data.tokens.map((t) => (typeof t === "number" ? t : t.id));
  }

  tokenize(text: string): Promise<number[]> {
    return this.tokenizeWith(text, false, this.roundRobin++);
  }

  private async complete(body: Record<string, unknown>, slot: number): Promise<z.infer<typeof CompletionResponse>> {
    const url = `${this.serverRoot(slot)}/v1/completions`;
    const raw = await this.post(url, { model: this.model, temperature: 0, ...body });
    const parsed = CompletionResponse.safeParse(raw);
    if (!parsed.success) throw new EndpointError(url, "a completions response with choices", JSON.stringify(raw).slice(0, 160));
    return parsed.data;
  }

  async loglikelihood(spans: readonly TokenSpan[]): Promise<SpanResult[]> {
    return mapLimited(spans, this.parallel, async (span, slot) => {
      const prompt = [...span.context, ...span.continuation];
      const response = await this.complete({ prompt, max_tokens: 0, echo: true, logprobs: 1 }, slot);
      const logprobs = response.choices[0]?.logprobs;
      if (!logprobs || logprobs.token_logprobs.length < prompt.length) {
        throw new EndpointError(this.serverRoot(slot), `echoed logprobs for all ${prompt.length} prompt tokens`, `${logprobs?.token_logprobs.length ?? 0}`);
      }
      let logprob = 0;
      let isGreedy = true;
      for (let i = span.context.length; i < prompt.length; i++) {
        const value = logprobs.token_logprobs[i];
        if (value === null || value === undefined) throw new EndpointError(this.serverRoot(slot), `a logprob for prompt token ${i}`, "null");
        logprob += value;
        const top = logprobs.top_logprobs?.[i];
        const token = logprobs.tokens?.[i];
        if (!top || token === undefined) isGreedy = false;
        else {
          const best = Object.entries(top).reduce((a, b) => (b[1] > a[1] ? b : a));
          if (best[0] !== token) isGreedy = false;
        }
      }
      return { logprob, isGreedy };
    });
  }

  async generateUntil(requests: readonly GenerationRequest[]): Promise<string[]> {
    return mapLimited(requests, this.parallel, async (request, slot) => {
      const stop = request.until.filter((s) => s !== "").slice(0, 4);
      const response = await this.complete({ prompt: request.context, max_tokens: request.maxTokens, ...(stop.length > 0 ? { stop } : {}) }, slot);
      return cutAtStops(response.choices[0]?.text ?? "", request.until);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function delay(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
}
