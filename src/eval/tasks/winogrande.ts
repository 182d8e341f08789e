// Winogrande (winogrande, winogrande_xl) with partial scoring: for each option, the context is the few-shot
// block followed by sentence[:i] + option (i = index of "_"), the continuation " " + sentence[i+1:].strip(); acc
// compares the two sums. Under the llamacpp profile: llama.cpp's whole-sentence scoring (see tokenize-llamacpp.ts).
import { z } from "zod";
import { DataFormatError } from "../errors.js";
import { argmax } from "../metrics.js";
import { pyStrip } from "../pystr.js";
import { logliksOf, loglikResultsOf, meanLogprob, parseRowWith } from "./common.js";
import type { Request, TaskDefinition } from "./types.js";

const WinograndeRow = z.object({
  sentence: z.string(),
  option1: z.string(),
  option2: z.string(),
  answer: z.union([z.string(), z.number()]),
});

/** A Winogrande doc. */
export interface WinograndeDoc {
  sentence: string;
  options: [string, string];
  /** 0 or 1 (the Hub's answer "1" or "2" minus one). */
  gold: number;
}

/** sentence[:i] + option, where i is the index of "_". */
export function partialContext(doc: WinograndeDoc, option: string): string {
  return doc.sentence.slice(0, doc.sentence.indexOf("_")) + option;
}

/** " " + everything after "_", stripped. */
export function partialTarget(doc: WinograndeDoc): string {
  return ` ${pyStrip(doc.sentence.slice(doc.sentence.indexOf("_") + 1))}`;
}

/** Replaces the last "\n\n"-separated piece of the full context (the query) with `partial` (the 2023 append_context). */
export function appendPartialContext(context: string, partial: string): string {
  const pieces = context.split("\n\n");
  pieces.pop();
  return pieces.length > 0 ? [...pieces, partial].join("\n\n") : partial;
}

/** Winogrande as the 2023 harness scored it. */
export const winogrande: TaskDefinition<WinograndeDoc> = {
  name: "winogrande",
  family: "winogrande",
  dataset: { folder: "winogrande", hubId: "winogrande", hubConfig: "winogrande_xl", configPattern: /winogrande_xl|(^|[/_-])xl([/_.-]|$)/i },
  evalSplit: "validation",
  fewshot: { split: "train", sampler: "random" },
  defaultShots: 5,
  headline: "acc",
  version: 0,
  parseRow(row, where) {
    const r = parseRowWith(WinograndeRow, row, where);
    const answer = String(r.answer).trim();
    if (answer !== "1" && answer !== "2") {
      throw new DataFormatError(where, 'an answer "1" or "2"', JSON.stringify(r.answer), {
        hint: "the Hub's Winogrande test split has no answers: evaluate on validation",
      });
    }
    if (!r.sentence.includes("_")) throw new DataFormatError(where, 'a sentence with a "_" blank', JSON.stringify(r.sentence));
    return { sentence: r.sentence, options: [r.option1, r.option2], gold: answer === "1" ? 0 : 1 };
  },
  description: () => "",
  docToText: (doc) => partialContext(doc, doc.options[doc.gold] ?? ""),
  docToTarget: (doc) => partialTarget(doc),
  requests(doc, context, profile): Request[] {
    if (profile.tokenization === "llamacpp") {
      // llama.cpp: first + choice as the context, the rest of the sentence (unstripped, no added space) as continuation.
      const after = doc.sentence.slice(doc.sentence.indexOf("_") + 1);
      return doc.options.map((option) => ({ kind: "loglikelihood", context: partialContext(doc, option), continuation: after }));
    }
    const target = partialTarget(doc);
    return doc.options.map((option) => ({
      kind: "loglikelihood",
      context: appendPartialContext(context, partialContext(doc, option)),
      continuation: target,
    }));
  },
  score(doc, results, profile) {
    if (profile.tokenization === "llamacpp") {
      // llama.cpp picks option 1 only when its mean is strictly larger.
      const [first, second] = loglikResultsOf(results).map(meanLogprob) as [number, number];
      const prediction = first > second ? 0 : 1;
      return { metrics: { acc: prediction === doc.gold ? 1 : 0 }, prediction, gold: doc.gold };
    }
    const prediction = argmax(logliksOf(results));
    return { metrics: { acc: prediction === doc.gold ? 1 : 0 }, prediction, gold: doc.gold };
  },
};
