// HTTP for the Hub over node:http/https (no hidden decompression, exact control of headers): one request, and
// redirect following that drops the Authorization header when a redirect leaves the origin (a CDN's signed URL).
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { HubBadResponseError, HubUnreachableError } from "./errors.js";

/** One HTTP request. */
export interface HttpRequest {
  url: string;
  /** Defaults to GET. */
  method?: "GET" | "HEAD";
  /** Request headers. Defaults to none. */
  headers?: Readonly<Record<string, string>>;
  /** Milliseconds of silence (connecting, waiting or mid-body) before the request fails. Defaults to 30000. */
  timeoutMs?: number;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Which redirects `send` follows itself. */
export type RedirectPolicy = "all" | "same-origin" | "none";

/** An answer whose body has not been read yet. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that gave this answer (after the redirects that were followed). */
  url: string;
  /** The body stream; read it, or call `discard`. */
  body: IncomingMessage;
  /** The headers sent with the final request (Authorization removed after a cross-origin redirect). */
  sentHeaders: Readonly<Record<string, string>>;
}

/** A response header as one string (the first value of a repeated one). */
export function header(response: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads and drops a body we do not need, so the connection can be reused. */
export function discard(response: HttpResponse): void {
  response.body.resume();
}

/** Reads a whole (small) body, refusing more than `limit` bytes. */
export async function readBody(response: HttpResponse, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) {
      response.body.destroy();
      throw new HubBadResponseError(response.url, `the answer is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function describeNetworkError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

/** Sends one request and resolves with the answer's head; network failures become HubUnreachableError. */
function sendOnce({ url, method = "GET", headers = {}, timeoutMs = 30_000, signal }: HttpRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const parsed = new URL(url);
    const send = parsed.protocol === "https:" ? httpsRequest : parsed.protocol === "http:" ? httpRequest : undefined;
    if (!send) {
      reject(new HubBadResponseError(url, `the URL's protocol ${parsed.protocol} is neither http nor https`));
      return;
    }
    const request = send(parsed, { method, headers, ...(signal ? { signal } : {}) }, resolve);
    request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error(`no data for ${timeoutMs / 1000} s`), { code: "ETIMEDOUT" })));
    request.on("error", (error) => reject(new HubUnreachableError(url, describeNetworkError(error), { cause: error })));
    request.end();
  });
}

function originOf(url: string): string {
  return new URL(url).origin;
}

/**
 * Sends a request and follows redirects as `policy` allows (at most `maxRedirects`), dropping Authorization when a
 * redirect goes to another origin. A redirect that is not followed is returned as it is (status 3xx, Location resolved).
 */
export async function send(
  request: HttpRequest & { redirects?: RedirectPolicy; maxRedirects?: number },
): Promise<HttpResponse> {
  const { redirects = "all", maxRedirects = 10, ...first } = request;
  let url = first.url;
  let headers: Record<string, string> = { ...(first.headers ?? {}) };
  for (let hop = 0; ; hop++) {
    const body = await sendOnce({ ...first, url, headers });
    const status = body.statusCode ?? 0;
    const location = header(body, "location");
    const response: HttpResponse = { status, headers: body.headers, url, body, sentHeaders: headers };
    if (status < 300 || status > 399 || location === undefined || redirects === "none") return response;
    const next = new URL(location, url).toString();
    const crossOrigin = originOf(next) !== originOf(url);
    if (redirects === "same-origin" && crossOrigin) {
      body.headers.location = next;
      return response;
    }
    body.resume();
    if (hop >= maxRedirects) throw new HubBadResponseError(first.url, `it redirected more than ${maxRedirects} times`);
    if (crossOrigin) headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== "authorization"));
    url = next;
  }
}
