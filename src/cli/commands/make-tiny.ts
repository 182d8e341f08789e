// `dusk make-tiny`: writes a tiny Llama model with random weights (for tests, demos and trying commands out).
import type { Command } from "commander";
import { InvalidArgumentError, formatBytes, parseByteSize } from "../../common/index.js";
import { QUANTIZABLE_TYPES, inspectModel, type QuantizableType } from "../../formats/index.js";
import { makeTinyModel } from "../../tiny/index.js";
import { stat } from "node:fs/promises";

const int = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer for --${name} but got "${value}"`);
  return n;
};

/** Registers `dusk make-tiny`. */
export function register(program: Command): void {
  program
    .command("make-tiny")
    .description("generate a tiny Llama model with random weights and a real tokenizer (GGUF file or safetensors checkpoint folder)")
    .requiredOption("-o, --output <path>", "output: a .gguf file, or a folder for a Hugging Face safetensors checkpoint (F32/F16/BF16)")
    .option("--shard-size <size>", "largest safetensors shard (checkpoint output), e.g. 1M")
    .option("--layers <n>", "layers", int("layers"), 4)
    .option("--hidden <n>", "hidden size (default 64; 256 for Q4_K)", int("hidden"))
    .option("--heads <n>", "attention heads", int("heads"), 4)
    .option("--kv-heads <n>", "key/value heads", int("kv-heads"), 2)
    .option("--ffn <n>", "feed-forward size (default 2 × hidden)", int("ffn"))
    .option("--context <n>", "context length", int("context"), 512)
    .option("--type <type>", `weight type: ${QUANTIZABLE_TYPES.join(", ")}`, "F32")
    .option("--vocab-from <gguf>", "copy the tokenizer of this GGUF (e.g. a Llama 2 vocabulary file); default: dusk's own small vocabulary")
    .option("--seed <n>", "random seed", int("seed"), 1)
    .option("--tied", "tie the output head to the token embedding")
    .addHelpText("after", "\nExamples:\n  dusk make-tiny -o tiny.gguf --layers 32\n  dusk make-tiny -o tiny-q4k.gguf --type Q4_K --layers 8\n  dusk make-tiny -o ./tiny-checkpoint --layers 32 --shard-size 1M\n")
    .action(async (options: { output: string; layers: number; hidden?: number; heads: number; kvHeads: number; ffn?: number; context: number; type: string; vocabFrom?: string; seed: number; tied?: boolean; shardSize?: string }) => {
      const type = options.type.toUpperCase();
      if (!(QUANTIZABLE_TYPES as readonly string[]).includes(type)) {
        throw new InvalidArgumentError(`expected --type to be one of ${QUANTIZABLE_TYPES.join(", ")} but got "${options.type}"`);
      }
      const model = await makeTinyModel({
        output: options.output,
        layers: options.layers,
        heads: options.heads,
        kvHeads: options.kvHeads,
        context: options.context,
        type: type as QuantizableType,
        seed: options.seed,
        tiedEmbeddings: Boolean(options.tied),
        ...(options.hidden !== undefined ? { hidden: options.hidden } : {}),
        ...(options.ffn !== undefined ? { ffn: options.ffn } : {}),
        ...(options.vocabFrom !== undefined ? { vocabFrom: options.vocabFrom } : {}),
        ...(options.shardSize !== undefined ? { shardMaxBytes: parseByteSize(options.shardSize) } : {}),
      });
      const info = await stat(model.path);
      const size = info.isDirectory() ? (await inspectModel(model.path)).fileBytes : info.size;
      const c = model.config;
      process.stdout.write(`wrote ${model.path} (${formatBytes(size)}): llama, ${c.layers} layers, hidden ${c.hidden}, ${c.heads} heads / ${c.kvHeads} KV, ffn ${c.ffn}, vocab ${c.vocab}, ${model.type}\n`);
    });
}
