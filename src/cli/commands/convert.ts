// `dusk convert <input> -o <output>`: a Hugging Face Llama checkpoint folder to GGUF (F32, F16, BF16, Q8_0), or a
// GGUF (F32, F16, BF16, Q8_0) to a checkpoint folder, with the rope permutation and the tokenizer.
import type { Command } from "commander";
import { formatBytes, parseByteSize } from "../../common/index.js";
import { CONVERT_TYPES, convertModel } from "../../convert/index.js";
import { resolveModel } from "../resolve.js";

/** Registers `dusk convert`. */
export function register(program: Command): void {
  program
    .command("convert")
    .description("convert a Llama model between a Hugging Face checkpoint folder and GGUF (either direction)")
    .argument("<input>", "a checkpoint folder (→ GGUF) or a .gguf file (→ checkpoint folder), or a Hub id")
    .requiredOption("-o, --output <path>", "a .gguf file for a folder input, a folder for a GGUF input")
    .option("--type <type>", `weight type: ${CONVERT_TYPES.join(", ")} for GGUF; F32, F16 or BF16 for a checkpoint (default: as the input; Q8_0 becomes F32)`)
    .option("--name <name>", "general.name of a GGUF output (default: the folder's name)")
    .option("--shard-size <size>", "largest safetensors shard of a checkpoint output, e.g. 5G")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExamples:\n  dusk convert ./my-checkpoint -o model.gguf --type Q8_0\n  dusk convert model.Q8_0.gguf -o ./checkpoint\n  dusk convert ./trained -o trained-f16.gguf --type F16\n")
    .action(async (input: string, options: { output: string; type?: string; name?: string; shardSize?: string; json?: boolean }) => {
      const summary = await convertModel({
        input: await resolveModel(input),
        output: options.output,
        type: options.type,
        name: options.name,
        shardMaxBytes: options.shardSize === undefined ? undefined : parseByteSize(options.shardSize),
        progress: !options.json,
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const types = Object.entries(summary.types).map(([type, count]) => `${count} ${type}`).join(", ");
      const direction = summary.direction === "checkpoint-to-gguf" ? "checkpoint → GGUF" : "GGUF → checkpoint";
      process.stdout.write(
        `converted ${direction}: ${summary.tensors} tensors (${types}), ${formatBytes(summary.bytes)}, ${summary.permuted} q/k tensors permuted\n` +
          `tokenizer: ${summary.tokenizer.model} (${summary.direction === "checkpoint-to-gguf" ? "from" : "wrote"} ${summary.tokenizer.from})\n` +
          `wrote ${summary.files.join(", ")}\n`,
      );
      for (const warning of summary.warnings) process.stderr.write(`dusk: warning: ${warning}\n`);
    });
}
