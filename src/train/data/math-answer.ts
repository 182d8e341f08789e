// Exact-match checking of worked answers by GSM8K's convention: the final answer is the number after the first
// `#### `, commas removed. This duplicates the few lines of src/eval/metrics.ts's extractGsm8kAnswer on purpose:
// the train layer may not import eval (ARCHITECTURE.md), and training needs the check to measure its progress.

import { InvalidArgumentError } from "../../common/index.js";

/** The GSM8K answer marker, as the 2023 harness matched it. */
const ANSWER = /#### (-?[0-9.,]+)/;

/**
 * The final answer of a worked answer as a canonical number string ("1,234" → "1234", "72.0" → "72", "5." → "5"),
 * or undefined when the text has no `#### <number>`.
 */
export function extractAnswer(text: string): string | undefined {
  const match = ANSWER.exec(text);
  if (!match) return undefined;
  const digits = (match[1] ?? "").replaceAll(",", "").replace(/\.$/, "");
  const value = Number(digits);
  return digits !== "" && digits !== "-" && Number.isFinite(value) ? String(value) : undefined;
}

/** A reference: a number, a worked answer, or a row of the synthetic data (SFT, Alpaca or DPO). */
export type MathReference = number | string | { readonly answer: string } | { readonly output: string } | { readonly chosen: string };

function referenceText(reference: MathReference): string {
  if (typeof reference === "number") return `#### ${reference}`;
  if (typeof reference === "string") return reference;
  if ("answer" in reference) return reference.answer;
  if ("output" in reference) return reference.output;
  return reference.chosen;
}

/** True when `text`'s `#### <number>` equals the reference's (exact match of the canonical numbers). */
export function isCorrect(text: string, reference: MathReference): boolean {
  const expected = extractAnswer(referenceText(reference));
  if (expected === undefined) {
    throw new InvalidArgumentError(`expected a reference answer ending in "#### <number>" but got ${JSON.stringify(referenceText(reference).slice(-40))}`, {
      hint: "compare against a row of `dusk data synth math` or a GSM8K-style answer",
    });
  }
  return extractAnswer(text) === expected;
}
