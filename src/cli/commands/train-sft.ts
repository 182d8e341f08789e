// `dusk train sft`: supervised fine-tuning of a checkpoint on instruction data (Alpaca, OpenOrca, message lists,
// prompt/completion, question/answer; files or a Hub dataset), with the loss on the assistant's tokens only.
import type { Command } from "commander";
import { SFT_FORMATS, sft, type SftOptions } from "../../train/index.js";
import { addFineTuneOptions, change, runFacts, runFineTune, type FineTuneCliOptions } from "./train-finetune.js";

/** Registers `dusk train sft` under `dusk train`. */
export function register(train: Command): void {
  const command = train
    .command("sft")
    .description("supervised fine-tuning of a checkpoint on instruction data, the loss on the assistant's tokens only");
  addFineTuneOptions(command, { epochs: 3, lr: "1e-3", batch: "examples" })
    .option("--packing", "pack short examples back to back into rows of --seq-len (default: one example per row)")
    .addHelpText(
      "after",
      `\nFormats (--format; detected when left out): ${SFT_FORMATS.join(", ")}.\n` +
        "  alpaca: instruction, input, output    openorca: system_prompt, question, response\n" +
        "  messages: messages [{role, content}] or conversations [{from, value}]\n" +
        "  prompt-completion: prompt, completion    question-answer: question, answer (GSM8K, dusk data synth math)\n" +
        "\nExamples:\n  dusk data synth math --steps 1 --digits 1 --ops +,- -o math\n" +
        "  dusk train sft --model runs/tiny/final --data math/train.jsonl --eval-data math/test.jsonl --max-steps 300 -o runs/sft\n" +
        "  dusk train sft --model runs/tiny/final --data tatsu-lab/alpaca --template solar --packing -o runs/alpaca\n" +
        "  dusk train sft --resume -o runs/sft\n",
    )
    .action(async (o: FineTuneCliOptions & { packing?: boolean }) => {
      await runFineTune(o, o.packing ? { packing: true } : {}, (options) => sft(options as SftOptions), (result) => [
        `${result.completed ? "finished" : "stopped"} at step ${result.step}: ${result.trainExamples} examples (${result.format}, template ${result.template}), ${runFacts(result)}`,
        change(result.evals, "held_out_loss"),
        change(result.evals, "exact_match", true),
        result.skippedRows + result.tooLong.length > 0 ? `left out ${result.skippedRows} bad rows; ${result.tooLong.filter((p) => p.action === "truncated").length} truncated and ${result.tooLong.filter((p) => p.action === "skipped").length} skipped for length` : undefined,
        `checkpoint: ${result.checkpoint ?? "none"}`,
      ]);
    });
}
