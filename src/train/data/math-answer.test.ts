// The exact-match checker: GSM8K's `#### <number>` extraction (first marker, commas dropped, canonical numbers)
// and isCorrect against numbers, worked answers and each row shape of the synthetic data.
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../common/index.js";
import { extractAnswer, isCorrect } from "./math-answer.js";

describe("extractAnswer", () => {
  it("reads the number after the first ####, without commas, as a canonical number", () => {
    expect(extractAnswer("She rides 3 + 4 = <<3+4=7>>7 km.\n#### 7")).toBe("7");
    expect(extractAnswer("#### 1,234")).toBe("1234");
    expect(extractAnswer("#### -12")).toBe("-12");
    expect(extractAnswer("#### 72.0")).toBe("72");
    expect(extractAnswer("#### 5.")).toBe("5");
    expect(extractAnswer("#### 2.50")).toBe("2.5");
    expect(extractAnswer("#### 8\n#### 9")).toBe("8");
    expect(extractAnswer("the answer is 8 #### 10 apples")).toBe("10");
  });

  it("finds nothing without a marker or a number after it", () => {
    for (const text of ["The answer is 7.", "####7", "#### seven", "", "#### -", "#### ,"]) expect(extractAnswer(text), text).toBeUndefined();
  });
});

describe("isCorrect", () => {
  const answer = "He keeps 15 / 5 = <<15/5=3>>3 trees.\n#### 3";

  it("compares the final answers of a generation and a reference of any row shape", () => {
    expect(isCorrect("so... #### 3", answer)).toBe(true);
    expect(isCorrect("#### 3.0", { answer })).toBe(true);
    expect(isCorrect("#### 3", { output: answer })).toBe(true);
    expect(isCorrect("#### 3", { chosen: answer })).toBe(true);
    expect(isCorrect("#### 1,000", 1000)).toBe(true);
    expect(isCorrect("#### 4", answer)).toBe(false);
    expect(isCorrect("3", answer)).toBe(false);
    expect(isCorrect("#### 33", answer)).toBe(false);
  });

  it("refuses a reference without a final answer", () => {
    expect(() => isCorrect("#### 3", "no answer here")).toThrow(InvalidArgumentError);
  });
});
