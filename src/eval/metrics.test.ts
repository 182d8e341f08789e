// Metrics against the 2023 harness's definitions (Python outputs recorded with the snippets in the comments).
import { describe, expect, it } from "vitest";
import {
  accuracy,
  argmax,
  codePointLength,
  extractGsm8kAnswer,
  flexibleExtractGsm8k,
  macroAverage,
  mc1,
  mc2,
  meanStderr,
  normalizeGsm8kExactMatch,
  normalizedAccuracy,
  strictMatchGsm8k,
} from "./metrics.js";

describe("multiple-choice metrics", () => {
  it("argmax gives ties to the first, like numpy.argmax", () => {
    expect(argmax([-1, -0.5, -0.5])).toBe(1);
    expect(accuracy([-3, -3], 1)).toBe(0);
    expect(accuracy([-3, -3], 0)).toBe(1);
  });

  it("acc_norm divides by the length in code points, not UTF-16 units", () => {
    // choice 0 is two astral characters: 2 code points (4 UTF-16 units); choice 1 is three ASCII letters
    const choices = ["\u{1F600}\u{1F600}", "abc"];
    expect(codePointLength(choices[0]!)).toBe(2);
    expect(choices[0]!.length).toBe(4);
    // -5/2 = -2.5 beats -6/3 = -2? no: -2 > -2.5, so choice 1; by UTF-16 length -5/4 = -1.25 would wrongly pick choice 0
    expect(normalizedAccuracy([-5, -6], choices, 1)).toBe(1);
    expect(normalizedAccuracy([-3, -6], choices, 0)).toBe(1);
  });

  it("TruthfulQA mc1 (first choice right) and mc2 by both rules", () => {
    expect(mc1([-1, -2, -0.5])).toBe(0);
    expect(mc1([-0.1, -2])).toBe(1);
    const lls = [Math.log(0.2), Math.log(0.1), Math.log(0.3), Math.log(0.4)];
    // labels 1, 0, 1, 0: the 2023 rule counts only choice 0 as true, the label mask choices 0 and 2
    expect(mc2(lls, [1, 0, 1, 0], "before-first-false")).toBeCloseTo(0.2, 12);
    expect(mc2(lls, [1, 0, 1, 0], "label-mask")).toBeCloseTo(0.5, 12);
    // very unlikely answers still give a number (exp underflow would give 0/0 without the max shift)
    expect(mc2([-2000, -2001], [1, 0], "before-first-false")).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });
});

describe("GSM8K answers", () => {
  it("the 2023 extraction: first '#### <number>', trimmed, commas removed", () => {
    // ANS_RE = re.compile(r"#### (\-?[0-9\.\,]+)"); match.group(1).strip().replace(",", "") or "[invalid]"
    expect(extractGsm8kAnswer("The answer is #### 1,234.")).toBe("1234.");
    expect(extractGsm8kAnswer("no answer")).toBe("[invalid]");
    expect(extractGsm8kAnswer("#### -5 and #### 7")).toBe("-5");
    expect(extractGsm8kAnswer("####5")).toBe("[invalid]");
  });

  it("lm-eval 0.4: strict-match, flexible-extract and the exact_match normalization", () => {
    // findall(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")[-1], first non-empty group, stripped
    expect(flexibleExtractGsm8k("The answer is 5 apples and $1,200.")).toBe("$1,200.");
    expect(flexibleExtractGsm8k("so 7")).toBe("7");
    expect(flexibleExtractGsm8k("nothing here")).toBe("[invalid]");
    expect(flexibleExtractGsm8k("x 3 y 4.5 z")).toBe("4.5");
    expect(strictMatchGsm8k("so #### 1,000 apples")).toBe("1,000");
    // re.sub for ",", "\$", "(?s).*#### ", "\.$" in turn, then lower()
    expect(normalizeGsm8kExactMatch("2+3=5\n#### 1,000")).toBe("1000");
    expect(normalizeGsm8kExactMatch("$1,000.")).toBe("1000");
    expect(normalizeGsm8kExactMatch("the total is 72.")).toBe("the total is 72");
  });
});

describe("standard errors and groups", () => {
  it("stderr = sample stddev / sqrt(n), as lm_eval.metrics.mean_stderr", () => {
    // mean_stderr([1,0,1,1,0,1,0,1]), mean_stderr([0.25,0.75,0.5])
    expect(meanStderr([1, 0, 1, 1, 0, 1, 0, 1])).toBeCloseTo(0.18298126367784995, 15);
    expect(meanStderr([0.25, 0.75, 0.5])).toBeCloseTo(0.14433756729740646, 15);
    expect(meanStderr([1])).toBeNaN();
  });

  it("the MMLU macro average is the plain mean of subject scores; its stderr combines the subjects'", () => {
    const group = macroAverage([
      { value: 0.5, stderr: 0.1 },
      { value: 0.7, stderr: 0.2 },
      { value: 0.9, stderr: 0.2 },
    ]);
    expect(group.value).toBeCloseTo(0.7, 15);
    expect(group.stderr).toBeCloseTo(0.3 / 3, 15);
  });
});
