// The task registry: every task by name (the six families, the 57 mmlu_<subject> tasks), the groups mmlu and h6,
// and resolution of a --tasks list into tasks, in the leaderboard's order, without duplicates.
import { UnknownTaskError, TaskNotInProfileError } from "../errors.js";
import { arcChallenge } from "./arc.js";
import { gsm8k } from "./gsm8k.js";
import { hellaswag } from "./hellaswag.js";
import { MMLU_SUBJECTS, mmluSubjectTask } from "./mmlu.js";
import { truthfulqaMc } from "./truthfulqa.js";
import type { Profile, TaskDefinition, TaskFamily } from "./types.js";
import { winogrande } from "./winogrande.js";

/** The 57 MMLU subject tasks, in subject order. */
export const MMLU_TASKS: readonly TaskDefinition[] = MMLU_SUBJECTS.map(mmluSubjectTask);

const SINGLE_TASKS: readonly TaskDefinition[] = [arcChallenge, hellaswag, ...MMLU_TASKS, truthfulqaMc, winogrande, gsm8k];

const BY_NAME: ReadonlyMap<string, TaskDefinition> = new Map(SINGLE_TASKS.map((t) => [t.name, t]));

/** The six families of H6, in the leaderboard's column order. */
export const H6_FAMILIES: readonly TaskFamily[] = ["arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc", "winogrande", "gsm8k"];

/** Groups and the names they expand to. */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  mmlu: MMLU_TASKS.map((t) => t.name),
  h6: ["arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc", "winogrande", "gsm8k"],
};

/** Every name --tasks accepts. */
export function taskNames(): string[] {
  return [...Object.keys(GROUPS), ...BY_NAME.keys()];
}

/** A resolved --tasks list: the tasks to run and the groups asked for (whose aggregates are reported). */
export interface ResolvedTasks {
  tasks: TaskDefinition[];
  groups: Set<"mmlu" | "h6">;
}

/** Resolves a comma-separated (or array) task list; checks that the profile scores each task. */
export function resolveTasks(list: string | readonly string[], profile: Profile): ResolvedTasks {
  const names = (typeof list === "string" ? list.split(",") : [...list]).map((n) => n.trim()).filter((n) => n !== "");
  const groups = new Set<"mmlu" | "h6">();
  const wanted = new Set<string>();
  const expand = (name: string): void => {
    const lower = name.toLowerCase();
    const members = GROUPS[lower];
    if (members) {
      groups.add(lower as "mmlu" | "h6");
      members.forEach(expand);
      return;
    }
    if (!BY_NAME.has(lower)) throw new UnknownTaskError(name, taskNames());
    wanted.add(lower);
  };
  names.forEach(expand);
  if (wanted.size === 0) throw new UnknownTaskError("", taskNames());
  const tasks = SINGLE_TASKS.filter((t) => wanted.has(t.name));
  for (const task of tasks) {
    if (!profile.families.includes(task.family)) throw new TaskNotInProfileError(task.name, profile.name, profile.families);
  }
  return { tasks, groups };
}

/** The metric a task reports as its headline under a profile. */
export function headlineMetric(task: Pick<TaskDefinition, "family" | "headline">, profile: Profile): string {
  if (task.family === "gsm8k" && profile.name === "lm-eval-0.4") return "exact_match,strict-match";
  return task.headline;
}

/** The number of shots a task runs with: the profile's forced count, else --num-fewshot, else the task's default. */
export function shotsFor(task: TaskDefinition, profile: Profile, numFewshot: number | undefined): number {
  if (profile.forcedShots !== undefined) return profile.forcedShots;
  if (task.fewshot === undefined) return 0;
  return numFewshot ?? task.defaultShots;
}
