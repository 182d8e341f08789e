// `dusk data synth math`: generates checkable arithmetic word problems (seeded) as SFT rows and DPO pairs with a
// held-out test split. `data` groups data commands and `synth` the generators, so more can join as subcommands.
import type { Command } from "commander";
import { InvalidArgumentError } from "../../common/index.js";
import { MATH_LIMITS, MATH_OPS, MATH_SCENARIOS, MATH_SFT_FORMATS, parseIntRange, synthMath, type MathOp, type MathSftFormat } from "../../train/index.js";
import { renderTable } from "../table.js";

interface MathFlags {
  output: string;
  count: string;
  seed: string;
  steps: string;
  digits: string;
  ops: string;
  scenarios?: string;
  testSize: string;
  format: string;
  json?: boolean;
}

function wholeNumber(text: string, option: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value)) throw new InvalidArgumentError(`expected ${option} to be a whole number but got "${text}"`);
  return value;
}

function registerMath(synth: Command): void {
  synth
    .command("math")
    .description("arithmetic word problems with GSM8K-style worked answers (#### <number>): SFT rows and DPO pairs, train and test")
    .requiredOption("-o, --output <folder>", "output folder: train.jsonl, test.jsonl, dpo_train.jsonl, dpo_test.jsonl")
    .option("--count <n>", "problems in all (train + test)", "1000")
    .option("--seed <n>", "random seed (equal seeds, equal data)", "1")
    .option("--steps <range>", `operations per problem, e.g. 1-3 (${MATH_LIMITS.steps.min}-${MATH_LIMITS.steps.max})`, "1-3")
    .option("--digits <range>", `digits of each number, e.g. 1-2 (${MATH_LIMITS.digits.min}-${MATH_LIMITS.digits.max})`, "1-2")
    .option("--ops <list>", "operations to use, comma-separated from + - * /", MATH_OPS.join(","))
    .option("--scenarios <list>", `comma-separated from ${MATH_SCENARIOS.map((s) => s.id).join(", ")} (default: all)`)
    .option("--test-size <size>", "held-out problems: a fraction like 0.1, or a count like 200", "0.1")
    .option("--format <format>", `SFT rows: ${MATH_SFT_FORMATS.join(" or ")} (gsm8k: {question, answer}; alpaca: {instruction, input, output})`, "gsm8k")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
Each problem is a short story (travel, reading, shopping, sharing, orchard, library) of 1 to ${MATH_LIMITS.steps.max} operations on
whole numbers; every intermediate value is a positive integer. The worked answer has one sentence per step with
GSM8K's calculation annotation, then the final answer: "On the second day she rides 12 + 5 = <<12+5=17>>17
kilometers.\\n#### 17". DPO pairs: chosen = the right worked answer, rejected = the same words with one mistake
(a slip of one, a wrong operation or a dropped step) carried to a wrong final answer. No question is in both splits.

Examples:
  dusk data synth math -o data/math
  dusk data synth math -o data/math-hard --count 5000 --steps 2-4 --digits 2-3 --test-size 500 --seed 7
  dusk data synth math -o data/alpaca-math --format alpaca --ops +,- --steps 1-2
`,
    )
    .action(async (flags: MathFlags) => {
      const ops = flags.ops.split(",").map((op) => op.trim()).filter(Boolean);
      const testSize = Number(flags.testSize);
      if (!Number.isFinite(testSize)) throw new InvalidArgumentError(`expected --test-size as a fraction or a count but got "${flags.testSize}"`);
      const result = await synthMath({
        output: flags.output,
        count: wholeNumber(flags.count, "--count"),
        seed: wholeNumber(flags.seed, "--seed"),
        steps: parseIntRange(flags.steps, "--steps", MATH_LIMITS.steps),
        digits: parseIntRange(flags.digits, "--digits", MATH_LIMITS.digits),
        ops: ops as MathOp[],
        testSize,
        format: flags.format as MathSftFormat,
        ...(flags.scenarios !== undefined ? { scenarios: flags.scenarios.split(",").map((s) => s.trim()).filter(Boolean) } : {}),
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const rows = [["file", "rows"], ...result.files.map((file, i) => [file, String(i % 2 === 0 ? result.train : result.test)])];
      process.stdout.write(renderTable(rows));
      const mistakes = Object.entries(result.mistakes).map(([kind, n]) => `${n} ${kind}`).join(", ");
      process.stdout.write(`${result.train} train and ${result.test} test problems (${result.format} rows); rejected answers: ${mistakes}\n`);
    });
}

/** Registers `dusk data` with `synth math`. */
export function register(program: Command): void {
  const data = program.command("data").description("make training data").addHelpText("after", "\nExamples:\n  dusk data synth math -o data/math --steps 1-3 --digits 1-2\n");
  const synth = data.command("synth").description("generate synthetic, checkable training data").addHelpText("after", "\nExamples:\n  dusk data synth math -o data/math\n");
  registerMath(synth);
}
