// Synthetic math problems: the same seed gives the same data; every worked answer is right when recomputed here
// from the problem's structured form and from its own `<<a op b=c>>` annotations; rejected answers always end
// wrong; the splits share no question; the difficulty knobs (steps, digits, operations) show in the problems.
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../common/index.js";
import { wrongAnswer, type MistakeKind } from "./math-mistakes.js";
import { MATH_PEOPLE, MATH_SCENARIOS, MATH_WORDS, type MathOp } from "./math-scenarios.js";
import { MathSpaceError, generateMathDataset, mathSftRow, testCount } from "./math-dataset.js";
import { extractAnswer } from "./math-answer.js";
import { MATH_LIMITS, MATH_VALUE_CAP, MathRandom, fillTemplate, parseIntRange, type MathProblem } from "./synth-math.js";

/** The annotations of a worked answer, parsed here: [left, op, right, claimed result]. */
function annotations(answer: string): [number, MathOp, number, number][] {
  return [...answer.matchAll(/<<(\d+)([-+*/])(\d+)=(-?\d+)>>/g)].map((m) => [Number(m[1]), m[2] as MathOp, Number(m[3]), Number(m[4])]);
}

/** An independent evaluation of one operation. */
function evaluate(left: number, op: MathOp, right: number): number {
  return op === "+" ? left + right : op === "-" ? left - right : op === "*" ? left * right : left / right;
}

const all = (options: Parameters<typeof generateMathDataset>[0]): MathProblem[] => {
  const data = generateMathDataset(options);
  return [...data.train, ...data.test];
};

describe("generateMathDataset: determinism", () => {
  it("gives identical problems and pairs for a seed, and different ones for another seed", () => {
    const options = { count: 300, steps: { min: 1, max: 4 }, digits: { min: 1, max: 3 } };
    const rows = (seed: number): unknown => {
      const data = generateMathDataset({ ...options, seed });
      return [data.train.map((p) => mathSftRow(p)), data.test.map((p) => mathSftRow(p)), data.dpoTrain.map((p) => p.row), data.dpoTest.map((p) => p.row)];
    };
    expect(rows(7)).toEqual(rows(7));
    const [a, b] = [rows(7) as unknown[][], rows(8) as unknown[][]];
    const overlap = (a[0] as { question: string }[]).filter((row, i) => (b[0] as { question: string }[])[i]?.question === row.question).length;
    expect(overlap).toBeLessThan(5);
  });
});

describe("generateMathDataset: answers are right", () => {
  const problems = all({ count: 3000, seed: 11, steps: { min: 1, max: MATH_LIMITS.steps.max }, digits: { min: 1, max: 3 } });

  it("recomputes every final answer from the structured form (start, then each operation)", () => {
    for (const problem of problems) {
      let value = problem.start;
      for (const step of problem.steps) {
        value = evaluate(value, step.op, step.operand);
        expect(Number.isInteger(value) && value >= 1 && value <= MATH_VALUE_CAP, `${problem.question} → ${value}`).toBe(true);
      }
      expect(value).toBe(problem.result);
      expect(extractAnswer(problem.answer)).toBe(String(value));
      expect(problem.answer.endsWith(`\n#### ${value}`) || problem.answer === `#### ${value}`).toBe(true);
    }
  });

  it("annotates each step once, chained (each starts from the previous result), every calculation right", () => {
    for (const problem of problems) {
      const notes = annotations(problem.answer);
      expect(notes).toHaveLength(problem.steps.length);
      notes.forEach(([left, op, right, claimed], i) => {
        expect(left).toBe(i === 0 ? problem.start : notes[i - 1]![3]);
        expect([op, right]).toEqual([problem.steps[i]!.op, problem.steps[i]!.operand]);
        expect(evaluate(left, op, right)).toBe(claimed);
        // The sentence shows the same calculation as the annotation: "a op b = <<a op b=c>>c".
        expect(problem.answer).toContain(`${left} ${op} ${right} = `);
      });
      expect(problem.answer.split("\n")).toHaveLength(problem.steps.length + 1);
    }
  });

  it("states every number of the problem in the question, and leaves no placeholder unfilled", () => {
    for (const problem of problems) {
      const numbers = new Set((problem.question.match(/\d+/g) ?? []).map(Number));
      expect(numbers.has(problem.start), problem.question).toBe(true);
      for (const step of problem.steps) {
        // Division by 2..10 is said in words ("half", "a third", …); every other number appears as digits.
        if (!(step.op === "/" && step.operand <= 10)) expect(numbers.has(step.operand), problem.question).toBe(true);
      }
      expect(problem.question + problem.answer).not.toMatch(/[{}]/);
    }
    expect(new Set(problems.map((p) => p.scenario))).toEqual(new Set(MATH_SCENARIOS.map((s) => s.id)));
  });

  it("fills every template variant of every scenario with the words the generator provides", () => {
    const vars: Record<string, string> = { name: "Mia", he: "she", him: "her", his: "her", himself: "herself", He: "She", His: "Her", a: "5", n: "3", v: "6", r: "2", ord: "second", prev: "first", last: "third", fraction: "a third" };
    for (const key of Object.keys(MATH_WORDS)) vars[key] = "word";
    for (const scenario of MATH_SCENARIOS) {
      const templates = [...scenario.start, ...scenario.ask, ...Object.values(scenario.ops).flatMap((t) => [...t.question, ...t.answer])];
      for (const template of templates) expect(fillTemplate(template, vars)).not.toMatch(/[{}]/);
    }
    expect(MATH_PEOPLE.length).toBeGreaterThan(8);
  });
});

describe("rejected answers", () => {
  const data = generateMathDataset({ count: 2000, seed: 5, steps: { min: 1, max: 5 }, digits: { min: 1, max: 2 } });
  const pairs = [...data.dpoTrain, ...data.dpoTest];

  it("never end in the right answer, and chosen is the right worked answer", () => {
    for (const { problem, row } of pairs) {
      expect(row).toEqual({ prompt: problem.question, chosen: problem.answer, rejected: row.rejected });
      const wrong = extractAnswer(row.rejected);
      expect(wrong, row.rejected).toBeDefined();
      expect(wrong).not.toBe(extractAnswer(row.chosen));
      expect(row.rejected).not.toBe(row.chosen);
    }
  });

  it("make one mistake of each kind, visible in the annotations", () => {
    const counts: Record<MistakeKind, number> = { "off-by-one": 0, "wrong-operation": 0, "dropped-step": 0 };
    const random = new MathRandom(99);
    for (const { problem } of pairs.slice(0, 600)) {
      const wrong = wrongAnswer(problem, random);
      counts[wrong.kind]++;
      const notes = annotations(wrong.answer);
      const slips = notes.filter(([left, op, right, claimed]) => evaluate(left, op, right) !== claimed);
      expect(extractAnswer(wrong.answer)).toBe(String(wrong.result));
      expect(wrong.result).not.toBe(problem.result);
      if (wrong.kind === "off-by-one") {
        expect(slips).toHaveLength(1);
        expect(Math.abs(slips[0]![3] - evaluate(slips[0]![0], slips[0]![1], slips[0]![2]))).toBe(1);
      } else {
        expect(slips).toHaveLength(0);
      }
      expect(notes).toHaveLength(wrong.kind === "dropped-step" ? problem.steps.length - 1 : problem.steps.length);
      if (wrong.kind === "wrong-operation") expect(notes.map((n) => n[1])).not.toEqual(problem.steps.map((s) => s.op));
      // Up to the mistake the worked answer is the right one.
      expect(notes.slice(0, wrong.step)).toEqual(annotations(problem.answer).slice(0, wrong.step));
    }
    for (const kind of Object.keys(counts) as MistakeKind[]) expect(counts[kind], kind).toBeGreaterThan(60);
  });
});

describe("splits", () => {
  it("holds out the requested fraction or count with no question in both splits", () => {
    for (const [testSize, held] of [[0.1, 50], [0.25, 125], [37, 37], [0, 0]] as const) {
      const data = generateMathDataset({ count: 500, seed: 3, testSize });
      expect([data.train.length, data.test.length]).toEqual([500 - held, held]);
      const train = new Set(data.train.map((p) => p.question));
      expect(train.size).toBe(data.train.length);
      for (const problem of data.test) expect(train.has(problem.question)).toBe(false);
      expect(data.dpoTrain.map((p) => p.row.prompt)).toEqual(data.train.map((p) => p.question));
      expect(data.dpoTest.map((p) => p.row.prompt)).toEqual(data.test.map((p) => p.question));
    }
  });

  it("refuses test sizes that leave no training data or are not counts", () => {
    expect(() => testCount(100, 100)).toThrow(InvalidArgumentError);
    expect(() => testCount(100, 2.5)).toThrow(/fraction in \[0, 1\) or a whole number/);
    expect(() => testCount(100, -0.1)).toThrow(InvalidArgumentError);
    expect(testCount(3, 0.01)).toBe(1);
  });
});

describe("difficulty knobs", () => {
  const digitsOf = (n: number): number => String(n).length;

  it("--steps sets the number of operations", () => {
    for (const steps of [1, 3, 6]) {
      for (const problem of all({ count: 200, seed: steps, steps: { min: steps, max: steps } })) expect(problem.steps).toHaveLength(steps);
    }
    const mixed = all({ count: 400, seed: 2, steps: { min: 2, max: 4 } });
    expect(new Set(mixed.map((p) => p.steps.length))).toEqual(new Set([2, 3, 4]));
  });

  it("--digits sets the digits of the first number and of every operand", () => {
    for (const digits of [1, 2, 3]) {
      for (const problem of all({ count: 200, seed: 10 + digits, steps: { min: 1, max: 3 }, digits: { min: digits, max: digits } })) {
        expect(digitsOf(problem.start)).toBe(digits);
        for (const step of problem.steps) expect(digitsOf(step.operand), `${step.op} ${step.operand}`).toBe(digits);
      }
    }
    const mixed = all({ count: 400, seed: 4, digits: { min: 1, max: 3 } });
    expect(new Set(mixed.flatMap((p) => [p.start, ...p.steps.map((s) => s.operand)]).map(digitsOf).values())).toEqual(new Set([1, 2, 3]));
    const mean = (problems: MathProblem[]): number => problems.reduce((sum, p) => sum + p.result, 0) / problems.length;
    expect(mean(all({ count: 300, seed: 1, digits: { min: 3, max: 3 } }))).toBeGreaterThan(10 * mean(all({ count: 300, seed: 1, digits: { min: 1, max: 1 } })));
  });

  it("--ops limits the operations", () => {
    const problems = all({ count: 300, seed: 6, steps: { min: 2, max: 4 }, ops: ["+", "-"] });
    expect(new Set(problems.flatMap((p) => p.steps.map((s) => s.op)))).toEqual(new Set(["+", "-"]));
    const every = all({ count: 300, seed: 6, steps: { min: 2, max: 4 } });
    expect(new Set(every.flatMap((p) => p.steps.map((s) => s.op)))).toEqual(new Set(["+", "-", "*", "/"]));
  });

  it("refuses ranges outside the limits and too many problems for a small space", () => {
    expect(parseIntRange("2-4", "--steps", MATH_LIMITS.steps)).toEqual({ min: 2, max: 4 });
    expect(parseIntRange(" 3 ", "--digits", MATH_LIMITS.digits)).toEqual({ min: 3, max: 3 });
    for (const bad of ["0-3", "4-2", "1-99", "a", "1-", "-2"]) expect(() => parseIntRange(bad, "--steps", MATH_LIMITS.steps), bad).toThrow(/--steps/);
    expect(() => generateMathDataset({ count: 10, ops: ["^" as MathOp] })).toThrow(/"\^"/);
    expect(() => generateMathDataset({ count: 10, scenarios: ["space"] })).toThrow(/"space"/);
    expect(() => generateMathDataset({ count: 5000, steps: { min: 1, max: 1 }, digits: { min: 1, max: 1 }, ops: ["+"], scenarios: ["library"], testSize: 0 })).toThrow(MathSpaceError);
  });
});
