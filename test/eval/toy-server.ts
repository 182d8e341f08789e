// A local OpenAI-compatible completions server over the toy model, for the endpoint backend's tests: POST /tokenize
// (llama.cpp's shape) and POST /v1/completions (echo + logprobs for scoring; greedy text with stop strings). Loopback only.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BOS, toyGenerate, toyLogProbs, toyTokenLogprobs, toyTokenString, toyTokenize } from "./toy-model.js";

/** A running toy server. */
export interface ToyServer {
  url: string;
  /** Requests served, by route. */
  hits: Record<string, number>;
  /** Completions bodies received (for assertions on the protocol). */
  bodies: Record<string, unknown>[];
  /** Make the next N completions answer 503 (to exercise retries). */
  failNext(n: number): void;
  close(): Promise<void>;
}

/** Starts a toy server on 127.0.0.1 with an ephemeral port. */
export async function startToyServer(): Promise<ToyServer> {
  const hits: Record<string, number> = {};
  const bodies: Record<string, unknown>[] = [];
  let failures = 0;
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => {
      const route = req.url ?? "";
      hits[route] = (hits[route] ?? 0) + 1;
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const body = JSON.parse(raw || "{}") as Record<string, unknown>;
      if (req.method === "POST" && route === "/tokenize") {
        const tokens = toyTokenize(typeof body.content === "string" ? body.content : "");
        send(200, { tokens: body.add_special === true ? [BOS, ...tokens] : tokens });
        return;
      }
      if (req.method === "POST" && route === "/v1/completions") {
        bodies.push(body);
        if (failures > 0) {
          failures--;
          send(503, { error: "busy" });
          return;
        }
        const prompt = body.prompt as number[];
        if (body.echo === true) {
          const scored = toyTokenLogprobs(prompt);
          send(200, {
            choices: [
              {
                text: "",
                logprobs: {
                  tokens: prompt.map(toyTokenString),
                  token_logprobs: scored.map((s, i) => (i === 0 ? null : s.logprob)),
                  top_logprobs: prompt.map((_, i) => {
                    if (i === 0) return null;
                    const { logprobs, argmax } = toyLogProbs(prompt[i - 1] as number);
                    return { [toyTokenString(argmax)]: logprobs[argmax] };
                  }),
                },
              },
            ],
          });
          return;
        }
        const stop = (body.stop as string[] | undefined) ?? [];
        send(200, { choices: [{ text: toyGenerate(prompt, Number(body.max_tokens ?? 16), stop) }] });
        return;
      }
      send(404, { error: `no route ${route}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    bodies,
    failNext: (n) => (failures = n),
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
