// `dusk merge <config.yml> -o <out>`: mergekit-compatible passthrough merges (slice stacking, frankenmerges) and
// linear merges (weighted averages of models of one shape).
import type { Command } from "commander";
import { mergeFromYaml } from "../../merge/index.js";
import { mergeRunOptions, printMergeRun } from "./merge-output.js";

/** Registers `dusk merge`. */
export function register(program: Command): void {
  program
    .command("merge")
    .description("run a mergekit YAML on GGUF or safetensors, streamed: passthrough (stack layer slices) or linear (weighted average)")
    .argument("<config>", "mergekit YAML: passthrough (slices: [{sources: [{model, layer_range}]}]) or linear (models: [{model, parameters: {weight}}])")
    .requiredOption("-o, --output <path>", "output: a .gguf file, or a folder for a safetensors checkpoint")
    .option("--split-max-size <size>", "write split GGUF files of at most this size, e.g. 4G")
    .option("--shard-size <size>", "largest safetensors shard, e.g. 5G (default: sharded like the input)")
    .option("--name <name>", "general.name of the result")
    .option("--dry-run", "print the plan (output tensor ← source) and write nothing")
    .option("--json", "print the plan or result as JSON")
    .addHelpText("after", `
Supported methods and keys:
  passthrough  slices[].sources[] (one per slice: model, layer_range [start, end), end exclusive),
               dtype (float32 | float16 | bfloat16, for safetensors output), base_model, name
  linear       models[] (model, parameters: {weight}), parameters: {normalize (default true), weight (default
               for models without one)}, dtype (output type; GGUF norms stay as they are), base_model, name.
               Each tensor = Σ weight·tensor (÷ Σ weight when normalize). The models must have identical tensors
               (names, shapes, F32/F16/BF16 types), architecture and tokenizer; config and tokenizer come from
               the first model. Quantized GGUF inputs are refused: merge float models, quantize afterwards.

Example config (the SOLAR recipe):
  slices:
    - sources:
        - model: mistral-7b.Q4_K_M.gguf
          layer_range: [0, 24]
    - sources:
        - model: mistral-7b.Q4_K_M.gguf
          layer_range: [8, 32]
  merge_method: passthrough

Example config (a linear merge, as SOLAR-10.7B-Instruct averaged two DPO models):
  models:
    - model: dpo-a.gguf
      parameters:
        weight: 0.5
    - model: dpo-b.gguf
      parameters:
        weight: 0.5
  merge_method: linear
  dtype: float16

Examples:
  dusk merge solar.yml -o solar-like.gguf
  dusk merge goliath.yml -o goliath.gguf --split-max-size 4G
  dusk merge average.yml -o averaged-checkpoint/
`)
    .action(async (config: string, options: { output: string; splitMaxSize?: string; shardSize?: string; name?: string; dryRun?: boolean; json?: boolean }) => {
      const run = await mergeFromYaml({ ...mergeRunOptions(options), configPath: config });
      printMergeRun(run, Boolean(options.json));
    });
}
