// Shared parsing for the inference commands (run, chat, serve): llama.cpp-style option names (including the
// three-letter `-ngl`, which commander cannot declare), numbers checked at the boundary, model references resolved.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { InvalidArgumentError } from "../../common/index.js";
import { resolveModelReference } from "../../hub/index.js";
import type { GenerateOptions, GpuLayers, LoadModelOptions } from "../../infer/index.js";

/** Options every inference command shares. */
export interface ModelCliOptions {
  ctxSize?: string;
  threads?: string;
  gpuLayers?: string;
}

/** Sampling options as commander hands them over. */
export interface SamplingCliOptions {
  maxTokens?: string;
  stop?: string[];
  temperature?: string;
  topP?: string;
  topK?: string;
  minP?: string;
  repeatPenalty?: string;
  seed?: string;
  grammar?: string;
  jsonSchema?: string;
}

/** Rewrites `-ngl N` / `-ngl=N` to `--gpu-layers` before commander parses a command's options. */
export function acceptNgl(command: Command): Command {
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (args: string[]) => parseOptions(args.flatMap((arg) => (arg === "-ngl" ? ["--gpu-layers"] : arg.startsWith("-ngl=") ? [`--gpu-layers=${arg.slice(5)}`] : [arg])));
  return command;
}

/** Adds -c, -t, -ngl/--gpu-layers. */
export function addModelOptions(command: Command): Command {
  return acceptNgl(command)
    .option("-c, --ctx-size <tokens>", "context size in tokens", "2048")
    .option("-t, --threads <n>", "CPU threads (default: the number of physical cores)")
    .option("--gpu-layers <n>", "layers on the GPU: a number, auto or max (also -ngl); ignored without a GPU", "auto");
}

/** Adds the sampling options of llama.cpp. */
export function addSamplingOptions(command: Command, defaultMaxTokens = "256"): Command {
  return command
    .option("-n, --max-tokens <n>", "tokens to generate at most", defaultMaxTokens)
    .option("--stop <text>", "stop when this text appears (repeatable; not included in the output)", (value: string, previous: string[] = []) => [...previous, value])
    .option("--temperature <t>", "sampling temperature (0 = greedy)", "0.8")
    .option("--top-p <p>", "nucleus sampling", "0.95")
    .option("--top-k <k>", "top-k sampling", "40")
    .option("--min-p <p>", "min-p sampling", "0.05")
    .option("--repeat-penalty <x>", "penalty on repeated tokens (1 = off)", "1")
    .option("--seed <n>", "random seed (default: time)")
    .option("--grammar <gbnf>", "a GBNF grammar, inline or a .gbnf file, that the answer must follow")
    .option("--json-schema <schema>", "a JSON schema, inline or a .json file, that the answer must follow");
}

function number(name: string, text: string | undefined, { integer = false, min = -Infinity } = {}): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
    throw new InvalidArgumentError(`expected ${name} to be ${integer ? "a whole number" : "a number"}${min > -Infinity ? ` ≥ ${min}` : ""} but found "${text}"`);
  }
  return value;
}

function fileOrInline(text: string, extension: RegExp): string {
  if (extension.test(text)) {
    try {
      return readFileSync(text, "utf8");
    } catch (error) {
      throw new InvalidArgumentError(`expected a readable file at ${text} but could not read it`, { cause: error });
    }
  }
  return text;
}

/** Turns -c, -t, -ngl into loadModel options. */
export function modelOptions(options: ModelCliOptions): LoadModelOptions {
  const gpu = options.gpuLayers ?? "auto";
  const gpuLayers: GpuLayers = gpu === "auto" || gpu === "max" ? gpu : number("--gpu-layers", gpu, { integer: true, min: 0 })!;
  const contextSize = number("--ctx-size", options.ctxSize, { integer: true, min: 1 });
  const threads = number("--threads", options.threads, { integer: true, min: 1 });
  return { gpuLayers, ...(contextSize !== undefined ? { contextSize } : {}), ...(threads !== undefined ? { threads } : {}) };
}

/** Turns the sampling options into generate options. */
export function samplingOptions(options: SamplingCliOptions): GenerateOptions {
  const out: GenerateOptions = {};
  const set = <K extends keyof GenerateOptions>(key: K, value: GenerateOptions[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set("maxTokens", number("--max-tokens", options.maxTokens, { integer: true, min: 0 }));
  set("temperature", number("--temperature", options.temperature, { min: 0 }));
  set("topP", number("--top-p", options.topP, { min: 0 }));
  set("topK", number("--top-k", options.topK, { integer: true, min: 0 }));
  set("minP", number("--min-p", options.minP, { min: 0 }));
  set("repeatPenalty", number("--repeat-penalty", options.repeatPenalty, { min: 0 }));
  set("seed", number("--seed", options.seed, { integer: true, min: 0 }));
  if (options.stop) out.stop = options.stop;
  if (options.grammar !== undefined) out.grammar = fileOrInline(options.grammar, /\.gbnf$/i);
  if (options.jsonSchema !== undefined) {
    const text = fileOrInline(options.jsonSchema, /\.json$/i);
    try {
      out.jsonSchema = JSON.parse(text) as object;
    } catch (error) {
      throw new InvalidArgumentError(`expected --json-schema to be JSON (inline or a .json file) but could not parse it`, { cause: error });
    }
  }
  return out;
}

/** Resolves a model argument (a path or a Hub id) to a local file. */
export async function resolveModelPath(reference: string): Promise<string> {
  return (await resolveModelReference(reference)).path;
}
