// `dusk serve <model…>`: an OpenAI-compatible HTTP server (models, completions, chat completions, health).
import { basename } from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "../../common/index.js";
import { createServer } from "../../serve/index.js";
import { addModelOptions, modelOptions, resolveModelPath, type ModelCliOptions } from "./infer-options.js";

interface ServeCliOptions extends ModelCliOptions {
  port: string;
  host: string;
  parallel: string;
  queue: string;
  apiKey?: string;
  template: string;
  kvCacheType: string;
}

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`expected ${name} to be a whole number ≥ ${min} but found "${text}"`);
  return value;
}

function kvCacheType(value: string): "F16" | "F32" {
  const upper = value.toUpperCase();
  if (upper !== "F16" && upper !== "F32") throw new InvalidArgumentError(`expected --kv-cache-type F16 or F32 but got "${value}"`);
  return upper;
}

/** Registers `dusk serve`. */
export function register(program: Command): void {
  const command = program
    .command("serve")
    .description("serve GGUF models over an OpenAI-compatible HTTP API (/v1/models, /v1/completions, /v1/chat/completions)")
    .argument("<models...>", ".gguf files or Hub ids; clients ask for each by its file name without .gguf (or name=path)");
  addModelOptions(command);
  command
    .option("--port <n>", "TCP port (0 picks a free one)", "8080")
    .option("--host <address>", "address to bind", "127.0.0.1")
    .option("--parallel <n>", "requests generated at once per model (context sequences)", "1")
    .option("--queue <n>", "requests waiting beyond --parallel before 429", "64")
    .option("--api-key <key>", "require Authorization: Bearer <key> (default: DUSK_API_KEY when set)")
    .option("--template <name>", "chat template for chat completions", "auto")
    .option("--kv-cache-type <type>", "F16 (llama.cpp's default) or F32 (exact echo+logprobs scoring, for dusk eval --endpoint)", "F16")
    .addHelpText("after", "\nExamples:\n  dusk serve solar-10.7b-instruct-v1.0.Q2_K.gguf --template solar -c 4096 --parallel 4\n  dusk serve base=./base.gguf dus=./dus.gguf --port 9000 --api-key secret\n  curl http://127.0.0.1:8080/v1/models\n")
    .action(async (references: string[], options: ServeCliOptions) => {
      const models = [];
      for (const reference of references) {
        const named = /^([\w.-]+)=(.+)$/.exec(reference);
        const path = await resolveModelPath(named ? named[2]! : reference);
        models.push({ name: named ? named[1]! : basename(path).replace(/\.gguf$/i, ""), path });
      }
      const apiKey = options.apiKey ?? process.env.DUSK_API_KEY;
      const server = await createServer({
        models,
        ...modelOptions(options),
        port: integer("--port", options.port, 0),
        host: options.host,
        parallel: integer("--parallel", options.parallel, 1),
        queueLimit: integer("--queue", options.queue, 0),
        template: options.template,
        kvCacheType: kvCacheType(options.kvCacheType),
        ...(apiKey ? { apiKey } : {}),
      });
      process.stderr.write(`dusk: serving ${models.map((m) => m.name).join(", ")} at ${server.url}/v1\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void server.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
