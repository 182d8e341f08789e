// HellaSwag (Rowan/hellaswag): query preprocess(activity_label + ": " + ctx_a + " " + capitalize(ctx_b)), choices
// " " + preprocess(ending), 10 shots from train, headline acc_norm. Under the llamacpp profile: llama.cpp's context
// line (activity_label + ": " + ctx, preprocessed) and the mean log-probability per token after the common prefix.
import { z } from "zod";
import { DataFormatError } from "../errors.js";
import { argmax } from "../metrics.js";
import { pyCapitalize, pyReplace, pyStrip } from "../pystr.js";
import { choiceRequests, loglikResultsOf, meanLogprob, parseRowWith, scoreMultipleChoice, type MultipleChoiceDoc } from "./common.js";
import type { TaskDefinition } from "./types.js";

const HellaswagRow = z.object({
  activity_label: z.string(),
  ctx_a: z.string(),
  ctx_b: z.string(),
  ctx: z.string().optional(),
  endings: z.array(z.string()),
  label: z.union([z.string(), z.number()]),
});

/** The 2023 harness's HellaSwag preprocessing: strip; " [title]" → ". "; drop every [...]; "  " → " " in one pass. */
export function preprocessHellaswag(text: string): string {
  let out = pyStrip(text);
  out = pyReplace(out, " [title]", ". ");
  out = out.replace(/\[[^\n]*?\]/g, ""); // Python's "." stops only at "\n"
  out = pyReplace(out, "  ", " ");
  return out;
}

/** A HellaSwag doc: the harness's query and choices, plus llama.cpp's context line. */
export interface HellaswagDoc extends MultipleChoiceDoc {
  /** llama.cpp's context: preprocess(activity_label + ": " + ctx). */
  llamaContext: string;
  /** True for docs read from llama.cpp's text format, which only the llamacpp profile can score. */
  llamaOnly: boolean;
}

const LlamaCppRow = z.object({ format: z.literal("llamacpp"), context: z.string(), label: z.string(), endings: z.array(z.string()).length(4) });

/** HellaSwag as the 2023 harness scored it (and llama.cpp, under its profile). */
export const hellaswag: TaskDefinition<HellaswagDoc> = {
  name: "hellaswag",
  family: "hellaswag",
  dataset: { folder: "hellaswag", hubId: "Rowan/hellaswag", hubConfig: undefined, configPattern: undefined },
  evalSplit: "validation",
  fewshot: { split: "train", sampler: "random" },
  defaultShots: 10,
  headline: "acc_norm",
  version: 0,
  parseRow(row, where) {
    if ((row as { format?: unknown } | null)?.format === "llamacpp") {
      const r = parseRowWith(LlamaCppRow, row, where);
      const gold = Number(r.label);
      if (!/^[0-3]$/.test(r.label.trim())) throw new DataFormatError(where, "a gold index 0..3 on the second line of the task", JSON.stringify(r.label));
      return { query: r.context, choices: r.endings, gold, llamaContext: r.context, llamaOnly: true };
    }
    const r = parseRowWith(HellaswagRow, row, where);
    const gold = typeof r.label === "number" ? r.label : r.label.trim() === "" ? Number.NaN : Number(r.label);
    if (!Number.isInteger(gold) || gold < 0 || gold >= r.endings.length) {
      throw new DataFormatError(where, `a label between 0 and ${r.endings.length - 1}`, JSON.stringify(r.label), {
        hint: "the Hub's HellaSwag test split has no labels: evaluate on validation",
      });
    }
    const ctx = r.ctx ?? `${r.ctx_a} ${r.ctx_b}`;
    return {
      query: preprocessHellaswag(`${r.activity_label}: ${r.ctx_a} ${pyCapitalize(r.ctx_b)}`),
      choices: r.endings.map(preprocessHellaswag),
      gold,
      llamaContext: preprocessHellaswag(`${r.activity_label}: ${ctx}`),
      llamaOnly: false,
    };
  },
  description: () => "",
  docToText: (doc) => doc.query,
  docToTarget: (doc) => ` ${doc.choices[doc.gold] ?? ""}`,
  requests(doc, context, profile) {
    if (profile.tokenization === "llamacpp") return choiceRequests(doc.llamaContext, doc.choices);
    if (doc.llamaOnly) {
      throw new DataFormatError("hellaswag", "Hub-schema rows (activity_label, ctx_a, ctx_b, endings, label)", "llama.cpp's text format", {
        hint: "llama.cpp's HellaSwag text can only be scored with --profile llamacpp",
      });
    }
    return choiceRequests(context, doc.choices);
  },
  score(doc, results, profile) {
    if (profile.tokenization !== "llamacpp") return scoreMultipleChoice(doc, results, "acc_norm");
    const means = loglikResultsOf(results).map(meanLogprob);
    const prediction = argmax(means);
    return { metrics: { acc_norm: prediction === doc.gold ? 1 : 0 }, prediction, gold: doc.gold };
  },
};
