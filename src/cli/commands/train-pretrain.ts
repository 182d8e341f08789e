// `dusk train pretrain`: pretrains a small Llama model (from a preset or config.json) or continues pretraining
// any Llama checkpoint (e.g. `dusk upscale`'s output) on bundled corpora or text files, with checkpoints,
// held-out evaluation and exact --resume. Ctrl-C saves a checkpoint first.
import type { Command } from "commander";
import { formatBytes, formatDuration } from "../../common/index.js";
import { BUNDLED_CORPORA, pretrain, type PretrainOptions } from "../../train/index.js";
import { BACKENDS, given, integer, logTo, oneOf, positive as number, withInterrupt } from "./train-options.js";

interface PretrainCliOptions {
  output: string; config?: string; model?: string; tokenizer?: string; corpus?: string[]; resume?: string | true; maxSteps?: number; batchSize?: number;
  seqLen?: number; lr?: number; warmup?: number; gradAccum?: number; evalEvery?: number; saveEvery?: number; seed?: number; threads?: number;
  heldOut?: number; stopAt?: number; cacheDir?: string; logEvery?: number; backend?: "native" | "wasm"; json?: boolean;
}

/** Registers `dusk train pretrain` under `dusk train`. */
export function register(train: Command): void {
  train
    .command("pretrain")
    .description("pretrain a Llama model, or continue pretraining a checkpoint, on text (checkpoints as Hugging Face folders)")
    .argument("[files...]", "text files to train on (added to --corpus)")
    .requiredOption("-o, --output <folder>", "folder for checkpoint-<step>/ and final/")
    .option("--config <preset|file>", "tiny, small (the bench model) or a config.json for a fresh model (default: tiny)")
    .option("--model <folder>", "a Llama checkpoint folder to continue pretraining (e.g. dusk upscale's output)")
    .option("--tokenizer <path>", "tokenizer folder, tokenizer.json or .gguf (default: the model's, else trained on the corpus)")
    .option("--corpus <names...>", `bundled corpora: ${Object.keys(BUNDLED_CORPORA).join(", ")} (default: brown)`)
    .option("--resume [checkpoint]", "resume a run (default: the latest checkpoint-<step> under --output)")
    .option("--max-steps <n>", "optimizer steps of the whole run (default 1000)", integer("max-steps", 1))
    .option("--batch-size <n>", "sequences per micro-batch (default 8)", integer("batch-size", 1))
    .option("--seq-len <n>", "tokens per sequence (default 128)", integer("seq-len", 1))
    .option("--lr <x>", "peak learning rate (default 1e-3; cosine decay to lr/10)", number("lr"))
    .option("--warmup <n>", "linear warmup steps (default 50)", integer("warmup", 0))
    .option("--grad-accum <n>", "micro-batches per optimizer step (default 1)", integer("grad-accum", 1))
    .option("--eval-every <n>", "steps between held-out evaluations, 0 for only at the end (default 100)", integer("eval-every", 0))
    .option("--save-every <n>", "steps between checkpoints, 0 for only final/ (default 500)", integer("save-every", 0))
    .option("--seed <n>", "seed of the initial weights and the batch order (default 0)", integer("seed", 0))
    .option("--threads <n>", "compute threads (default: all cores for native, 1 for wasm)", integer("threads", 1))
    .option("--held-out <fraction>", "fraction of the tokens (the last ones) held out for evaluation (default 0.05)", number("held-out"))
    .option("--stop-at <step>", "stop after this step with a checkpoint, keeping the schedule of --max-steps", integer("stop-at", 0))
    .option("--log-every <n>", "steps between log lines (default 10)", integer("log-every", 1))
    .option("--cache-dir <folder>", "cache of token files and trained tokenizers (default .dusk-cache)")
    .option("--backend <name>", "kernel backend: native or wasm (default: DUSK_BACKEND, else native if built, else wasm)", oneOf("backend", BACKENDS))
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  dusk train pretrain --config tiny --corpus brown --max-steps 300 -o runs/tiny\n" +
        "  dusk train pretrain --model ./upscaled --corpus sotu moby-dick --lr 3e-4 --max-steps 200 -o runs/cpt\n" +
        "  dusk train pretrain --resume -o runs/tiny\n  dusk train pretrain --config my-config.json notes/*.txt --seq-len 256 -o runs/mine\n",
    )
    .action(async (files: string[], o: PretrainCliOptions) => {
      const sources = [...(o.corpus ?? []), ...files];
      await withInterrupt(async (signal) => {
        const options: PretrainOptions = {
          output: o.output, log: logTo(o.json), progress: !o.json && Boolean(process.stderr.isTTY), signal,
          ...(sources.length > 0 ? { sources } : {}),
          ...given(o, ["config", "model", "tokenizer", "resume", "maxSteps", "batchSize", "seqLen", "lr", "warmup", "gradAccum", "evalEvery", "saveEvery", "seed", "threads", "heldOut", "stopAt", "cacheDir", "logEvery", "backend"]),
        };
        const result = await pretrain(options);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const last = result.evals.at(-1);
        process.stdout.write(
          `${result.completed ? "finished" : "stopped"} at step ${result.step}: ${result.parameters} parameters on ${result.backend}, ${Math.round(result.tokensPerSecond)} tok/s, ` +
            `peak memory ${formatBytes(result.memory.peak)}, ${formatDuration(result.seconds)}` +
            (last !== undefined ? `; held-out loss ${last.loss.toFixed(4)} (perplexity ${last.perplexity.toFixed(2)})` : "") +
            `\ncheckpoint: ${result.checkpoint ?? "none"}\n`,
        );
      });
    });
}
