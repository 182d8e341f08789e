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
