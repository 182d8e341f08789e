// OpenAI-style API errors: an HTTP status plus `{error: {message, type, param, code}}`.
import { DuskError } from "../common/index.js";

/** An error answered to an HTTP client. */
export class ApiError extends DuskError {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, { type = "invalid_request_error", param = null, code = "invalid_request", headers = {} }: { type?: string; param?: string | null; code?: string; headers?: Record<string, string> } = {}) {
    super(code, message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.headers = headers;
  }

  /** The JSON body OpenAI clients parse. */
  body(): { error: { message: string; type: string; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** The server could not listen on its address (the port is taken, or not allowed). */
export class ListenError extends DuskError {
  constructor(host: string, port: number, cause: unknown) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    const why = code === "EADDRINUSE" ? "it is already in use" : code === "EACCES" ? "this user may not listen there" : code === "EADDRNOTAVAIL" ? "this machine has no such address" : `of ${String(code ?? cause)}`;
    super("LISTEN_FAILED", `expected to listen on ${host}:${port} but could not because ${why}`, {
      hint: code === "EADDRINUSE" ? "stop the other server, or choose another --port (0 picks a free one)" : "choose another --host or --port",
      cause,
    });
  }
}
