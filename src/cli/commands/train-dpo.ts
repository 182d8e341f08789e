// `dusk train dpo`: Direct Preference Optimization of a checkpoint on prompt/chosen/rejected pairs against a frozen
// reference (the starting checkpoint unless --reference names another), logging loss and rewards.
import type { Command } from "commander";
import { PAIR_FORMATS, dpo, type DpoOptions } from "../../train/index.js";
import { addFineTuneOptions, change, runFacts, runFineTune, type FineTuneCliOptions } from "./train-finetune.js";
import { given, nonNegative, positive } from "./train-options.js";

/** Registers `dusk train dpo` under `dusk train`. */
export function register(train: Command): void {
  const command = train
    .command("dpo")
    .description("align a checkpoint on preference pairs with DPO (loss −log σ(β[(log π(c) − log π_ref(c)) − (log π(r) − log π_ref(r))]))");
  addFineTuneOptions(command, { epochs: 1, lr: "5e-5", batch: "pairs" })
    .option("--beta <x>", "β, the strength of the pull towards the reference (default 0.1)", positive("beta"))
    .option("--rpo-alpha <x>", "add α × the chosen answers' token cross-entropy to the loss (RPO; keeps chosen answers likely; default 0, plain DPO)", nonNegative("rpo-alpha"))
    .option("--reference <checkpoint>", "the reference model (default: the starting checkpoint); its log-probabilities are computed once and cached in --output")
    .addHelpText(
      "after",
      `\nFormats (--format; detected when left out): ${PAIR_FORMATS.join(", ")}.\n` +
        "  prompt-chosen-rejected: prompt, chosen, rejected (strings; optional system)\n" +
        "  orca-dpo: system, question, chosen, rejected (Intel/orca_dpo_pairs)\n" +
        "  messages: chosen and rejected as message lists ending in the answer (HuggingFaceH4/ultrafeedback_binarized)\n" +
        "\nLogged: loss, reward accuracy (chosen reward above rejected), reward margin, chosen and rejected rewards (β(log π − log π_ref));\n" +
        "held-out evaluations add preference accuracy (log π(chosen) > log π(rejected)) and exact match for worked answers.\n" +
        "\nExamples:\n  dusk train dpo --model runs/sft/final --data math/dpo_train.jsonl --eval-data math/dpo_test.jsonl --max-steps 100 -o runs/dpo\n" +
        "  dusk train dpo --model runs/sft/final --data math/dpo_train.jsonl --beta 0.5 --lr 1e-4 --rpo-alpha 1 -o runs/rpo\n" +
        "    (on worked answers, plain DPO can lower the chosen answers' likelihood and exact match; the README's math run\n" +
        "     kept exact match and raised preference accuracy with these settings)\n" +
        "  dusk train dpo --model runs/sft/final --data Intel/orca_dpo_pairs --beta 0.1 -o runs/orca-dpo\n",
    )
    .action(async (o: FineTuneCliOptions & { beta?: number; rpoAlpha?: number; reference?: string }) => {
      await runFineTune(o, given(o, ["beta", "rpoAlpha", "reference"]), (options) => dpo(options as DpoOptions), (result) => [
        `${result.completed ? "finished" : "stopped"} at step ${result.step}: ${result.trainPairs} pairs (${result.format}, template ${result.template}), ${runFacts(result)}`,
        change(result.evals, "loss"),
        change(result.evals, "reward_accuracy", true),
        change(result.evals, "preference_accuracy", true),
        change(result.evals, "exact_match", true),
        `reference: ${result.reference}${result.referenceCached ? " (log-probabilities from the cache)" : ""}`,
        `checkpoint: ${result.checkpoint ?? "none"}`,
      ]);
    });
}
