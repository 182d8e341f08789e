// The vocabulary of the harness: tasks (data + small functions), requests (what a model is asked), the results
// of requests, and profiles (which rules of which harness to follow). Tasks are data; behaviour lives in small functions.

/** A split of a dataset, named as the Hub names them. */
export type SplitName = "train" | "validation" | "test" | "dev";

/** The folders of a data directory: one per dataset. */
export type DatasetFolder = "arc" | "hellaswag" | "mmlu" | "truthfulqa" | "winogrande" | "gsm8k" | "hellaswag_llamacpp";

/** The six leaderboard task families. */
export type TaskFamily = "arc_challenge" | "hellaswag" | "mmlu" | "truthfulqa_mc" | "winogrande" | "gsm8k";

/** The scoring rules: the leaderboard's 2023 harness, today's harness, llama.cpp's perplexity tool. */
export type ProfileName = "leaderboard-v1" | "lm-eval-0.4" | "llamacpp";

/** Where a task's data lives on the Hub and in a data directory. */
export interface DatasetSpec {
  /** The folder under --data-dir. */
  folder: DatasetFolder;
  /** The dataset id on the Hub. */
  hubId: string;
  /** The Hub config (subset), if any. */
  hubConfig: string | undefined;
  /** When a folder holds several configs (ARC-Easy and ARC-Challenge, winogrande_xs..xl), files whose path matches win. */
  configPattern: RegExp | undefined;
}

/** Score the log-likelihood of `continuation` after `context`. */
export interface LoglikelihoodRequest {
  kind: "loglikelihood";
  context: string;
  continuation: string;
}

/** Generate greedily after `context` until one of `until` (or end of sequence, or maxTokens). */
export interface GenerateRequest {
  kind: "generate";
  context: string;
  until: string[];
  maxTokens: number;
}

/** A request before tokenization. */
export type Request = LoglikelihoodRequest | GenerateRequest;

/** The answer to a log-likelihood request: summed log-probability, whether every token was the argmax, token count. */
export interface LoglikelihoodResult {
  kind: "loglikelihood";
  logprob: number;
  isGreedy: boolean;
  tokenCount: number;
}

/** The answer to a generation request: the text, already cut at the first stop string. */
export interface GenerateResult {
  kind: "generate";
  text: string;
}

/** The result of one request. */
export type RequestResult = LoglikelihoodResult | GenerateResult;

/** What scoring one doc gives: metric values (fractions), the prediction and the gold answer, for logs. */
export interface DocScore {
  metrics: Record<string, number>;
  prediction: string | number;
  gold: string | number;
}

/** How a profile scores multiple-choice tasks and aggregates groups. */
export interface Profile {
  name: ProfileName;
  /** Shuffle the eval docs with CPython's Random(docSeed) before --limit (the 2023 harness did). */
  shuffleDocs: boolean;
  docSeed: number;
  /** Few-shot draws: from the same generator as the shuffle, or from a separate one seeded fewshotSeed per task. */
  fewshotGenerator: "shared" | "separate";
  fewshotSeed: number;
  /** BOS: never by default, or the tokenizer's default. --bos/--no-bos override. */
  bos: "off" | "tokenizer-default";
  /** Context/continuation tokenization: the harness's split rule, or llama.cpp's whole-sequence common-prefix rule. */
  tokenization: "split" | "llamacpp";
  /** MMLU group score: mean of subject means (macro) or over all questions (micro). */
  mmluAggregate: "macro" | "micro";
  /** TruthfulQA mc2 true set: choices before the first label 0, or the labels themselves. */
  mc2Rule: "before-first-false" | "label-mask";
  /** GSM8K stop strings. */
  gsm8kUntil: string[];
  /** Task families the profile scores. */
  families: TaskFamily[];
  /** Shots forced by the profile (llama.cpp scores 0-shot), overriding task defaults. */
  forcedShots: number | undefined;
}

/** One task: where its data is, how to build its prompts, how to score a doc. Methods so that docs stay typed per task. */
export interface TaskDefinition<D = unknown> {
  /** The results key, e.g. arc_challenge or mmlu_anatomy. */
  readonly name: string;
  readonly family: TaskFamily;
  readonly dataset: DatasetSpec;
  readonly evalSplit: SplitName;
  /** Where few-shot examples come from: a random sample of a split, its first rows, or none. */
  readonly fewshot: { split: SplitName; sampler: "random" | "first_n" } | undefined;
  readonly defaultShots: number;
  /** The metric the leaderboard reports. */
  readonly headline: string;
  /** The task version the 2023 harness reported. */
  readonly version: number;
  /** MMLU subject, for mmlu_<subject> tasks. */
  readonly subject?: string;
  /** Converts a Hub-schema row into the task's doc, or throws a DataFormatError naming `where`. */
  parseRow(row: unknown, where: string): D;
  /** Text before the examples ("" except MMLU), without its trailing blank line. */
  description(): string;
  docToText(doc: D, profile: Profile): string;
  docToTarget(doc: D, profile: Profile): string;
  /** The requests for one doc given its full context (description + examples + query). */
  requests(doc: D, context: string, profile: Profile): Request[];
  /** Metrics for one doc from its requests' results (same order as `requests`). */
  score(doc: D, results: RequestResult[], profile: Profile): DocScore;
}
