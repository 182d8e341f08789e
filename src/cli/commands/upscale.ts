// `dusk upscale <model> --m 8 -o <out>`: depth up-scaling, the SOLAR recipe, on GGUF (any quantization) or safetensors.
import type { Command } from "commander";
import { InvalidArgumentError } from "../../common/index.js";
import { upscale } from "../../merge/index.js";
import { mergeRunOptions, printMergeRun } from "./merge-output.js";

/** Registers `dusk upscale`. */
export function register(program: Command): void {
  program
    .command("upscale")
    .description("depth up-scaling (SOLAR): keep layers [0, n-m) of one copy and [m, n) of another and stack them (32 → 48 for m = 8)")
    .argument("<model>", "base model: a .gguf file (any quantization, single or split) or a safetensors checkpoint folder")
    .requiredOption("-o, --output <path>", "output: a .gguf file, or a folder for a safetensors checkpoint")
    .option("--m <n>", "layers dropped from the end of one copy and the start of the other (SOLAR: 8)")
    .option("--layers <ranges>", "explicit half-open slices instead of --m, e.g. 0-24,8-32 or 0-16,8-24,16-32")
    .option("--dtype <dtype>", "float32, float16 or bfloat16 (safetensors output)")
    .option("--split-max-size <size>", "write split GGUF files of at most this size, e.g. 4G")
    .option("--shard-size <size>", "largest safetensors shard, e.g. 5G (default: sharded like the input)")
    .option("--name <name>", "general.name of the result")
    .option("--dry-run", "print the plan (output tensor ← source) and write nothing")
    .option("--json", "print the plan or result as JSON")
    .addHelpText("after", "\nExamples:\n  dusk upscale mistral-7b.Q4_K_M.gguf --m 8 -o solar-like.Q4_K_M.gguf\n  dusk upscale ./llama-checkpoint --layers 0-16,8-24,16-32 -o ./deeper\n  dusk upscale model.gguf --m 8 -o out.gguf --dry-run\n")
    .action(async (model: string, options: { output: string; m?: string; layers?: string; dtype?: string; splitMaxSize?: string; shardSize?: string; name?: string; dryRun?: boolean; json?: boolean }) => {
      if ((options.m === undefined) === (options.layers === undefined)) {
        throw new InvalidArgumentError("expected exactly one of --m <n> or --layers <ranges>", { hint: "SOLAR 10.7B is --m 8 on a 32-layer base" });
      }
      const m = options.m === undefined ? undefined : Number(options.m);
      if (m !== undefined && !Number.isInteger(m)) throw new InvalidArgumentError(`expected an integer for --m but got "${options.m}"`, { hint: "m is a whole number of layers; SOLAR 10.7B is --m 8 on a 32-layer base" });
      if (options.dtype !== undefined && !["float32", "float16", "bfloat16"].includes(options.dtype)) {
        throw new InvalidArgumentError(`expected --dtype float32, float16 or bfloat16 but got "${options.dtype}"`);
      }
      const run = await upscale({
        ...mergeRunOptions(options),
        model,
        ...(m !== undefined ? { m } : {}),
        ...(options.layers !== undefined ? { layers: options.layers } : {}),
        ...(options.dtype !== undefined ? { dtype: options.dtype as "float32" } : {}),
      });
      printMergeRun(run, Boolean(options.json));
    });
}
