// The OpenAI-compatible HTTP server on node:http (plus llama.cpp server's /tokenize and /detokenize): routing, API
// keys, body limits, validation, a bounded queue per model in front of its N context sequences, and cancellation
// when a client goes away.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Llama } from "node-llama-cpp";
import type { ZodType } from "zod";
import { isDuskError } from "../common/index.js";
import { ContextOverflowError, GenerationAbortedError, loadModel, type GpuLayers, type InferenceModel, type SequenceStats } from "../infer/index.js";
import { ApiError, ListenError } from "./errors.js";
import { handleCompletion } from "./completions.js";
import { handleChat, type HandlerContext } from "./handlers.js";
import { chatRequest, completionRequest, detokenizeRequest, tokenizeRequest, type DetokenizeRequest, type TokenizeRequest } from "./schemas.js";
import { handleDetokenize, handleTokenize } from "./tokenize.js";

/** A model to serve: a name clients ask for, and a GGUF path. */
export interface ServedModel {
  name: string;
  path: string;
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  models: readonly ServedModel[];
  /** Requests generated at once per model (context sequences). Defaults to 1. */
  parallel?: number;
  /** Requests waiting per model beyond `parallel`; more get 429. Defaults to 64. */
  queueLimit?: number;
  /** Defaults to "127.0.0.1". */
  host?: string;
  /** 0 picks a free port. Defaults to 8080. */
  port?: number;
  /** Require `Authorization: Bearer <apiKey>`. Defaults to none. */
  apiKey?: string;
  /** Largest request body in bytes. Defaults to 4 MiB. */
  bodyLimit?: number;
  /** Tokens per sequence. Defaults to 2048. */
  contextSize?: number;
  /** CPU threads. Defaults to the physical cores. */
  threads?: number;
  /** Defaults to "auto". */
  gpuLayers?: GpuLayers;
  /** Chat template for /v1/chat/completions. Defaults to "auto". */
  template?: string;
  /** KV cache element type: "F32" makes echo+logprobs scoring exact (what `dusk eval --endpoint` wants). Defaults to "F16". */
  kvCacheType?: "F16" | "F32";
  /** Share a llama.cpp binding (tests). */
  llama?: Llama;
}

/** A running server. */
export interface DuskServer {
  readonly url: string;
  readonly server: Server;
  /** Per model: sequence pool counters plus requests in flight (running or queued). */
  stats(): Record<string, SequenceStats & { inFlight: number }>;
  close(): Promise<void>;
}

interface Entry {
  model: InferenceModel;
  inFlight: number;
}

/** The POST endpoints: OpenAI's two generation endpoints and llama.cpp server's tokenizer endpoints. */
const ENDPOINTS: Record<string, "completion" | "chat" | "tokenize" | "detokenize" | undefined> = {
  "/v1/completions": "completion",
  "/v1/chat/completions": "chat",
  "/tokenize": "tokenize",
  "/detokenize": "detokenize",
};

function sendError(res: ServerResponse, error: ApiError): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end(`data: ${JSON.stringify(error.body())}\n\n`);
    return;
  }
  const text = JSON.stringify(error.body());
  res.writeHead(error.status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...error.headers });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) return Promise.reject(new ApiError(413, `expected a request body of at most ${limit} bytes but Content-Length says ${declared}`, { code: "request_too_large" }));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new ApiError(413, `expected a request body of at most ${limit} bytes but received more`, { code: "request_too_large" }));
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseBody<T>(text: string, schema: ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(400, "expected a JSON request body but could not parse it", { code: "invalid_json" });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join(".") ?? null;
    throw new ApiError(400, `invalid value for ${param || "the body"}: ${issue?.message ?? "invalid"}`, { param: param || null, code: "invalid_value" });
  }
  return parsed.data;
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ContextOverflowError) return new ApiError(400, error.message, { code: "context_length_exceeded", param: "messages" });
  if (isDuskError(error) && error.code === "INVALID_ARGUMENT") return new ApiError(400, error.message, { code: "invalid_value" });
  return new ApiError(500, `internal error: ${error instanceof Error ? error.message : String(error)}`, { type: "server_error", code: "internal_error" });
}

/** Loads the models and starts listening; resolves once the port is bound. */
export async function createServer({
  models,
  parallel = 1,
  queueLimit = 64,
  host = "127.0.0.1",
  port = 8080,
  apiKey,
  bodyLimit = 4 * 1024 * 1024,
  contextSize = 2048,
  threads,
  gpuLayers = "auto",
  template = "auto",
  kvCacheType = "F16",
  llama,
}: ServerOptions): Promise<DuskServer> {
  const entries = new Map<string, Entry>();
  try {
    for (const served of models) {
      const model = await loadModel(served.path, { name: served.name, contextSize, gpuLayers, sequences: parallel, kvCacheType, ...(threads !== undefined ? { threads } : {}), ...(llama ? { llama } : {}) });
      entries.set(served.name, { model, inFlight: 0 });
    }
  } catch (error) {
    for (const entry of entries.values()) await entry.model.dispose();
    throw error;
  }
  const created = Math.floor(Date.now() / 1000);
  const entryFor = (name: string | undefined): Entry => {
    const entry = name === undefined ? undefined : entries.get(name);
    if (!entry) throw new ApiError(404, `expected a model this server serves (${[...entries.keys()].join(", ")}) but found "${name}"`, { param: "model", code: "model_not_found" });
    return entry;
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/health" && req.method === "GET") {
      const text = JSON.stringify({ status: "ok", models: [...entries.keys()] });
      res.writeHead(200, { "Content-Type": "application/json" }).end(text);
      return;
    }
    if (apiKey !== undefined && req.headers.authorization !== `Bearer ${apiKey}`) {
      throw new ApiError(401, "expected an Authorization: Bearer <api key> header with the server's key but found none or another", { type: "authentication_error", code: "invalid_api_key" });
    }
    if (path === "/v1/models") {
      if (req.method !== "GET") throw new ApiError(405, `expected GET on ${path} but found ${req.method}`, { code: "method_not_allowed" });
      const text = JSON.stringify({ object: "list", data: [...entries.keys()].map((id) => ({ id, object: "model", created, owned_by: "dusk" })) });
      res.writeHead(200, { "Content-Type": "application/json" }).end(text);
      return;
    }
    const endpoint = ENDPOINTS[path ?? ""];
    if (!endpoint) throw new ApiError(404, `expected one of /v1/models, ${Object.keys(ENDPOINTS).join(", ")}, /health but found ${path}`, { code: "not_found" });
    if (req.method !== "POST") throw new ApiError(405, `expected POST on ${path} but found ${req.method}`, { code: "method_not_allowed" });
    const text = await readBody(req, bodyLimit);
    if (endpoint === "tokenize" || endpoint === "detokenize") {
      const body = endpoint === "tokenize" ? parseBody(text, tokenizeRequest) : parseBody(text, detokenizeRequest);
      const model = entryFor(body.model ?? entries.keys().next().value).model;
      if (endpoint === "tokenize") handleTokenize(body as TokenizeRequest, model, res);
      else handleDetokenize(body as DetokenizeRequest, model, res);
      return;
    }
    const body = endpoint === "completion" ? parseBody(text, completionRequest) : parseBody(text, chatRequest);
    const entry = entryFor(body.model);
    if (entry.inFlight >= parallel + queueLimit) {
      throw new ApiError(429, `the queue of ${body.model} is full (${parallel} running, ${queueLimit} waiting); try again shortly`, { type: "rate_limit_error", code: "queue_full", headers: { "Retry-After": "1" } });
    }
    const controller = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) controller.abort();
    };
    res.on("close", onClose);
    entry.inFlight++;
    const context: HandlerContext = { model: entry.model, template, signal: controller.signal, res, parallel };
    try {
      if (endpoint === "completion") await handleCompletion(body as Parameters<typeof handleCompletion>[0], context);
      else await handleChat(body as Parameters<typeof handleChat>[0], context);
    } catch (error) {
      if (error instanceof GenerationAbortedError || controller.signal.aborted) return;
      throw error;
    } finally {
      entry.inFlight--;
      res.off("close", onClose);
    }
  }

  const server = createHttpServer((req, res) => {
    route(req, res).catch((error: unknown) => sendError(res, toApiError(error)));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    for (const entry of entries.values()) await entry.model.dispose();
    throw new ListenError(host, port, error);
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    stats: () => Object.fromEntries([...entries].map(([name, entry]) => [name, { ...entry.model.stats(), inFlight: entry.inFlight }])),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const entry of entries.values()) await entry.model.dispose();
    },
  };
}
