// The runner: executes a task's plan over a backend, a batch of docs at a time. Requests already in the results
// store are answered from it; the rest are tokenized by the profile's rule, scored or generated, stored, then scored.
import { Progress } from "../common/index.js";
import type { Backend } from "./backends/types.js";
import type { PlannedDoc, TaskPlan } from "./plan.js";
import { requestHash, type ResultsStore, type StoreKey } from "./store.js";
import type { DocScore, LoglikelihoodRequest, Profile, Request, RequestResult } from "./tasks/types.js";
import { encodeLlamaCppHellaswag, encodeLlamaCppWinogrande } from "./tokenize-llamacpp.js";
import { encodePair, truncateGenerationContext, truncateSpan, withBos, type Tokenizer, type TokenizedRequest } from "./tokenize.js";

/** What happened to one doc. */
export interface DocOutcome {
  docId: number;
  requests: Request[];
  results: RequestResult[];
  score: DocScore;
}

/** What happened to one task. */
export interface TaskOutcome {
  plan: TaskPlan;
  docs: DocOutcome[];
  /** Requests answered from the store, and computed by the backend. */
  fromStore: number;
  computed: number;
}

/** Options of runTask. */
export interface RunTaskOptions {
  backend: Backend;
  profile: Profile;
  /** The model's identity in the store (sha256 of the file, or "name:<model>"). */
  modelKey: string;
  addBos: boolean;
  /** The store; undefined runs without one. */
  store?: ResultsStore | undefined;
  /** Read answers from the store. Defaults to true (--no-cache sets false; results are still written). */
  readStore?: boolean;
  /** Docs per backend call. Defaults to 16. */
  batchDocs?: number;
  /** Draw a progress bar. Defaults to true. */
  progress?: boolean;
  /** Called with each doc's outcome as soon as it is scored (for --log-samples). */
  onDoc?: (outcome: DocOutcome) => void;
}

/** Remembers recent tokenizations (choices repeat the context; MMLU repeats its five-shot block). */
export class CachingTokenizer implements Tokenizer {
  private readonly cache = new Map<string, Promise<number[]>>();

  constructor(
    private readonly inner: Tokenizer,
    private readonly capacity = 4096,
  ) {}

  get bosToken(): number | undefined {
    return this.inner.bosToken;
  }
  get eosToken(): number | undefined {
    return this.inner.eosToken;
  }
  get addBosByDefault(): boolean {
    return this.inner.addBosByDefault;
  }

  tokenize(text: string): Promise<number[]> {
    let tokens = this.cache.get(text);
    if (tokens) {
      this.cache.delete(text);
    } else {
      tokens = this.inner.tokenize(text);
      if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value as string);
    }
    this.cache.set(text, tokens);
    return tokens;
  }
}

/** Tokenizes one doc's requests by the profile's rule. */
export async function tokenizeDoc(
  tokenizer: Tokenizer,
  family: string,
  requests: readonly Request[],
  profile: Profile,
  addBos: boolean,
  contextLength: number | undefined,
): Promise<TokenizedRequest[]> {
  if (profile.tokenization === "llamacpp") {
    const loglik = requests as LoglikelihoodRequest[];
    return family === "winogrande" ? encodeLlamaCppWinogrande(tokenizer, loglik, addBos) : encodeLlamaCppHellaswag(tokenizer, loglik, addBos);
  }
  return Promise.all(
    requests.map(async (r): Promise<TokenizedRequest> => {
      if (r.kind === "generate") {
        const context = truncateGenerationContext(withBos(await tokenizer.tokenize(r.context), tokenizer, addBos), r.maxTokens, contextLength);
        return { kind: "generate", context, until: r.until, maxTokens: r.maxTokens };
      }
      const span = truncateSpan(await encodePair(tokenizer, r.context, r.continuation, addBos), contextLength);
      return { kind: "loglikelihood", spans: [span] };
    }),
  );
}

/** Runs one task's plan and scores every doc. */
export async function runTask(
  plan: TaskPlan,
  { backend, profile, modelKey, addBos, store, readStore = true, batchDocs = 16, progress = true, onDoc }: RunTaskOptions,
): Promise<TaskOutcome> {
  const tokenizer = new CachingTokenizer(backend);
  const bar = new Progress({ label: plan.task.name, total: plan.docs.length, unit: "docs", silent: !progress });
  const outcome: TaskOutcome = { plan, docs: [], fromStore: 0, computed: 0 };
  for (let start = 0; start < plan.docs.length; start += batchDocs) {
    const batch = plan.docs.slice(start, start + batchDocs);
    const keys = batch.map((doc) => requestKeys(plan, doc, profile, modelKey, addBos));
    const answers: (RequestResult | undefined)[][] = batch.map((doc, d) =>
      doc.requests.map((_, r) => (store && readStore ? store.get((keys[d] as StoreKey[])[r] as StoreKey) : undefined)),
    );
    const missing = answers.flatMap((row, d) => row.map((a, r) => (a === undefined ? [d, r] : undefined)).filter((x): x is [number, number] => x !== undefined));
    outcome.fromStore += answers.flat().length - missing.length;
    if (missing.length > 0) {
      const fresh = await computeMissing(plan, batch, missing, { backend, tokenizer, profile, addBos });
      const toStore: { key: StoreKey; result: RequestResult }[] = [];
      missing.forEach(([d, r], i) => {
        const result = fresh[i] as RequestResult;
        (answers[d] as (RequestResult | undefined)[])[r] = result;
        toStore.push({ key: (keys[d] as StoreKey[])[r] as StoreKey, result });
      });
      store?.putMany(toStore);
      outcome.computed += missing.length;
    }
    batch.forEach((doc, d) => {
      const results = answers[d] as RequestResult[];
      const docOutcome = { docId: doc.docId, requests: doc.requests, results, score: plan.task.score(doc.doc, results, profile) };
      outcome.docs.push(docOutcome);
      onDoc?.(docOutcome);
    });
    bar.tick(batch.length);
  }
  bar.finish();
  return outcome;
}

function requestKeys(plan: TaskPlan, doc: PlannedDoc, profile: Profile, modelKey: string, addBos: boolean): StoreKey[] {
  // llama.cpp's scores depend on the doc's other choices (common prefix): hash them into each request's key.
  const siblings = profile.tokenization === "llamacpp" ? requestHash(doc.requests) : undefined;
  return doc.requests.map((request) => ({
    model: modelKey,
    profile: profile.name,
    task: plan.task.name,
    docId: doc.docId,
    request: requestHash({ rule: profile.tokenization, bos: addBos, request, siblings }),
  }));
}

async function computeMissing(
  plan: TaskPlan,
  batch: readonly PlannedDoc[],
  missing: readonly [number, number][],
  { backend, tokenizer, profile, addBos }: { backend: Backend; tokenizer: Tokenizer; profile: Profile; addBos: boolean },
): Promise<RequestResult[]> {
  const docIndices = [...new Set(missing.map(([d]) => d))];
  const tokenized = new Map<number, TokenizedRequest[]>();
  await Promise.all(
    docIndices.map(async (d) => {
      const doc = batch[d] as PlannedDoc;
      tokenized.set(d, await tokenizeDoc(tokenizer, plan.task.family, doc.requests, profile, addBos, backend.contextLength));
    }),
  );
  const wanted = missing.map(([d, r]) => (tokenized.get(d) as TokenizedRequest[])[r] as TokenizedRequest);
  const spans = wanted.flatMap((t) => (t.kind === "loglikelihood" ? t.spans : []));
  const generations = wanted.flatMap((t) => (t.kind === "generate" ? [t] : []));
  const spanResults = spans.length > 0 ? await backend.loglikelihood(spans) : [];
  const texts = generations.length > 0 ? await backend.generateUntil(generations) : [];
  let s = 0;
  let g = 0;
  return wanted.map((t): RequestResult => {
    if (t.kind === "generate") return { kind: "generate", text: texts[g++] ?? "" };
    let logprob = 0;
    let isGreedy = true;
    let tokenCount = 0;
    for (const span of t.spans) {
      const result = spanResults[s++];
      if (!result) throw new Error("the backend returned fewer results than spans");
      logprob += result.logprob;
      isGreedy &&= result.isGreedy;
      tokenCount += span.continuation.length;
    }
    return { kind: "loglikelihood", logprob, isGreedy, tokenCount };
  });
}
