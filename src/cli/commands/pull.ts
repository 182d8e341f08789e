// `dusk pull`: download a model from the Hugging Face Hub into the standard cache (reused by Python tools and by
// every dusk command that takes a model) and print where its files are.
import type { Command } from "commander";
import { formatBytes } from "../../common/index.js";
import { mainPath, pull } from "../../hub/index.js";

interface PullFlags {
  include?: string[];
  cacheDir?: string;
  offline?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** Adds `dusk pull` to the program. */
export function register(program: Command): void {
  program
    .command("pull")
    .description("download a model from the Hugging Face Hub into the standard cache (HF_HOME, HF_HUB_CACHE) and print where it is")
    .argument("<model>", "org/name[:<file-or-quantization>][@<revision>], e.g. TheBloke/SOLAR-10.7B-Instruct-v1.0-GGUF:Q4_K_M")
    .option("--include <glob>", "also pull files matching this glob (repeatable; * crosses folders), e.g. '*.safetensors'", (value: string, previous: string[] = []) => [...previous, value])
    .option("--cache-dir <folder>", "the hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)")
    .option("--offline", "use only the cache, as HF_HUB_OFFLINE=1 does")
    .option("-q, --quiet", "no progress bar")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  dusk pull TheBloke/SOLAR-10.7B-Instruct-v1.0-GGUF:Q2_K              one quantization of a GGUF repository\n" +
        "  dusk pull TheBloke/SOLAR-10.7B-Instruct-v1.0-GGUF:solar-10.7b-instruct-v1.0.Q2_K.gguf\n" +
        "  dusk pull upstage/SOLAR-10.7B-v1.0 --include '*.safetensors'          a checkpoint folder (+ config, tokenizer)\n" +
        "  dusk pull org/model@v1.0 --json                                      a tag, branch or commit after @\n" +
        "\nEnvironment: HF_TOKEN (gated or private models), HF_ENDPOINT (a mirror), HF_HUB_OFFLINE=1, HF_HOME, HF_HUB_CACHE.\n",
    )
    .action(async (model: string, flags: PullFlags) => {
      const result = await pull(model, {
        include: flags.include ?? [],
        quiet: Boolean(flags.quiet) || Boolean(flags.json),
        ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
        ...(flags.offline ? { offline: true } : {}),
      });
      const path = mainPath(result);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...result, path }, null, 2)}\n`);
        return;
      }
      const width = Math.max(...result.files.map((file) => file.path.length));
      const lines = result.files.map((file) => `  ${file.path.padEnd(width)}  ${formatBytes(file.size).padStart(9)}  ${file.downloaded ? "downloaded" : "cached"}`);
      process.stdout.write(
        `${result.repo}@${result.revision} (commit ${result.commit.slice(0, 10)}${result.offline ? ", from the cache only" : ""})\n` +
          `${lines.join("\n")}\n` +
          `snapshot: ${result.snapshotPath}\n` +
          `path:     ${path}\n`,
      );
    });
}
