// The six Open LLM Leaderboard v1 tasks (H6) as the report knows them, and the names other results layouts give
// them (lm-evaluation-harness v0.3 and v0.4, the leaderboard's details files). Knowledge as data.
import { MMLU_SUBJECTS } from "../eval/index.js";

/** dusk's name of each H6 task, in the leaderboard's column order. */
export type TaskId = "arc_challenge" | "hellaswag" | "mmlu" | "truthfulqa_mc" | "winogrande" | "gsm8k";

/** A column of a comparison: one of the six tasks or their mean. */
export type ColumnId = TaskId | "h6";

/** What the report needs to know about one H6 task. */
export interface TaskInfo {
  id: TaskId;
  /** Column header, as the leaderboard titles it. */
  label: string;
  /** Longer name, for captions. */
  name: string;
  /** The leaderboard's few-shot count. */
  shots: number;
  /** The leaderboard's headline metric. */
  metric: string;
}

/** The six tasks, in the leaderboard's column order. */
export const H6_TASKS: readonly TaskInfo[] = [
  { id: "arc_challenge", label: "ARC", name: "ARC-Challenge", shots: 25, metric: "acc_norm" },
  { id: "hellaswag", label: "HellaSwag", name: "HellaSwag", shots: 10, metric: "acc_norm" },
  { id: "mmlu", label: "MMLU", name: "MMLU (mean of 57 subjects)", shots: 5, metric: "acc" },
  { id: "truthfulqa_mc", label: "TruthfulQA", name: "TruthfulQA (multiple choice)", shots: 0, metric: "mc2" },
  { id: "winogrande", label: "Winogrande", name: "Winogrande", shots: 5, metric: "acc" },
  { id: "gsm8k", label: "GSM8K", name: "GSM8K", shots: 5, metric: "exact match" },
];

/** The task ids in column order. */
export const TASK_IDS: readonly TaskId[] = H6_TASKS.map((task) => task.id);

/** The leaderboard's few-shot count per task. */
export const LEADERBOARD_SHOTS: Readonly<Record<TaskId, number>> = Object.fromEntries(H6_TASKS.map((task) => [task.id, task.shots])) as Record<TaskId, number>;

/** The 57 MMLU subjects (hendrycks/test), as the harness names them after `hendrycksTest-` or `mmlu_`: eval's list. */
export { MMLU_SUBJECTS };

/** How to read one results entry: which task it is and which metrics hold the headline number, in preference order. */
export interface TaskKeyRule {
  task: TaskId;
  metrics: readonly string[];
}

/**
 * Results keys (after removing the details format's `harness|` prefix and `|<shots>` suffix) that name a whole task.
 * MMLU subjects are recognised separately (`hendrycksTest-<subject>`, `mmlu_<subject>`).
 */
export const TASK_KEYS: Readonly<Record<string, TaskKeyRule>> = {
  arc_challenge: { task: "arc_challenge", metrics: ["acc_norm"] },
  "arc:challenge": { task: "arc_challenge", metrics: ["acc_norm"] },
  hellaswag: { task: "hellaswag", metrics: ["acc_norm"] },
  mmlu: { task: "mmlu", metrics: ["acc"] },
  truthfulqa_mc: { task: "truthfulqa_mc", metrics: ["mc2"] },
  "truthfulqa:mc": { task: "truthfulqa_mc", metrics: ["mc2"] },
  truthfulqa_mc2: { task: "truthfulqa_mc", metrics: ["acc", "mc2"] },
  winogrande: { task: "winogrande", metrics: ["acc"] },
  gsm8k: { task: "gsm8k", metrics: ["acc", "exact_match"] },
};

/** The metric that holds an MMLU subject's score. */
export const MMLU_SUBJECT_METRIC = "acc";

/**
 * lm-evaluation-harness v0.4 writes `metric,filter` keys; these filters are read, in this order. `strict-match` is
 * GSM8K's `#### <number>` extraction, the leaderboard's rule; `flexible-extract` is a different metric and is not read.
 */
export const METRIC_FILTERS: readonly string[] = ["none", "strict-match"];
