// `dusk train sft`: supervised fine-tuning on chat data with the loss on the assistant's tokens only.
export { ExamplesTooLongError, SftDataset, fitExamples, reportLengthProblems, type EncodedExample, type LengthProblem, type SftDatasetOptions } from "./dataset.js";
export { exactMatch, generateAnswers, heldOutLoss, splitLastAnswer, type GenerateAnswersOptions } from "./evaluate.js";
export { examplesSha256, sft, type SftOptions, type SftResult, type SftSettings, type SftState } from "./sft.js";
