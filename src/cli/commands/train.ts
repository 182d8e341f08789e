// `dusk train <what>`: the training commands, one subcommand each (tokenizer, pretrain, sft, dpo).
// Each subcommand is a file train-<name>.ts exporting `register(train)`; adding one is one line in SUBCOMMANDS.
import type { Command } from "commander";
import { register as tokenizer } from "./train-tokenizer.js";
import { register as pretrain } from "./train-pretrain.js";
import { register as sft } from "./train-sft.js";
import { register as dpo } from "./train-dpo.js";

/** The subcommands of `dusk train`, in the order `dusk train --help` lists them. */
const SUBCOMMANDS: ((train: Command) => void)[] = [tokenizer, pretrain, sft, dpo];

/** Registers `dusk train` and its subcommands. */
export function register(program: Command): void {
  const train = program
    .command("train")
    .description("train a tokenizer or a model")
    .addHelpText(
      "after",
      "\nExamples:\n  dusk train tokenizer --vocab-size 4096 --corpus brown -o ./tokenizer\n  dusk train pretrain --config tiny --corpus brown --max-steps 300 -o runs/tiny\n" +
        "  dusk train sft --model runs/tiny/final --data math/train.jsonl -o runs/sft\n  dusk train dpo --model runs/sft/final --data math/dpo_train.jsonl -o runs/dpo\n",
    );
  for (const add of SUBCOMMANDS) add(train);
}
