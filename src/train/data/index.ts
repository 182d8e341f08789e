// Training data: the synthetic checkable math problems of `dusk data synth math` (SFT rows and DPO pairs) and their
// exact-match checker.
export { MATH_SCENARIOS, MATH_PEOPLE, MATH_WORDS, fractionWords, type MathOp, type MathScenario, type OpTemplates } from "./math-scenarios.js";
export { MATH_LIMITS, MATH_OPS, MATH_VALUE_CAP, MathRandom, applyOp, digitCount, fillTemplate, makeMathProblem, parseIntRange, renderAnswer, solveSteps, type IntRange, type MathProblem, type MathProblemOptions, type MathStep, type MathWording, type TraceLine } from "./synth-math.js";
export { wrongAnswer, type MistakeKind, type WrongAnswer } from "./math-mistakes.js";
export { MATH_SFT_FORMATS, MathSpaceError, generateMathDataset, mathSftRow, synthMath, testCount, type AlpacaRow, type DpoRow, type GsmRow, type MathDataset, type MathDatasetOptions, type MathPair, type MathSftFormat, type SynthMathOptions, type SynthMathResult } from "./math-dataset.js";
export { extractAnswer, isCorrect, type MathReference } from "./math-answer.js";
