// The evaluation plan of one task, pure data and no model: the docs in the profile's order (the leaderboard
// shuffled them with CPython's Random(42)), --limit, the few-shot examples drawn per doc, each doc's context and requests.
import { InvalidArgumentError } from "../common/index.js";
import type { FewshotPool, TaskData } from "./data/load.js";
import { PythonRandom } from "./rng.js";
import type { Profile, Request, TaskDefinition } from "./tasks/types.js";

/** One doc of the plan. */
export interface PlannedDoc<D = unknown> {
  docId: number;
  doc: D;
  /** Indices of the few-shot examples in the pool, in prompt order. */
  fewshotIndices: number[];
  context: string;
  requests: Request[];
}

/** The plan of one task. */
export interface TaskPlan<D = unknown> {
  task: TaskDefinition<D>;
  shots: number;
  /** Eval docs in the split, before --limit. */
  totalDocs: number;
  docs: PlannedDoc<D>[];
}

/** Options of planTask. */
export interface PlanOptions {
  profile: Profile;
  shots: number;
  /** Keep the first N docs after the shuffle; a fraction below 1 keeps int(n * limit), as the 2023 harness did. */
  limit?: number | undefined;
}

/** The context: description line, then each example's query + target joined by "\n\n", then "\n\n", then the query. */
export function buildContext<D>(task: TaskDefinition<D>, doc: D, examples: readonly D[], profile: Profile): string {
  const description = task.description();
  const head = description === "" ? "" : `${description}\n\n`;
  const labeled = examples.length === 0 ? "" : `${examples.map((e) => task.docToText(e, profile) + task.docToTarget(e, profile)).join("\n\n")}\n\n`;
  return head + labeled + task.docToText(doc, profile);
}

/** How many docs --limit keeps out of n. */
export function applyLimit(n: number, limit: number | undefined): number {
  if (limit === undefined) return n;
  if (!(limit > 0)) throw new InvalidArgumentError(`expected a positive --limit but got ${limit}`);
  return Math.min(n, limit < 1 ? Math.floor(n * limit) : Math.floor(limit));
}

/** Plans one task: order, limit, few-shot draws (from the shared or a separate CPython generator), contexts, requests. */
export function planTask<D>(task: TaskDefinition<D>, data: TaskData<D>, { profile, shots, limit }: PlanOptions): TaskPlan<D> {
  const docs = data.evalDocs.slice();
  const rng = new PythonRandom(profile.docSeed);
  if (profile.shuffleDocs) rng.shuffle(docs);
  const kept = docs.slice(0, applyLimit(docs.length, limit));
  const fewshotRng = profile.fewshotGenerator === "shared" ? rng : new PythonRandom(profile.fewshotSeed);
  const pool = data.pool;
  const poolIndices = pool ? Array.from({ length: pool.size }, (_, i) => i) : [];
  const planned = kept.map(({ docId, doc }) => {
    const fewshotIndices = selectFewshot(task, shots, pool, poolIndices, fewshotRng);
    const examples = pool ? fewshotIndices.map((i) => pool.get(i)) : [];
    const context = buildContext(task, doc, examples, profile);
    return { docId, doc, fewshotIndices, context, requests: task.requests(doc, context, profile) };
  });
  return { task, shots, totalDocs: docs.length, docs: planned };
}

function selectFewshot<D>(
  task: TaskDefinition<D>,
  shots: number,
  pool: FewshotPool<D> | undefined,
  poolIndices: number[],
  rng: PythonRandom,
): number[] {
  if (shots === 0 || task.fewshot === undefined) return [];
  if (!pool) throw new InvalidArgumentError(`expected a few-shot pool for ${task.name} (${shots} shots) but none was loaded`);
  // The harness took the first k dev rows for MMLU (a shorter dev split gives fewer), and rnd.sample(train, k) otherwise.
  if (task.fewshot.sampler === "first_n") return poolIndices.slice(0, shots);
  return rng.sample(poolIndices, shots);
}
