// `dusk demo`: the main job on an embedded default, offline: build a tiny model, inspect, up-scale, run.
import type { Command } from "commander";
import { runDemo } from "../../recipe/index.js";

/** Registers `dusk demo`. */
export function register(program: Command): void {
  program
    .command("demo")
    .description("the recipe on a tiny model, offline: build a 32-layer Llama, inspect it, up-scale it to 48 layers (m = 8), run both")
    .option("-o, --output <folder>", "folder for the demo's model files", "dusk-demo")
    .option("-t, --threads <n>", "threads for llama.cpp", "2")
    .addHelpText("after", "\nExamples:\n  npx dusk demo\n  npx dusk demo -o /tmp/demo\n")
    .action(async (options: { output: string; threads: string }) => {
      await runDemo({ output: options.output, threads: Number(options.threads) });
    });
}
