// `dusk eval` end to end on the Hub-schema fixtures of all six tasks: through the CLI with two toy endpoint servers
// (results.json layout, H6, samples whose raw log-likelihoods give the reported metrics, prompts without a model),
// resume after an interruption, repeated runs answered from the store, the other profiles, and typed errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { MMLU_SUBJECTS, evaluate, metrics, type SpanResult, type TokenSpan } from "../../src/eval/index.js";
import { FIXTURE_EVAL_DOCS, writeFixtureDataDir } from "./fixtures.js";
import { BOS, ToyBackend } from "./toy-model.js";
import { startToyServer, type ToyServer } from "./toy-server.js";

const root = mkdtempSync(join(tmpdir(), "dusk-eval-e2e-"));
const dataDir = join(root, "data");
writeFixtureDataDir(dataDir);
let servers: ToyServer[] = [];
beforeAll(async () => {
  servers = [await startToyServer(), await startToyServer()];
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});

async function dusk(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(["node", "dusk", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const readLines = (path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const completions = () => servers.reduce((n, s) => n + (s.hits["/v1/completions"] ?? 0), 0);

describe("dusk eval --tasks h6 over two endpoint servers", () => {
  const store = join(root, "store.sqlite");
  const args = (tasks = "h6", limit = "3") => ["eval", "toy", "--endpoint", servers.map((s) => s.url).join(","), "--tasks", tasks, "--limit", limit, "--data-dir", dataDir, "--store", store, "--no-progress"];

  it("writes results.json in the harness layout with H6, samples per doc, and spreads requests over both URLs", async () => {
    const output = join(root, "results.json");
    const samplesPath = join(root, "samples.jsonl");
    const { code, stdout, stderr } = await dusk([...args(), "-o", output, "--log-samples", samplesPath]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/arc_challenge\s+25\s+3\s+acc_norm/);
    expect(stdout).toMatch(/mmlu \(57 subjects\)\s+5\s+114\s+acc/);
    expect(stdout).toMatch(/H6 \(mean of the six headline scores\): \d\.\d{4}/);
    servers.forEach((s) => expect(s.hits["/v1/completions"] ?? 0).toBeGreaterThan(0));

    const json = JSON.parse(readFileSync(output, "utf8")) as {
      results: Record<string, Record<string, number | null>>;
      versions: Record<string, number>;
      "n-shot": Record<string, number>;
      config: Record<string, unknown>;
      h6: number;
    };
    expect(Object.keys(json)).toEqual(["results", "versions", "n-shot", "config", "h6"]);
    expect(json.config).toMatchObject({ model: "toy", model_sha256: null, profile: "leaderboard-v1", limit: 3 });
    expect(typeof json.config.dusk_version).toBe("string");
    expect(json["n-shot"]).toMatchObject({ arc_challenge: 25, hellaswag: 10, mmlu: 5, truthfulqa_mc: 0, winogrande: 5, gsm8k: 5 });
    expect(Object.keys(json.results).filter((k) => k.startsWith("mmlu_"))).toHaveLength(57);
    const headline = [json.results.arc_challenge!.acc_norm, json.results.hellaswag!.acc_norm, json.results.mmlu!.acc, json.results.truthfulqa_mc!.mc2, json.results.winogrande!.acc, json.results.gsm8k!.acc] as number[];
    expect(json.h6).toBeCloseTo(metrics.mean(headline), 12);
    expect(json.results.mmlu!.acc).toBeCloseTo(metrics.mean(MMLU_SUBJECTS.map((s) => json.results[`mmlu_${s}`]!.acc!)), 12);

    // The samples' raw log-likelihoods give the reported scores when the metrics are recomputed here.
    const samples = readLines(samplesPath);
    expect(samples).toHaveLength(57 * FIXTURE_EVAL_DOCS.mmlu_subject + 5 * 3);
    const arc = samples.filter((s) => s.task === "arc_challenge");
    const accNorm = arc.map((s) => {
      const requests = s.requests as { continuation: string; loglikelihood: number }[];
      const scores = requests.map((r) => r.loglikelihood / [...r.continuation.slice(1)].length);
      return scores.indexOf(Math.max(...scores)) === s.gold ? 1 : 0;
    });
    expect(json.results.arc_challenge!.acc_norm).toBeCloseTo(metrics.mean(accNorm), 12);
    expect(json.results.arc_challenge!.acc_norm_stderr).toBeCloseTo(metrics.meanStderr(accNorm), 12);
    const gsm = samples.filter((s) => s.task === "gsm8k");
    for (const s of gsm) {
      const text = (s.requests as { text: string }[])[0]!.text;
      expect(s.prediction).toBe(metrics.extractGsm8kAnswer(text));
      expect(text.includes(":")).toBe(false);
    }
  });

  it("answers a repeated run from the store, and --no-cache asks the servers again", async () => {
    const first = await dusk(args("arc_challenge,winogrande", "4"));
    expect(first.code).toBe(0);
    const before = completions();
    const again = await dusk(args("arc_challenge,winogrande", "4"));
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/answered (\d+) of \1 requests from the results store/);
    expect(completions()).toBe(before);
    const fresh = await dusk([...args("arc_challenge,winogrande", "4"), "--no-cache"]);
    expect(fresh.code).toBe(0);
    expect(completions()).toBeGreaterThan(before);
  });

  it("dumps prompts without a model: one line per request, doc ids from the split files", async () => {
    const path = join(root, "prompts.jsonl");
    const { code, stdout } = await dusk(["eval", "--dump-prompts", path, "--tasks", "arc_challenge,winogrande,gsm8k", "--data-dir", dataDir, "--limit", "3"]);
    expect(code).toBe(0);
    const lines = readLines(path);
    expect(stdout).toMatch(new RegExp(`wrote ${lines.length} requests`));
    const winogrande = lines.filter((l) => l.task === "winogrande");
    expect(winogrande).toHaveLength(6);
    expect(Object.keys(winogrande[0]!)).toEqual(["task", "doc_id", "kind", "context", "continuation"]);
    expect(lines.filter((l) => l.task === "gsm8k").map((l) => Object.keys(l))).toEqual(Array(3).fill(["task", "doc_id", "kind", "context", "until"]));
    expect(new Set(lines.map((l) => l.doc_id as number)).size).toBeGreaterThan(1);
  });
});

/** A toy backend that fails after a number of scoring calls, to interrupt a run. */
class FlakyBackend extends ToyBackend {
  calls = 0;
  constructor(private readonly failAfter: number) {
    super();
  }
  override loglikelihood(spans: readonly TokenSpan[]): Promise<SpanResult[]> {
    if (++this.calls > this.failAfter) return Promise.reject(new Error("connection lost"));
    return super.loglikelihood(spans);
  }
}

describe("resume", () => {
  it("an interrupted run resumes from the store and ends with the same results as an uninterrupted one", async () => {
    const store = join(root, "resume.sqlite");
    const options = { model: "toy", tasks: "arc_challenge,hellaswag,winogrande", dataDir, storePath: store, progress: false };
    await expect(evaluate({ ...options, backend: new FlakyBackend(1) })).rejects.toThrow("connection lost");
    const resumed = await evaluate({ ...options, backend: new ToyBackend() });
    expect(resumed.fromStore).toBeGreaterThan(0);
    expect(resumed.computed).toBeGreaterThan(0);
    const total = resumed.plans.reduce((n, p) => n + p.requests, 0);
    expect(resumed.fromStore + resumed.computed).toBe(total);
    const clean = await evaluate({ ...options, storePath: join(root, "clean.sqlite"), backend: new ToyBackend() });
    expect(resumed.results?.results).toEqual(clean.results?.results);
  });
});

/** Records the spans it scores. */
class RecordingBackend extends ToyBackend {
  readonly seen: TokenSpan[] = [];
  override loglikelihood(spans: readonly TokenSpan[]): Promise<SpanResult[]> {
    this.seen.push(...spans);
    return super.loglikelihood(spans);
  }
}

describe("other profiles", () => {
  it("lm-eval-0.4: GSM8K strict/flexible metrics, MMLU weighted by questions, BOS from the tokenizer", async () => {
    const backend = new RecordingBackend();
    const report = await evaluate({ model: "toy", tasks: "gsm8k,mmlu", profile: "lm-eval-0.4", dataDir, backend, storePath: ":memory:", progress: false });
    const results = report.results!.results;
    expect(Object.keys(results.gsm8k!)).toEqual(["exact_match,strict-match", "exact_match_stderr,strict-match", "exact_match,flexible-extract", "exact_match_stderr,flexible-extract"]);
    const subjects = MMLU_SUBJECTS.map((s) => results[`mmlu_${s}`]!.acc!);
    expect(results.mmlu!.acc).toBeCloseTo(metrics.mean(subjects), 12); // equal subject sizes: micro = macro here
    expect(backend.seen.every((span) => span.context[0] === BOS)).toBe(true);
  });

  it("leaderboard-v1 adds no BOS unless --bos says so", async () => {
    const off = new RecordingBackend();
    await evaluate({ model: "toy", tasks: "winogrande", dataDir, backend: off, storePath: ":memory:", progress: false, limit: 1 });
    expect(off.seen.some((span) => span.context[0] === BOS)).toBe(false);
    const on = new RecordingBackend();
    await evaluate({ model: "toy", tasks: "winogrande", dataDir, backend: on, storePath: ":memory:", progress: false, limit: 2, bos: true });
    expect(on.seen.every((span) => span.context[0] === BOS)).toBe(true);
  });

  it("llamacpp: 0-shot HellaSwag and Winogrande by mean log-probability; other tasks refused", async () => {
    const report = await evaluate({ model: "toy", tasks: "hellaswag,winogrande", profile: "llamacpp", dataDir, backend: new ToyBackend(), storePath: ":memory:", progress: false });
    expect(report.results!["n-shot"]).toEqual({ hellaswag: 0, winogrande: 0 });
    expect(Object.keys(report.results!.results.hellaswag!)).toEqual(["acc_norm", "acc_norm_stderr"]);
    await expect(evaluate({ tasks: "arc_challenge", profile: "llamacpp", dataDir, dumpPrompts: join(root, "x.jsonl") })).rejects.toThrow(/profile llamacpp scores/);
  });
});

describe("bad input gives one line and a hint, exit status 1", () => {
  it("unknown task, missing model, a model file llama.cpp cannot load, bad --limit", async () => {
    const unknown = await dusk(["eval", "--tasks", "arc_easy", "--data-dir", dataDir, "--dump-prompts", join(root, "p.jsonl")]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^dusk: error: expected a task name such as .* but got "arc_easy"\n {2}hint: /);
    const noModel = await dusk(["eval", "--tasks", "gsm8k", "--data-dir", dataDir, "--store", join(root, "s.sqlite"), "--no-progress"]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/expected a model/);
    const file = join(root, "model.gguf");
    writeFileSync(file, "GGUF");
    const inProcess = await dusk(["eval", file, "--tasks", "gsm8k", "--data-dir", dataDir, "--store", join(root, "s.sqlite"), "--no-progress"]);
    expect(inProcess.code).toBe(1);
    expect(inProcess.stderr).toMatch(/^dusk: error: expected a GGUF model that llama.cpp can load at .*model\.gguf/);
    const badLimit = await dusk(["eval", "--tasks", "gsm8k", "--limit", "-2", "--dump-prompts", join(root, "p.jsonl")]);
    expect(badLimit.code).not.toBe(0);
    expect(badLimit.stderr).toMatch(/--limit must be a positive number/);
  });
});
