// Helpers shared by the task files: row validation with zod (messages naming the field), and the multiple-choice
// scoring of the 2023 harness (choices scored as " " + choice; acc and acc_norm).
import type { z } from "zod";
import { DataFormatError } from "../errors.js";
import { accuracy, argmax, codePointLength, normalizedAccuracy } from "../metrics.js";
import type { DocScore, LoglikelihoodResult, Request, RequestResult } from "./types.js";

/** Validates one Hub-schema row; a mismatch becomes a DataFormatError naming the row and the field. */
export function parseRowWith<T>(schema: z.ZodType<T>, row: unknown, where: string): T {
  const parsed = schema.safeParse(row);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : "the row";
  const found = issue ? issue.message.replace(/^Invalid input: /, "") : "an invalid row";
  throw new DataFormatError(where, `the task's Hub row schema (field ${field})`, found);
}

/** A multiple-choice doc as the 2023 harness's MultipleChoiceTask held it. */
export interface MultipleChoiceDoc {
  query: string;
  choices: string[];
  gold: number;
}

/** One log-likelihood request per choice: context, then " " + choice. */
export function choiceRequests(context: string, choices: readonly string[]): Request[] {
  return choices.map((choice) => ({ kind: "loglikelihood", context, continuation: ` ${choice}` }));
}

/** The log-likelihood results, checked to be log-likelihood results. */
export function logliksOf(results: readonly RequestResult[]): number[] {
  return results.map((r) => {
    if (r.kind !== "loglikelihood") throw new TypeError("expected log-likelihood results for a multiple-choice task");
    return r.logprob;
  });
}

/** The log-likelihood results with their token counts. */
export function loglikResultsOf(results: readonly RequestResult[]): LoglikelihoodResult[] {
  return results.map((r) => {
    if (r.kind !== "loglikelihood") throw new TypeError("expected log-likelihood results");
    return r;
  });
}

/** acc and acc_norm for a multiple-choice doc; the prediction is the choice the headline metric picks. */
export function scoreMultipleChoice(doc: MultipleChoiceDoc, results: readonly RequestResult[], headline: "acc" | "acc_norm"): DocScore {
  const logliks = logliksOf(results);
  const acc = accuracy(logliks, doc.gold);
  const accNorm = normalizedAccuracy(logliks, doc.choices, doc.gold);
  const prediction = headline === "acc" ? argmax(logliks) : argmax(logliks.map((ll, i) => ll / codePointLength(doc.choices[i] ?? "")));
  return { metrics: { acc, acc_norm: accNorm }, prediction, gold: doc.gold };
}

/** The mean log-probability per token (llama.cpp's scores); -Infinity for an empty continuation. */
export function meanLogprob(result: LoglikelihoodResult): number {
  return result.tokenCount > 0 ? result.logprob / result.tokenCount : Number.NEGATIVE_INFINITY;
}
