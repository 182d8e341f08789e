// The errors of the example readers: codes, hints, and how many bad rows a message lists.
import { describe, expect, it } from "vitest";
import { DuskError } from "../../common/index.js";
import { BadRowsError, TrainingDataError, describeProblems, type RowProblem } from "./errors.js";

const problems = (n: number): RowProblem[] => Array.from({ length: n }, (_, i) => ({ index: i + 1, where: `d.jsonl:${i + 1}`, problem: 'missing "output"' }));

describe("example errors", () => {
  it("lists up to ten problems and counts the rest", () => {
    expect(describeProblems(problems(1))).toBe('row 1 (d.jsonl:1): missing "output"');
    expect(describeProblems(problems(10))).not.toContain("more");
    expect(describeProblems(problems(10)).split("; ")).toHaveLength(10);
    const eleven = describeProblems(problems(11));
    expect(eleven.endsWith('row 10 (d.jsonl:10): missing "output"; and 1 more')).toBe(true);
  });

  it("gives BadRowsError its code, hint, count and every problem", () => {
    const error = new BadRowsError(problems(12), { format: "alpaca", total: 40 });
    expect(error).toBeInstanceOf(DuskError);
    expect(error.code).toBe("BAD_ROWS");
    expect(error.name).toBe("BadRowsError");
    expect(error.problems).toHaveLength(12);
    expect(error.message).toMatch(/^expected every row to be a valid alpaca example but found 12 bad rows of 40: row 1 \(d\.jsonl:1\)/);
    expect(error.message).toContain("; and 2 more");
    expect(error.hint).toBe("fix the rows, or pass --bad-rows skip to leave them out (each is reported)");
    expect(new BadRowsError(problems(1), { format: "alpaca", total: 3 }).message).toContain("found 1 bad row of 3:");
  });

  it("gives TrainingDataError its code", () => {
    const error = new TrainingDataError("expected x but found y", { hint: "h" });
    expect(error).toBeInstanceOf(DuskError);
    expect(error.code).toBe("TRAINING_DATA");
    expect(error.hint).toBe("h");
  });
});
