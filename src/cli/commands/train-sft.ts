// `dusk train sft`: supervised fine-tuning of a checkpoint on instruction data (Alpaca, OpenOrca, message lists,
// prompt/completion, question/answer; files or a Hub dataset), with the loss on the assistant's tokens only.
import type { Command } from "commander";
import { formatBytes, formatDuration } from "../../common/index.js";
import { SFT_FORMATS, formatMetrics, sft, type EvalPoint, type SftOptions } from "../../train/index.js";
import { addFineTuneOptions, fineTuneLibraryOptions, type FineTuneCliOptions } from "./train-finetune.js";
import { logTo, withInterrupt } from "./train-options.js";

/** "start → end" of an evaluation metric over a run, when both ends have it. */
export function change(evals: readonly EvalPoint[], metric: string, percent = false): string | undefined {
  const points = evals.filter((e) => e[metric] !== undefined);
  const first = points[0]?.[metric], last = points.at(-1)?.[metric];
  if (first === undefined || last === undefined || points.length < 2) return undefined;
  const show = (v: number): string => (percent ? `${(v * 100).toFixed(1)}%` : v.toFixed(4));
  return `${metric.replaceAll("_", " ")} ${show(first)} → ${show(last)} (step ${points[0]?.step} → ${points.at(-1)?.step})`;
}

/** The line of an --eval-only run: the model's held-out numbers. */
export function evalOnlyLine(model: string | undefined, evals: readonly EvalPoint[]): string {
  const { step: _step, ...metrics } = evals.at(-1) ?? { step: 0 };
  return `held-out evaluation of ${model ?? "the checkpoint"}: ${Object.keys(metrics).length > 0 ? formatMetrics(metrics) : "no held-out data"}`;
}

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
      const base = await fineTuneLibraryOptions(o);
      await withInterrupt(async (signal) => {
        const options = { ...base, ...(o.packing ? { packing: true } : {}), log: logTo(o.json), progress: !o.json && Boolean(process.stderr.isTTY), signal } as SftOptions;
        const result = await sft(options);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        if (o.evalOnly) {
          process.stdout.write(`${evalOnlyLine(o.model ?? o.resume?.toString(), result.evals)}\n`);
          return;
        }
        const lines = [
          `${result.completed ? "finished" : "stopped"} at step ${result.step}: ${result.trainExamples} examples (${result.format}, template ${result.template}), ${result.parameters} parameters on ${result.backend}, ` +
            `${Math.round(result.tokensPerSecond)} tok/s, peak memory ${formatBytes(result.memory.peak)}, ${formatDuration(result.seconds)}`,
          change(result.evals, "held_out_loss"),
          change(result.evals, "exact_match", true),
          result.skippedRows + result.tooLong.length > 0 ? `left out ${result.skippedRows} bad rows; ${result.tooLong.filter((p) => p.action === "truncated").length} truncated and ${result.tooLong.filter((p) => p.action === "skipped").length} skipped for length` : undefined,
          `checkpoint: ${result.checkpoint ?? "none"}`,
        ];
        process.stdout.write(`${lines.filter((l) => l !== undefined).join("\n")}\n`);
      });
    });
}
