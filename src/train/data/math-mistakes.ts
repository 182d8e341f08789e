// Plausible wrong worked answers for DPO's rejected side: one mistake in one step (an arithmetic slip of one, the
// wrong operation, a dropped step), carried through the later steps to a wrong final answer, told in the same
// words as the right answer. The final answer never equals the right one.
import { MATH_OPS, applyOp, renderAnswer, solveSteps, type MathProblem, type MathRandom, type TraceLine } from "./synth-math.js";

/** The kinds of mistake a rejected answer makes. */
export type MistakeKind = "off-by-one" | "wrong-operation" | "dropped-step";

/** A wrong worked answer and what went wrong. */
export interface WrongAnswer {
  readonly answer: string;
  /** Its (wrong) final answer. */
  readonly result: number;
  readonly kind: MistakeKind;
  /** Index of the step with the mistake. */
  readonly step: number;
}

/** Re-runs the steps from `from` on, starting at `value` (the mistake's result), keeping each step's own wording. */
function carryOn(problem: MathProblem, from: number, value: number): TraceLine[] | undefined {
  const lines: TraceLine[] = [];
  for (let index = from; index < problem.steps.length; index++) {
    const step = problem.steps[index]!;
    const result = applyOp(step.op, value, step.operand);
    if (!Number.isInteger(result) || result < 0) return undefined;
    lines.push({ index, op: step.op, value, operand: step.operand, result });
    value = result;
  }
  return lines;
}

function attempt(problem: MathProblem, random: MathRandom, kind: MistakeKind, step: number): TraceLine[] | undefined {
  const right = solveSteps(problem.start, problem.steps);
  const before = right.slice(0, step);
  const line = right[step]!;
  if (kind === "dropped-step") {
    const after = carryOn(problem, step + 1, line.value);
    return after && [...before, ...after];
  }
  let wrong: TraceLine;
  if (kind === "off-by-one") {
    const result = line.result + (line.result === 0 || random.next() < 0.5 ? 1 : -1);
    wrong = { ...line, result };
  } else {
    const op = random.pick(MATH_OPS.filter((o) => o !== line.op));
    const result = applyOp(op, line.value, line.operand);
    if (!Number.isInteger(result) || result < 0) return undefined;
    wrong = { ...line, op, result };
  }
  const after = carryOn(problem, step + 1, wrong.result);
  return after && [...before, wrong, ...after];
}

/**
 * A plausible wrong worked answer for a problem: a random mistake in a random step, carried through. Falls back to
 * a slip of one in the last step when random mistakes cancel out or leave the integers.
 */
export function wrongAnswer(problem: MathProblem, random: MathRandom): WrongAnswer {
  const kinds: MistakeKind[] = problem.steps.length > 1 ? ["off-by-one", "wrong-operation", "dropped-step"] : ["off-by-one", "wrong-operation"];
  for (let tries = 0; tries < 20; tries++) {
    const kind = random.pick(kinds);
    const step = random.int(0, problem.steps.length - 1);
    const lines = attempt(problem, random, kind, step);
    const final = lines?.at(-1)?.result;
    if (lines && final !== undefined && final !== problem.result) return { answer: renderAnswer(problem.wording, lines, final), result: final, kind, step };
  }
  const right = solveSteps(problem.start, problem.steps);
  const last = right.at(-1)!;
  const slipped = { ...last, result: last.result + 1 };
  return { answer: renderAnswer(problem.wording, [...right.slice(0, -1), slipped], slipped.result), result: slipped.result, kind: "off-by-one", step: right.length - 1 };
}
