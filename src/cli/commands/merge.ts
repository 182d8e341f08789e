// `dusk merge <config.yml> -o <out>`: mergekit-compatible passthrough merges (slice stacking, frankenmerges).
import type { Command } from "commander";
import { parseByteSize } from "../../common/index.js";
import { mergeFromYaml } from "../../merge/index.js";
import { printMergeRun } from "./merge-output.js";
import { resolveModel } from "../resolve.js";

/** Registers `dusk merge`. */
export function register(program: Command): void {
  program
    .command("merge")
    .description("run a mergekit passthrough YAML (slices of one or several models) on GGUF or safetensors, streamed")
    .argument("<config>", "mergekit YAML: slices: [{sources: [{model, layer_range: [start, end]}]}], merge_method: passthrough, dtype")
    .requiredOption("-o, --output <path>", "output: a .gguf file, or a folder for a safetensors checkpoint")
    .option("--split-max-size <size>", "write split GGUF files of at most this size, e.g. 4G")
    .option("--shard-size <size>", "largest safetensors shard, e.g. 5G (default: sharded like the input)")
    .option("--name <name>", "general.name of the result")
    .option("--dry-run", "print the plan (output tensor ← source) and write nothing")
    .option("--json", "print the plan or result as JSON")
    .addHelpText("after", `
Supported keys: merge_method (passthrough), slices[].sources[] (one per slice: model, layer_range [start, end),
end exclusive), dtype (float32 | float16 | bfloat16, for safetensors output), base_model, name.

Example config (the SOLAR recipe):
  slices:
    - sources:
        - model: mistral-7b.Q4_K_M.gguf
          layer_range: [0, 24]
    - sources:
        - model: mistral-7b.Q4_K_M.gguf
          layer_range: [8, 32]
  merge_method: passthrough

Examples:
  dusk merge solar.yml -o solar-like.gguf
  dusk merge goliath.yml -o goliath.gguf --split-max-size 4G
`)
    .action(async (config: string, options: { output: string; splitMaxSize?: string; shardSize?: string; name?: string; dryRun?: boolean; json?: boolean }) => {
      const run = await mergeFromYaml({
        resolve: resolveModel,
        configPath: config,
        output: options.output,
        ...(options.splitMaxSize !== undefined ? { splitMaxBytes: parseByteSize(options.splitMaxSize) } : {}),
        ...(options.shardSize !== undefined ? { shardMaxBytes: parseByteSize(options.shardSize) } : {}),
        ...(options.name !== undefined ? { name: options.name } : {}),
        dryRun: Boolean(options.dryRun),
        progress: !options.json,
      });
      printMergeRun(run, Boolean(options.json));
    });
}
