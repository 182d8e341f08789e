// evaluate(): the library entry point behind `dusk eval`. Resolves tasks and data, plans every task (order,
// few-shot draws, prompts), then either dumps the prompts (no model) or runs them over a backend with the results
// store, and writes results.json, samples and the summary table.
import { createWriteStream, readFileSync } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { InvalidArgumentError, writeAtomically } from "../common/index.js";
import { EndpointBackend } from "./backends/endpoint.js";
import { createInProcessBackend } from "./backends/inprocess.js";
import type { Backend } from "./backends/types.js";
import { DatasetLoader } from "./data/load.js";
import { DataDirResolver, HubDatasetResolver, type DatasetResolver } from "./data/resolver.js";
import { DatasetNotFoundError } from "./errors.js";
import { planTask, type TaskPlan } from "./plan.js";
import { DEFAULT_PROFILE, getProfile } from "./profiles.js";
import { buildResults, formatSummaryTable, promptLines, sampleLine, type ResultsJson, type TaskSummary } from "./results.js";
import { runTask, type TaskOutcome } from "./runner.js";
import { ResultsStore } from "./store.js";
import { resolveTasks, shotsFor } from "./tasks/registry.js";

/** Options of evaluate(). */
export interface EvaluateOptions {
  /** The model: a GGUF path (hashed for the store), or a name when scoring through --endpoint. */
  model?: string | undefined;
  /** Task names or groups, as a list or comma-separated. */
  tasks: string | readonly string[];
  /** Scoring rules. Defaults to "leaderboard-v1". */
  profile?: string | undefined;
  /** Shots for every task with a few-shot pool. Defaults to each task's leaderboard count. */
  numFewshot?: number | undefined;
  /** Local data: DIR/<task folder>/... Defaults to the Hub: the parquet export (refs/convert/parquet) pulled once into the HF cache (see HubDatasetResolver). */
  dataDir?: string | undefined;
  /** A resolver to use instead of dataDir/the Hub. */
  resolver?: DatasetResolver | undefined;
  /** First N docs after the profile's ordering (a fraction below 1 keeps that share). Defaults to all. */
  limit?: number | undefined;
  /** CPU threads of the in-process backend. Defaults to 2. */
  threads?: number | undefined;
  /** Sequences (or HTTP requests) at once. Defaults to the backend's own default. */
  parallel?: number | undefined;
  /** Force BOS on or off. Defaults to the profile's rule. */
  bos?: boolean | undefined;
  /** OpenAI-compatible server base URLs. Defaults to none (in-process). */
  endpoints?: readonly string[] | undefined;
  /** A backend to use as is (library users, tests). */
  backend?: Backend | undefined;
  /** Write results.json here. */
  output?: string | undefined;
  /** Write one JSON line per doc here. */
  logSamples?: string | undefined;
  /** Write one JSON line per request here and run no model. */
  dumpPrompts?: string | undefined;
  /** Do not read answers from the results store (fresh answers are still stored). Defaults to false. */
  noCache?: boolean | undefined;
  /** The results store file. Defaults to ~/.cache/dusk/eval-results.sqlite ($DUSK_CACHE_DIR overrides). */
  storePath?: string | undefined;
  /** Draw progress bars. Defaults to true. */
  progress?: boolean | undefined;
  /** Receives one-line notices (skipped subjects, store hits). Defaults to ignoring them. */
  onNotice?: ((message: string) => void) | undefined;
}

/** What evaluate() did. */
export interface EvaluateReport {
  mode: "dump" | "run";
  /** Per task: docs planned and requests. */
  plans: { task: string; docs: number; totalDocs: number; shots: number; requests: number }[];
  /** Lines written by --dump-prompts. */
  promptCount: number;
  results: ResultsJson | undefined;
  summaries: TaskSummary[];
  table: string;
  fromStore: number;
  computed: number;
}

/** dusk's version, for results.json. */
export function duskVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** Runs (or plans and dumps) an evaluation. */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateReport> {
  const { tasks: taskList, profile: profileName = DEFAULT_PROFILE, numFewshot, dataDir, limit, onNotice = () => undefined } = options;
  if (numFewshot !== undefined && (!Number.isInteger(numFewshot) || numFewshot < 0)) {
    throw new InvalidArgumentError(`expected --num-fewshot to be a whole number >= 0 but got ${numFewshot}`);
  }
  const profile = getProfile(profileName);
  const { tasks, groups } = resolveTasks(taskList, profile);
  const resolver = options.resolver ?? (dataDir !== undefined ? new DataDirResolver(dataDir) : new HubDatasetResolver({ quiet: options.progress === false }));
  const loader = new DatasetLoader(resolver);

  const plans: TaskPlan[] = [];
  const skipped: string[] = [];
  for (const task of tasks) {
    const shots = shotsFor(task, profile, numFewshot);
    try {
      const data = await loader.load(task, profile, shots);
      plans.push(planTask(task, data, { profile, shots, limit }));
    } catch (error) {
      // `--tasks mmlu` on a partial MMLU folder: run the subjects that have test data, and say so.
      if (error instanceof DatasetNotFoundError && task.family === "mmlu" && groups.has("mmlu") && tasks.length > 1) skipped.push(task.name);
      else throw error;
    }
  }
  if (skipped.length > 0) onNotice(`mmlu: ${skipped.length} subjects have no test data and were skipped (the MMLU score and H6 need all 57)`);
  if (plans.length === 0) throw new DatasetNotFoundError("expected test data for at least one MMLU subject but found none");
  const planSummary = plans.map((p) => ({
    task: p.task.name,
    docs: p.docs.length,
    totalDocs: p.totalDocs,
    shots: p.shots,
    requests: p.docs.reduce((n, d) => n + d.requests.length, 0),
  }));

  if (options.dumpPrompts !== undefined) {
    const promptCount = await writeJsonLines(options.dumpPrompts, plans.flatMap((p) => p.docs.flatMap((d) => promptLines(p.task.name, d.docId, d.requests))));
    return { mode: "dump", plans: planSummary, promptCount, results: undefined, summaries: [], table: "", fromStore: 0, computed: 0 };
  }
  return runPlans(plans, planSummary, groups, profile.name, options);
}

async function runPlans(
  plans: TaskPlan[],
  planSummary: EvaluateReport["plans"],
  groups: ReadonlySet<"mmlu" | "h6">,
  profileName: string,
  options: EvaluateOptions,
): Promise<EvaluateReport> {
  const { model, limit, noCache = false, progress = true, onNotice = () => undefined } = options;
  const profile = getProfile(profileName);
  if (model === undefined && options.backend === undefined) {
    throw new InvalidArgumentError("expected a model (a GGUF file, or a name with --endpoint) but got none", {
      hint: "dusk eval model.gguf --tasks h6 --data-dir data/ (or --dump-prompts prompts.jsonl to write prompts without a model)",
    });
  }
  const store = await ResultsStore.open(options.storePath);
  let opened: Backend | undefined;
  try {
    const isFile = model !== undefined && (await stat(model).then((s) => s.isFile()).catch(() => false));
    const modelSha256 = isFile && model !== undefined ? await store.fileSha256(model) : null;
    const modelKey = modelSha256 ?? `name:${model ?? "backend"}`;
    const backend = options.backend ?? (opened = await openBackend(options));
    const addBos = options.bos ?? (profile.bos === "off" ? false : backend.addBosByDefault);
    const outcomes: TaskOutcome[] = [];
    const samples: Record<string, unknown>[] = [];
    let fromStore = 0;
    let computed = 0;
    for (const plan of plans) {
      const outcome = await runTask(plan, {
        backend,
        profile,
        modelKey,
        addBos,
        store,
        readStore: !noCache,
        progress,
        ...(options.logSamples !== undefined ? { onDoc: (doc) => samples.push(sampleLine(plan.task.name, doc)) } : {}),
      });
      outcomes.push(outcome);
      fromStore += outcome.fromStore;
      computed += outcome.computed;
    }
    if (fromStore > 0) onNotice(`answered ${fromStore} of ${fromStore + computed} requests from the results store`);
    const { summaries, json } = buildResults({ outcomes, groups, profile, model: model ?? backend.description, modelSha256, limit, duskVersion: duskVersion() });
    if (options.output !== undefined) await writeAtomically(options.output, (tmp) => writeFile(tmp, `${JSON.stringify(json, null, 2)}\n`));
    if (options.logSamples !== undefined) await writeJsonLines(options.logSamples, samples);
    return { mode: "run", plans: planSummary, promptCount: 0, results: json, summaries, table: formatSummaryTable(summaries, json.h6), fromStore, computed };
  } finally {
    await opened?.close();
    store.close();
  }
}

/** Opens the backend the options name: the endpoint fleet, or the model in process. */
async function openBackend({ model, endpoints, parallel, threads = 2 }: EvaluateOptions): Promise<Backend> {
  if (endpoints && endpoints.length > 0) {
    return EndpointBackend.connect({ urls: [...endpoints], ...(model !== undefined ? { model } : {}), ...(parallel !== undefined ? { parallel } : {}) });
  }
  return createInProcessBackend({ modelPath: model ?? "", threads, ...(parallel !== undefined ? { parallel } : {}) });
}

/** Writes objects as JSON lines, atomically; returns the number of lines. */
export async function writeJsonLines(path: string, lines: readonly unknown[]): Promise<number> {
  await writeAtomically(path, async (tmp) => {
    const stream = createWriteStream(tmp);
    for (const line of lines) {
      if (!stream.write(`${JSON.stringify(line)}\n`)) await once(stream, "drain");
    }
    stream.end();
    await once(stream, "finish");
  });
  return lines.length;
}
