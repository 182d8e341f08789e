// GSM8K (gsm8k, main): "Question: {question}\nAnswer:", target " " + the worked solution, 5 shots from train,
// greedy generation of at most 256 tokens stopped at the profile's strings (the 2023 harness also stops at ":"),
// answer = the "#### <number>" extraction compared with the reference's.
import { z } from "zod";
import { DataFormatError } from "../errors.js";
import { extractGsm8kAnswer, flexibleExtractGsm8k, normalizeGsm8kExactMatch, strictMatchGsm8k } from "../metrics.js";
import { parseRowWith } from "./common.js";
import type { TaskDefinition } from "./types.js";

const Gsm8kRow = z.object({ question: z.string(), answer: z.string() });

/** A GSM8K doc. */
export interface Gsm8kDoc {
  question: string;
  answer: string;
}

/** The number of new tokens the harness allowed. */
export const GSM8K_MAX_TOKENS = 256;

/** Cuts generated text at the earliest occurrence of any stop string (the harness split on each in turn). */
export function cutAtStops(text: string, until: readonly string[]): string {
  let out = text;
  for (const stop of until) if (stop !== "") out = out.split(stop)[0] ?? "";
  return out;
}

/** GSM8K as the 2023 harness scored it (and lm-eval 0.4, under its profile). */
export const gsm8k: TaskDefinition<Gsm8kDoc> = {
  name: "gsm8k",
  family: "gsm8k",
  dataset: { folder: "gsm8k", hubId: "gsm8k", hubConfig: "main", configPattern: /(^|[/_-])main([/_.-]|$)/i },
  evalSplit: "test",
  fewshot: { split: "train", sampler: "random" },
  defaultShots: 5,
  headline: "acc",
  version: 0,
  parseRow(row, where) {
    const r = parseRowWith(Gsm8kRow, row, where);
    if (extractGsm8kAnswer(r.answer) === "[invalid]") {
      throw new DataFormatError(where, 'a reference answer ending in "#### <number>"', JSON.stringify(r.answer.slice(-40)));
    }
    return r;
  },
  description: () => "",
  docToText: (doc) => `Question: ${doc.question}\nAnswer:`,
  docToTarget: (doc) => ` ${doc.answer}`,
  requests: (_doc, context, profile) => [{ kind: "generate", context, until: [...profile.gsm8kUntil], maxTokens: GSM8K_MAX_TOKENS }],
  score(doc, results, profile) {
    const result = results[0];
    if (result?.kind !== "generate") throw new TypeError("expected a generation result for gsm8k");
    const text = cutAtStops(result.text, profile.gsm8kUntil);
    if (profile.name === "lm-eval-0.4") {
      const reference = normalizeGsm8kExactMatch(doc.answer);
      const strict = strictMatchGsm8k(text);
      const flexible = flexibleExtractGsm8k(text);
      return {
        metrics: {
          "exact_match,strict-match": normalizeGsm8kExactMatch(strict) === reference ? 1 : 0,
          "exact_match,flexible-extract": normalizeGsm8kExactMatch(flexible) === reference ? 1 : 0,
        },
        prediction: strict,
        gold: reference,
      };
    }
    const gold = extractGsm8kAnswer(doc.answer);
    const prediction = extractGsm8kAnswer(text);
    return { metrics: { acc: prediction === gold ? 1 : 0 }, prediction, gold };
  },
};
