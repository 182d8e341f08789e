// Results: per-task means with standard errors, the MMLU group (macro or micro by profile), H6, the results.json
// layout (lm-evaluation-harness's, plus h6) that `dusk compare` reads, the terminal table, and samples lines.
import { macroAverage, mean, meanStderr, type ScoreWithStderr } from "./metrics.js";
import type { DocOutcome, TaskOutcome } from "./runner.js";
import { H6_FAMILIES, MMLU_TASKS, headlineMetric } from "./tasks/registry.js";
import type { Profile, Request } from "./tasks/types.js";

/** The results.json layout. Scores are fractions; a standard error is null when it is undefined (one doc). */
export interface ResultsJson {
  results: Record<string, Record<string, number | null>>;
  versions: Record<string, number>;
  "n-shot": Record<string, number>;
  config: { model: string; model_sha256: string | null; profile: string; limit: number | null; dusk_version: string };
  h6: number | null;
}

/** One task's scores, for the table. */
export interface TaskSummary {
  task: string;
  docs: number;
  shots: number;
  version: number;
  headline: string;
  metrics: Record<string, ScoreWithStderr>;
  /** For the mmlu group: how many of the 57 subjects it averages. */
  subjects?: number;
}

/** Means and standard errors of every metric of a task. */
export function summarizeTask(outcome: TaskOutcome, profile: Profile): TaskSummary {
  const names = Object.keys(outcome.docs[0]?.score.metrics ?? {});
  const metrics: Record<string, ScoreWithStderr> = {};
  for (const name of names) {
    const values = outcome.docs.map((d) => d.score.metrics[name] ?? Number.NaN);
    metrics[name] = { value: mean(values), stderr: meanStderr(values) };
  }
  const { task } = outcome.plan;
  return { task: task.name, docs: outcome.docs.length, shots: outcome.plan.shots, version: task.version, headline: headlineMetric(task, profile), metrics };
}

/** The MMLU group from its subjects: macro (mean of subject means) or micro (over all questions) per profile. */
export function summarizeMmlu(subjects: readonly TaskOutcome[], summaries: readonly TaskSummary[], profile: Profile): TaskSummary {
  const metrics: Record<string, ScoreWithStderr> = {};
  for (const name of ["acc", "acc_norm"]) {
    if (profile.mmluAggregate === "macro") {
      metrics[name] = macroAverage(summaries.map((s) => s.metrics[name] ?? { value: Number.NaN, stderr: Number.NaN }));
    } else {
      const values = subjects.flatMap((o) => o.docs.map((d) => d.score.metrics[name] ?? Number.NaN));
      metrics[name] = { value: mean(values), stderr: meanStderr(values) };
    }
  }
  return {
    task: "mmlu",
    docs: summaries.reduce((n, s) => n + s.docs, 0),
    shots: summaries[0]?.shots ?? 0,
    version: summaries[0]?.version ?? 1,
    headline: "acc",
    metrics,
    subjects: summaries.length,
  };
}

/** Options of buildResults. */
export interface BuildResultsOptions {
  outcomes: readonly TaskOutcome[];
  groups: ReadonlySet<"mmlu" | "h6">;
  profile: Profile;
  model: string;
  modelSha256: string | null;
  limit: number | undefined;
  duskVersion: string;
}

/** Summaries in report order (mmlu group before its subjects) and the results.json object. */
export function buildResults({ outcomes, groups, profile, model, modelSha256, limit, duskVersion }: BuildResultsOptions): {
  summaries: TaskSummary[];
  json: ResultsJson;
} {
  const summaries: TaskSummary[] = [];
  const subjectOutcomes = outcomes.filter((o) => o.plan.task.family === "mmlu");
  const subjectSummaries = subjectOutcomes.map((o) => summarizeTask(o, profile));
  for (const outcome of outcomes) {
    if (outcome.plan.task.family === "mmlu") continue;
    summaries.push(summarizeTask(outcome, profile));
  }
  const wantGroup = groups.has("mmlu") || groups.has("h6");
  const mmluGroup = wantGroup && subjectSummaries.length > 0 ? summarizeMmlu(subjectOutcomes, subjectSummaries, profile) : undefined;
  const ordered: TaskSummary[] = [];
  for (const family of H6_FAMILIES) {
    if (family === "mmlu") {
      if (mmluGroup) ordered.push(mmluGroup);
      ordered.push(...subjectSummaries);
    } else {
      ordered.push(...summaries.filter((s) => s.task === family));
    }
  }
  const json: ResultsJson = {
    results: {},
    versions: {},
    "n-shot": {},
    config: { model, model_sha256: modelSha256, profile: profile.name, limit: limit ?? null, dusk_version: duskVersion },
    h6: null,
  };
  for (const s of ordered) {
    const entry: Record<string, number | null> = {};
    for (const [name, { value, stderr }] of Object.entries(s.metrics)) {
      entry[name] = finiteOrNull(value);
      entry[stderrKey(name)] = finiteOrNull(stderr);
    }
    json.results[s.task] = entry;
    json.versions[s.task] = s.version;
    json["n-shot"][s.task] = s.shots;
  }
  if (groups.has("h6")) json.h6 = h6Score(ordered);
  return { summaries: ordered, json };
}

/** H6: the mean of the six headline numbers; null unless all six ran (MMLU with all 57 subjects). */
export function h6Score(summaries: readonly TaskSummary[]): number | null {
  const values: number[] = [];
  for (const family of H6_FAMILIES) {
    const s = summaries.find((x) => x.task === family);
    if (!s) return null;
    if (family === "mmlu" && s.subjects !== MMLU_TASKS.length) return null;
    const value = s.metrics[s.headline]?.value;
    if (value === undefined || !Number.isFinite(value)) return null;
    values.push(value);
  }
  return mean(values);
}

/** "<metric>_stderr", or lm-eval 0.4's "<metric>_stderr,<filter>" for a "<metric>,<filter>" key. */
export function stderrKey(metric: string): string {
  const comma = metric.indexOf(",");
  return comma < 0 ? `${metric}_stderr` : `${metric.slice(0, comma)}_stderr${metric.slice(comma)}`;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** The terminal table: one line per task metric (MMLU subjects collapsed under the group when the group ran). */
export function formatSummaryTable(summaries: readonly TaskSummary[], h6: number | null): string {
  const hasGroup = summaries.some((s) => s.task === "mmlu");
  const rows: string[][] = [["Task", "Shots", "Docs", "Metric", "Value", "Stderr"]];
  for (const s of summaries) {
    if (hasGroup && s.task.startsWith("mmlu_")) continue;
    const names = [s.headline, ...Object.keys(s.metrics).filter((m) => m !== s.headline)];
    names.forEach((name, i) => {
      const m = s.metrics[name];
      if (!m) return;
      const label = i > 0 ? "" : s.subjects !== undefined ? `${s.task} (${s.subjects} subjects)` : s.task;
      rows.push([label, i > 0 ? "" : String(s.shots), i > 0 ? "" : String(s.docs), name, fmt(m.value), Number.isFinite(m.stderr) ? `± ${fmt(m.stderr)}` : ""]);
    });
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const line = (r: string[]): string => r.map((cell, c) => (c >= 1 && c <= 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join("  ").trimEnd();
  const out = rows.map(line);
  out.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  if (h6 !== null) out.push("", `H6 (mean of the six headline scores): ${fmt(h6)}`);
  return out.join("\n");
}

function fmt(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : "n/a";
}

/** One --log-samples line for a doc. */
export function sampleLine(task: string, outcome: DocOutcome): Record<string, unknown> {
  return {
    task,
    doc_id: outcome.docId,
    gold: outcome.score.gold,
    prediction: outcome.score.prediction,
    metrics: outcome.score.metrics,
    requests: outcome.requests.map((request, i) => {
      const result = outcome.results[i];
      if (request.kind === "generate") return { kind: "generate", until: request.until, text: result?.kind === "generate" ? result.text : null };
      return result?.kind === "loglikelihood"
        ? { kind: "loglikelihood", continuation: request.continuation, loglikelihood: result.logprob, is_greedy: result.isGreedy, tokens: result.tokenCount }
        : { kind: "loglikelihood", continuation: request.continuation };
    }),
  };
}

/** One --dump-prompts line per request. */
export function promptLines(task: string, docId: number, requests: readonly Request[]): Record<string, unknown>[] {
  return requests.map((r) =>
    r.kind === "generate"
      ? { task, doc_id: docId, kind: "generate", context: r.context, until: r.until }
      : { task, doc_id: docId, kind: "loglikelihood", context: r.context, continuation: r.continuation },
  );
}
