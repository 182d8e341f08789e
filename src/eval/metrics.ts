// Metrics as the harnesses computed them: acc and acc_norm (length in code points), TruthfulQA mc1/mc2, GSM8K
// answer extraction (2023 and 0.4 rules), means with the sample standard error, and group aggregation.

/** Index of the largest value; ties go to the first (numpy.argmax). NaN counts as the largest, as in numpy. */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    const v = values[i] as number;
    const b = values[best] as number;
    if (Number.isNaN(b)) break;
    if (Number.isNaN(v) || v > b) best = i;
  }
  return best;
}

/** Length of a string in Unicode code points (Python's len), not UTF-16 units. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** acc: 1 when the gold choice has the largest log-likelihood. */
export function accuracy(logliks: readonly number[], gold: number): number {
  return argmax(logliks) === gold ? 1 : 0;
}

/** acc_norm: log-likelihood divided by the choice's length in code points (choices without their leading space). */
export function normalizedAccuracy(logliks: readonly number[], choices: readonly string[], gold: number): number {
  const normalized = logliks.map((ll, i) => ll / codePointLength(choices[i] ?? ""));
  return argmax(normalized) === gold ? 1 : 0;
}

/** TruthfulQA mc1: the first mc1 choice is the right one. */
export function mc1(logliks: readonly number[]): number {
  return argmax(logliks) === 0 ? 1 : 0;
}

/**
 * TruthfulQA mc2: probability mass of the true choices over all choices. "before-first-false" (the 2023 rule)
 * counts as true only the choices before the first label 0; "label-mask" uses the labels themselves.
 * Computed with the largest log-likelihood subtracted first (same value, no underflow to 0/0).
 */
export function mc2(logliks: readonly number[], labels: readonly number[], rule: "before-first-false" | "label-mask"): number {
  const firstFalse = labels.indexOf(0);
  const isTrue = (i: number): boolean => (rule === "label-mask" ? labels[i] === 1 : firstFalse === -1 || i < firstFalse);
  const top = Math.max(...logliks);
  let trueMass = 0;
  let total = 0;
  logliks.forEach((ll, i) => {
    const p = Math.exp(ll - top);
    total += p;
    if (isTrue(i)) trueMass += p;
  });
  return trueMass / total;
}

/** The answer marker the 2023 harness used for GSM8K: `#### <number>`. */
const GSM8K_ANSWER = /#### (-?[0-9.,]+)/;

/** The 2023 harness's GSM8K extraction: first `#### <number>`, trimmed, commas removed; otherwise "[invalid]". */
export function extractGsm8kAnswer(text: string): string {
  const match = GSM8K_ANSWER.exec(text);
  if (!match) return "[invalid]";
  return (match[1] ?? "").trim().replaceAll(",", "");
}

/** lm-eval 0.4 "strict-match": the first `#### <number>`, trimmed; otherwise "[invalid]". */
export function strictMatchGsm8k(text: string): string {
  const match = GSM8K_ANSWER.exec(text);
  return match ? (match[1] ?? "").trim() : "[invalid]";
}

/** lm-eval 0.4 "flexible-extract": the last number-like match (first non-empty group), trimmed; otherwise "[invalid]". */
export function flexibleExtractGsm8k(text: string): string {
  const matches = [...text.matchAll(/(-?[$0-9.,]{2,})|(-?[0-9]+)/g)];
  const last = matches.at(-1);
  if (!last) return "[invalid]";
  const group = last[1] || last[2] || "";
  return group ? group.trim() : "[invalid]";
}

/** lm-eval 0.4's exact_match normalization for GSM8K: drop commas, "$", everything up to "#### ", a final "."; lower-case. */
export function normalizeGsm8kExactMatch(text: string): string {
  return text
    .replaceAll(",", "")
    .replaceAll("$", "")
    .replace(/[\s\S]*#### /, "")
    .replace(/\.(?=\n?$)/, "")
    .toLowerCase();
}

/** Arithmetic mean. */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (n - 1 in the denominator). NaN for fewer than two values. */
export function sampleStddev(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const mu = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - mu) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** Standard error of the mean as the 2023 harness computed it: sample stddev / sqrt(n). NaN for fewer than two values. */
export function meanStderr(values: readonly number[]): number {
  return sampleStddev(values) / Math.sqrt(values.length);
}

/** A score with its standard error. */
export interface ScoreWithStderr {
  value: number;
  stderr: number;
}

/**
 * The macro average of independent group scores (MMLU: mean of the 57 subject means) and its standard error,
 * propagated from the members: sqrt(sum of squared stderrs) / number of members.
 */
export function macroAverage(members: readonly ScoreWithStderr[]): ScoreWithStderr {
  const value = mean(members.map((m) => m.value));
  const stderr = Math.sqrt(members.reduce((sum, m) => sum + m.stderr ** 2, 0)) / members.length;
  return { value, stderr };
}
