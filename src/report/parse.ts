// Reads one results document into a ModelRow. Four layouts: dusk eval's, lm-evaluation-harness v0.3's (the Open
// LLM Leaderboard v1 era), v0.4's (`metric,filter` keys) and the leaderboard's details files (`harness|task|shots`).
// Scores arrive as fractions in [0, 1] and leave as percentages, like the leaderboard's tables.
import { basename } from "node:path";
import { ResultsFormatError } from "./errors.js";
import type { ModelRow, ResultsLayout, Score } from "./model.js";
import { METRIC_FILTERS, MMLU_SUBJECT_METRIC, MMLU_SUBJECTS, TASK_KEYS, type TaskId } from "./tasks.js";

type Json = Record<string, unknown>;

/** Options of {@link parseResults}. */
export interface ParseResultsOptions {
  /** Where the document came from, for messages and the row's `source`. Defaults to "results". */
  source?: string;
}

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Tells the layout from the document's shape. */
export function detectLayout(doc: Json): ResultsLayout {
  const config = isRecord(doc.config) ? doc.config : {};
  const results = isRecord(doc.results) ? doc.results : {};
  if (typeof config.dusk_version === "string") return "dusk";
  if (Object.keys(results).some((key) => key.startsWith("harness|"))) return "leaderboard-details";
  const metricKeys = Object.values(results).flatMap((metrics) => (isRecord(metrics) ? Object.keys(metrics) : []));
  if (metricKeys.some((key) => key.includes(","))) return "lm-eval-0.4";
  return "lm-eval-0.3";
}

/** A results key without the details format's decorations: `harness|arc:challenge|25` → `arc:challenge`, 25. */
function splitKey(key: string): { name: string; shots?: number } {
  const match = /^harness\|(.+)\|(\d+)$/.exec(key);
  return match ? { name: match[1] ?? key, shots: Number(match[2]) } : { name: key };
}

/** The MMLU subject a key names, if any. v0.4's category groups (mmlu_stem, ...) are not subjects. */
function mmluSubject(name: string): string | undefined {
  const match = /^(?:hendrycksTest-|mmlu_)(.+)$/.exec(name);
  const subject = match?.[1];
  return subject !== undefined && MMLU_SUBJECTS.includes(subject) ? subject : undefined;
}

interface Measured {
  value: number;
  stderr?: number;
}

/** Reads the first of `metrics` present (v0.4 keys `metric,filter` with a filter of METRIC_FILTERS, else plain keys). */
function readMetric(entry: Json, metrics: readonly string[], where: string, source: string): Measured | undefined {
  for (const metric of metrics) {
    for (const suffix of ["", ...METRIC_FILTERS.map((filter) => `,${filter}`)]) {
      const raw = entry[`${metric}${suffix}`];
      if (raw === undefined || raw === null) continue; // dusk eval writes null for a score it could not compute
      if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0 || raw > 1) {
        throw new ResultsFormatError(source, `expected ${where} ${metric} to be a fraction in [0, 1] but found ${JSON.stringify(raw)}`);
      }
      const stderrRaw = entry[`${metric}_stderr${suffix}`];
      const stderr = typeof stderrRaw === "number" && Number.isFinite(stderrRaw) && stderrRaw >= 0 ? stderrRaw : undefined;
      return stderr === undefined ? { value: raw } : { value: raw, stderr };
    }
  }
  return undefined;
}

function toScore(measured: Measured, shots: number | undefined): Score {
  return {
    value: measured.value * 100,
    ...(measured.stderr !== undefined ? { stderr: measured.stderr * 100 } : {}),
    provenance: "measured",
    ...(shots !== undefined ? { shots } : {}),
  };
}

/** The few-shot count of one results key, from `n-shot` (dusk, v0.4), the key itself (details) or config (v0.3). */
function shotsOf(doc: Json, key: string, keyShots: number | undefined): number | undefined {
  if (keyShots !== undefined) return keyShots;
  const nShot = doc["n-shot"];
  if (isRecord(nShot) && typeof nShot[key] === "number") return nShot[key];
  const config = doc.config;
  if (isRecord(config) && typeof config.num_fewshot === "number") return config.num_fewshot;
  return undefined;
}

/** The `pretrained=` (or `model=`, `path=`) value of harness model_args, written as a string or an object. */
function modelFromArgs(args: unknown): string | undefined {
  if (isRecord(args)) {
    for (const key of ["pretrained", "model", "path"]) if (typeof args[key] === "string") return args[key];
    return undefined;
  }
  if (typeof args !== "string") return undefined;
  for (const part of args.split(",")) {
    const match = /^\s*(pretrained|model|path)=(.+?)\s*$/.exec(part);
    if (match?.[2]) return match[2];
  }
  return undefined;
}

/** A model reference as a display name: Hub ids stay; file paths become the file name without its extension. */
export function displayName(model: string): string {
  const extension = /\.(gguf|safetensors|bin|pt)$/i;
  const looksLikePath = /^[./~]/.test(model) || model.includes("\\") || extension.test(model) || model.split("/").length > 2;
  if (!looksLikePath) return model;
  return basename(model.replace(/[\\/]+$/, "")).replace(extension, "");
}

function modelName(doc: Json, layout: ResultsLayout, source: string): string {
  const config = isRecord(doc.config) ? doc.config : {};
  const general = isRecord(doc.config_general) ? doc.config_general : {};
  const candidates: unknown[] =
    layout === "dusk"
      ? [config.model]
      : layout === "leaderboard-details"
        ? [general.model_name, modelFromArgs(config.model_args)]
        : [doc.model_name, modelFromArgs(config.model_args), config.pretrained];
  const found = candidates.find((name): name is string => typeof name === "string" && name.trim() !== "");
  return displayName(found ?? basename(source).replace(/\.json$/i, ""));
}

function paramsOf(doc: Json): number | undefined {
  const config = isRecord(doc.config) ? doc.config : {};
  for (const key of ["model_num_parameters", "params", "num_parameters"]) {
    const value = config[key];
    if (typeof value === "number" && Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

/** The mean of the 57 subjects (the leaderboard's MMLU), with the standard error of a mean of independent parts. */
function mmluMean(subjects: Map<string, Score>): Score {
  const scores = [...subjects.values()];
  const value = scores.reduce((sum, score) => sum + score.value, 0) / scores.length;
  const stderrs = scores.map((score) => score.stderr);
  const known = stderrs.every((stderr) => stderr !== undefined);
  const stderr = known ? Math.sqrt(stderrs.reduce<number>((sum, se) => sum + (se ?? 0) ** 2, 0)) / scores.length : undefined;
  const shots = Math.max(...scores.map((score) => score.shots ?? -1));
  return { value, ...(stderr !== undefined ? { stderr } : {}), provenance: "measured", ...(shots >= 0 ? { shots } : {}) };
}

/**
 * Parses one results document (already JSON-decoded) into a row of type `ours` with measured scores.
 * MMLU is the mean of the 57 subjects when all are present (the leaderboard's rule), else the file's `mmlu` entry.
 * @throws ResultsFormatError when the document has no `results` object, no H6 task, or a score outside [0, 1].
 */
export function parseResults(json: unknown, { source = "results" }: ParseResultsOptions = {}): ModelRow {
  if (!isRecord(json) || !isRecord(json.results)) {
    throw new ResultsFormatError(source, `expected a JSON object with a "results" object but found ${Array.isArray(json) ? "an array" : isRecord(json) ? `keys ${Object.keys(json).slice(0, 5).join(", ") || "none"}` : typeof json}`);
  }
  const layout = detectLayout(json);
  const scores: Partial<Record<TaskId, Score>> = {};
  const subjects = new Map<string, Score>();
  const notes: string[] = [];
  for (const [key, entry] of Object.entries(json.results)) {
    if (!isRecord(entry)) continue;
    const { name, shots: keyShots } = splitKey(key);
    const subject = mmluSubject(name);
    const rule = TASK_KEYS[name];
    if (subject !== undefined) {
      const measured = readMetric(entry, [MMLU_SUBJECT_METRIC], key, source);
      if (measured) subjects.set(subject, toScore(measured, shotsOf(json, key, keyShots)));
    } else if (rule !== undefined) {
      const measured = readMetric(entry, rule.metrics, key, source);
      if (measured) scores[rule.task] = toScore(measured, shotsOf(json, key, keyShots));
    }
  }
  if (subjects.size === MMLU_SUBJECTS.length) {
    scores.mmlu = mmluMean(subjects);
  } else if (scores.mmlu !== undefined && layout === "lm-eval-0.4") {
    // v0.4 gives groups an n-shot of 0; the subjects hold the few-shot count the prompts really had.
    const { shots: _groupShots, ...group } = scores.mmlu;
    const subjectShots = Math.max(...[...subjects.values()].map((score) => score.shots ?? -1));
    scores.mmlu = subjectShots >= 0 ? { ...group, shots: subjectShots } : group;
    notes.push("MMLU is lm-evaluation-harness v0.4's group score (weighted by subject size), not the leaderboard's mean of subjects");
  } else if (subjects.size > 0 && scores.mmlu === undefined) {
    notes.push(`MMLU missing: ${subjects.size} of ${MMLU_SUBJECTS.length} subjects in the file, and the leaderboard's MMLU is the mean of all ${MMLU_SUBJECTS.length}`);
  }
  if (Object.keys(scores).length === 0) {
    throw new ResultsFormatError(source, `expected at least one H6 task (arc_challenge, hellaswag, mmlu, truthfulqa_mc, winogrande, gsm8k) in "results" but found ${Object.keys(json.results).slice(0, 6).join(", ") || "nothing"}`);
  }
  const config = isRecord(json.config) ? json.config : {};
  const params = paramsOf(json);
  const limit = typeof config.limit === "number" && config.limit > 0 ? config.limit : undefined;
  const profile = typeof config.profile === "string" ? config.profile : undefined;
  if (profile !== undefined && profile !== "leaderboard-v1") {
    notes.push(`evaluated with the ${profile} profile, not leaderboard-v1: its numbers are not scored as the leaderboard scored them`);
  }
  return {
    name: modelName(json, layout, source),
    type: "ours",
    ...(params !== undefined ? { params, paramsSource: "results" as const } : {}),
    scores,
    source,
    layout,
    ...(limit !== undefined ? { limit } : {}),
    ...(profile !== undefined ? { profile } : {}),
    notes,
  };
}
