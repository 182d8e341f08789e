// The synthetic math data set: distinct seeded problems split into train and held-out test, as SFT rows (GSM8K's
// {question, answer} or Alpaca's {instruction, input, output}) and DPO pairs ({prompt, chosen, rejected}), written
// as four jsonl files (train, test, dpo_train, dpo_test), each atomically.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuskError, InvalidArgumentError, writeAtomically } from "../../common/index.js";
import { wrongAnswer, type MistakeKind } from "./math-mistakes.js";
import { MATH_SCENARIOS, type MathOp } from "./math-scenarios.js";
import { MATH_LIMITS, MATH_OPS, MathRandom, makeMathProblem, type IntRange, type MathProblem } from "./synth-math.js";

/** SFT row formats: GSM8K's field names or Alpaca's. */
export type MathSftFormat = "gsm8k" | "alpaca";
export const MATH_SFT_FORMATS: readonly MathSftFormat[] = ["gsm8k", "alpaca"];

export interface GsmRow {
  readonly question: string;
  readonly answer: string;
}

export interface AlpacaRow {
  readonly instruction: string;
  readonly input: string;
  readonly output: string;
}

export interface DpoRow {
  readonly prompt: string;
  readonly chosen: string;
  readonly rejected: string;
}

/** A DPO pair with the mistake its rejected answer makes (the files hold only the row). */
export interface MathPair {
  readonly problem: MathProblem;
  readonly row: DpoRow;
  readonly mistake: MistakeKind;
}

/** Options of {@link generateMathDataset}. */
export interface MathDatasetOptions {
  /** Problems in all (train + test). Defaults to 1000. */
  readonly count?: number;
  /** Seed: equal seeds give equal data. Defaults to 1. */
  readonly seed?: number;
  /** Operations per problem. Defaults to 1-3. */
  readonly steps?: IntRange;
  /** Digits of each number in the problem. Defaults to 1-2. */
  readonly digits?: IntRange;
  /** Operations to use. Defaults to + - * /. */
  readonly ops?: readonly MathOp[];
  /** Scenario ids to use (travel, reading, shopping, sharing, orchard, library). Defaults to all. */
  readonly scenarios?: readonly string[];
  /** Held-out test problems: a fraction in (0, 1) of `count`, or a whole number of problems (0 for none). Defaults to 0.1. */
  readonly testSize?: number;
}

/** The generated data set. */
export interface MathDataset {
  readonly train: readonly MathProblem[];
  readonly test: readonly MathProblem[];
  readonly dpoTrain: readonly MathPair[];
  readonly dpoTest: readonly MathPair[];
}

/** The problem space is too small for the requested number of distinct problems. */
export class MathSpaceError extends DuskError {
  constructor(requested: number, found: number, describe: string) {
    super("SYNTH_MATH_SPACE", `expected ${requested} distinct problems but found only ${found} with ${describe}`, {
      hint: "ask for fewer problems (--count), or widen --digits, --steps or --ops",
    });
  }
}

/** The number of held-out problems for a test size (fraction or count). */
export function testCount(count: number, testSize: number): number {
  if (!(testSize >= 0) || (testSize >= 1 && !Number.isInteger(testSize))) {
    throw new InvalidArgumentError(`expected --test-size as a fraction in [0, 1) or a whole number of problems but got ${testSize}`);
  }
  const held = testSize < 1 ? (testSize === 0 ? 0 : Math.max(1, Math.round(count * testSize))) : testSize;
  if (held >= count) throw new InvalidArgumentError(`expected a test split smaller than the ${count} problems but it would hold ${held}`, { hint: "lower --test-size or raise --count" });
  return held;
}

function checkOptions(count: number, ops: readonly string[], scenarios: readonly string[], steps: IntRange, digits: IntRange): void {
  if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError(`expected --count to be a positive whole number but got ${count}`);
  for (const op of ops) if (!(MATH_OPS as readonly string[]).includes(op)) throw new InvalidArgumentError(`expected operations among ${MATH_OPS.join(" ")} but got "${op}"`);
  if (ops.length === 0) throw new InvalidArgumentError("expected at least one operation but got none", { hint: "e.g. --ops +,-" });
  const known = MATH_SCENARIOS.map((s) => s.id);
  for (const id of scenarios) if (!known.includes(id)) throw new InvalidArgumentError(`expected scenarios among ${known.join(", ")} but got "${id}"`);
  for (const [name, range, limit] of [["steps", steps, MATH_LIMITS.steps], ["digits", digits, MATH_LIMITS.digits]] as const) {
    if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min > range.max || range.min < limit.min || range.max > limit.max) {
      throw new InvalidArgumentError(`expected --${name} within ${limit.min}-${limit.max} but got ${range.min}-${range.max}`);
    }
  }
}

/** Generates distinct problems (no question twice), splits off the test problems and pairs each with a wrong answer. */
export function generateMathDataset({ count = 1000, seed = 1, steps = { min: 1, max: 3 }, digits = { min: 1, max: 2 }, ops = MATH_OPS, scenarios, testSize = 0.1 }: MathDatasetOptions = {}): MathDataset {
  const scenarioIds = scenarios ?? MATH_SCENARIOS.map((s) => s.id);
  checkOptions(count, ops, scenarioIds, steps, digits);
  const held = testCount(count, testSize);
  const random = new MathRandom(seed);
  const chosen = MATH_SCENARIOS.filter((s) => scenarioIds.includes(s.id));
  const problems: MathProblem[] = [];
  const questions = new Set<string>();
  // Give up after this many draws in a row that bring nothing new: the space is (nearly) exhausted.
  const patience = 5000;
  for (let misses = 0; problems.length < count && misses < patience; ) {
    const problem = makeMathProblem(random, { steps, digits, ops, scenarios: chosen });
    if (!problem || questions.has(problem.question)) {
      misses++;
      continue;
    }
    misses = 0;
    questions.add(problem.question);
    problems.push(problem);
  }
  if (problems.length < count) {
    throw new MathSpaceError(count, problems.length, `steps ${steps.min}-${steps.max}, digits ${digits.min}-${digits.max}, ops ${ops.join(" ")}, ${chosen.length} scenarios`);
  }
  // The rejected answers draw from their own stream, so the problems do not depend on the pairs.
  const mistakes = new MathRandom((seed ^ 0x5bd1e995) >>> 0);
  const pair = (problem: MathProblem): MathPair => {
    const wrong = wrongAnswer(problem, mistakes);
    return { problem, row: { prompt: problem.question, chosen: problem.answer, rejected: wrong.answer }, mistake: wrong.kind };
  };
  const train = problems.slice(0, count - held);
  const test = problems.slice(count - held);
  return { train, test, dpoTrain: train.map(pair), dpoTest: test.map(pair) };
}

/** The SFT row of a problem in a format. */
export function mathSftRow(problem: MathProblem, format: MathSftFormat = "gsm8k"): GsmRow | AlpacaRow {
  return format === "alpaca" ? { instruction: problem.question, input: "", output: problem.answer } : { question: problem.question, answer: problem.answer };
}

/** Options of {@link synthMath}. */
export interface SynthMathOptions extends MathDatasetOptions {
  /** Output folder (created if missing). */
  readonly output: string;
  /** SFT row format. Defaults to "gsm8k". */
  readonly format?: MathSftFormat;
}

/** What {@link synthMath} wrote. */
export interface SynthMathResult {
  readonly files: readonly string[];
  readonly train: number;
  readonly test: number;
  readonly format: MathSftFormat;
  /** Rejected answers by kind of mistake, over both DPO files. */
  readonly mistakes: Readonly<Record<MistakeKind, number>>;
}

const jsonl = (rows: readonly object[]): string => rows.map((row) => `${JSON.stringify(row)}\n`).join("");

/** Generates the data set and writes train.jsonl, test.jsonl, dpo_train.jsonl and dpo_test.jsonl into `output`. */
export async function synthMath({ output, format = "gsm8k", ...options }: SynthMathOptions): Promise<SynthMathResult> {
  if (!MATH_SFT_FORMATS.includes(format)) throw new InvalidArgumentError(`expected --format to be one of ${MATH_SFT_FORMATS.join(", ")} but got "${String(format)}"`);
  const data = generateMathDataset(options);
  const contents: [string, string][] = [
    ["train.jsonl", jsonl(data.train.map((p) => mathSftRow(p, format)))],
    ["test.jsonl", jsonl(data.test.map((p) => mathSftRow(p, format)))],
    ["dpo_train.jsonl", jsonl(data.dpoTrain.map((p) => p.row))],
    ["dpo_test.jsonl", jsonl(data.dpoTest.map((p) => p.row))],
  ];
  await mkdir(output, { recursive: true });
  const files: string[] = [];
  for (const [name, text] of contents) {
    const path = join(output, name);
    await writeAtomically(path, (temporary) => writeFile(temporary, text));
    files.push(path);
  }
  const mistakes: Record<MistakeKind, number> = { "off-by-one": 0, "wrong-operation": 0, "dropped-step": 0 };
  for (const pair of [...data.dpoTrain, ...data.dpoTest]) mistakes[pair.mistake]++;
  return { files, train: data.train.length, test: data.test.length, format, mistakes };
}
