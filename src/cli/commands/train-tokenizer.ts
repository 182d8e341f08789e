// `dusk train tokenizer`: trains a byte-level BPE tokenizer (GPT-2 style, tokenizing exactly as llama.cpp does) on
// bundled corpora or text files and writes tokenizer.json, its config files and tokenizer.gguf into a folder.
import type { Command } from "commander";
import { InvalidArgumentError, formatDuration } from "../../common/index.js";
import { BUNDLED_CORPORA, trainTokenizer } from "../../train/index.js";
import { renderTable } from "../table.js";

const positive = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer for --${name} but got "${value}"`);
  return n;
};

/** Registers `dusk train tokenizer` under `dusk train`. */
export function register(train: Command): void {
  train
    .command("tokenizer")
    .description("train a byte-level BPE tokenizer on text (saved as tokenizer.json and tokenizer.gguf)")
    .requiredOption("-o, --output <folder>", "folder to write tokenizer.json, tokenizer_config.json, special_tokens_map.json and tokenizer.gguf into")
    .option("--vocab-size <n>", "vocabulary size in all: 6 special tokens + 256 bytes + merges", positive("vocab-size"), 4096)
    .option("--corpus <sources...>", `bundled corpora (${Object.keys(BUNDLED_CORPORA).join(", ")}) and/or text files`, ["brown"])
    .option("--chat-markers <tokens>", "comma-separated chat marker tokens after <unk>, <s>, </s>, <pad> (\"\" for none)", "<|im_start|>,<|im_end|>")
    .option("--min-frequency <n>", "never merge a pair seen fewer times", positive("min-frequency"), 2)
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExamples:\n  dusk train tokenizer --vocab-size 4096 -o ./tokenizer\n  dusk train tokenizer --corpus sotu moby-dick --vocab-size 8000 -o ./tok\n  dusk train tokenizer --corpus notes/*.txt --vocab-size 2000 -o ./tok\n")
    .action(async (options: { output: string; vocabSize: number; corpus: string[]; chatMarkers: string; minFrequency: number; json?: boolean }) => {
      const chatMarkers = options.chatMarkers.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
      const result = await trainTokenizer({
        corpus: options.corpus,
        vocabSize: options.vocabSize,
        output: options.output,
        chatMarkers,
        minFrequency: options.minFrequency,
        progress: !options.json,
      });
      const { vocab: _vocab, ...summary } = result;
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const rows = [
        ["source", "texts", "characters"],
        ...result.sources.map((s) => [s.source, String(s.texts), String(s.characters)]),
      ];
      process.stdout.write(renderTable(rows));
      const short = result.vocabSize < result.requestedVocabSize ? ` (asked ${result.requestedVocabSize}: no pair is frequent enough for more)` : "";
      process.stdout.write(
        `trained ${result.vocabSize} tokens${short}: ${result.specialTokens.length} special (${result.specialTokens.join(" ")}), 256 bytes, ${result.merges} merges, ` +
          `on ${result.words} words (${result.distinctWords} distinct) in ${formatDuration(result.seconds)}\n` +
          `wrote ${result.files.map((f) => `${result.output}/${f}`).join(", ")}\n`,
      );
    });
}
