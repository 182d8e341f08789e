// `dusk eval` through `dusk serve`: the eval's endpoint backend (token-id prompts, echo + logprobs + max_tokens 0,
// /tokenize) against createServer on a tiny generated F32 model gives the same per-request log-likelihoods, greedy
// flags and scores as the in-process backend on the same file, on the eval's Hub-schema fixtures.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndpointBackend, evaluate, type EvaluateReport } from "../src/eval/index.js";
import { getSharedLlama } from "../src/infer/index.js";
import { createServer, type DuskServer } from "../src/serve/index.js";
import { makeTinyModel } from "../src/tiny/index.js";
import { writeFixtureDataDir } from "./eval/fixtures.js";

const TASKS = "arc_challenge,hellaswag,winogrande";
const LIMIT = 5;
/** Shots for every task (the leaderboard's 25/10/5 make the endpoint run ~4x slower: each request scores its whole prompt). */
const SHOTS = 5;
const CONTEXT = 4096;

interface SampleRequest {
  kind: string;
  continuation?: string;
  loglikelihood?: number;
  is_greedy?: boolean;
}
interface Sample {
  task: string;
  doc_id: number;
  prediction: unknown;
  requests: SampleRequest[];
}

const root = mkdtempSync(join(tmpdir(), "dusk-eval-serve-"));
const dataDir = join(root, "data");
let modelPath = "";
let server: DuskServer;

beforeAll(async () => {
  writeFixtureDataDir(dataDir);
  modelPath = (await makeTinyModel({ output: join(root, "tiny.gguf"), type: "F32", layers: 2, context: CONTEXT })).path;
  server = await createServer({ models: [{ name: "tiny", path: modelPath }], port: 0, parallel: 2, contextSize: CONTEXT, threads: 1, gpuLayers: 0, kvCacheType: "F32", llama: await getSharedLlama(false) });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

function readSamples(path: string): Map<string, Sample> {
  const lines = readFileSync(path, "utf8").split("\n").filter((line) => line !== "");
  return new Map(lines.map((line) => JSON.parse(line) as Sample).map((s) => [`${s.task}/${s.doc_id}`, s]));
}

async function run(name: string, options: { model: string; endpoints?: string[] }): Promise<{ report: EvaluateReport; samples: Map<string, Sample> }> {
  const logSamples = join(root, `${name}.samples.jsonl`);
  const report = await evaluate({ ...options, tasks: TASKS, numFewshot: SHOTS, dataDir, limit: LIMIT, threads: 1, storePath: join(root, `${name}.sqlite`), logSamples, output: join(root, `${name}.json`), progress: false });
  return { report, samples: readSamples(logSamples) };
}

describe("dusk eval --endpoint against dusk serve", () => {
  it("gives the in-process backend's per-request log-likelihoods (1e-3), greedy flags and scores", async () => {
    const before = server.stats().tiny!;
    const remote = await run("endpoint", { model: "tiny", endpoints: [server.url] });
    const local = await run("inprocess", { model: modelPath });

    expect([...remote.samples.keys()].sort()).toEqual([...local.samples.keys()].sort());
    expect(remote.samples.size).toBe(3 * LIMIT);
    let compared = 0;
    let greedy = 0;
    for (const [key, mine] of remote.samples) {
      const theirs = local.samples.get(key)!;
      expect(mine.requests.length, key).toBe(theirs.requests.length);
      mine.requests.forEach((request, i) => {
        const reference = theirs.requests[i]!;
        expect(request.kind).toBe("loglikelihood");
        expect(request.continuation).toBe(reference.continuation);
        expect(typeof request.loglikelihood).toBe("number");
        // Both values in the message: a failure seen under load (see the issue 7 note) needs to show which side moved.
        expect(Math.abs(request.loglikelihood! - reference.loglikelihood!), `${key} request ${i}: endpoint ${request.loglikelihood} in-process ${reference.loglikelihood}`).toBeLessThan(1e-3);
        expect(request.is_greedy, `${key} request ${i} is_greedy`).toBe(reference.is_greedy);
        if (request.is_greedy) greedy++;
        compared++;
      });
      expect(mine.prediction, key).toEqual(theirs.prediction);
    }
    // ARC: 3 to 5 choices, HellaSwag: 4 endings, Winogrande: 2 options, per doc
    expect(compared).toBeGreaterThanOrEqual(LIMIT * (3 + 4 + 2));
    expect(greedy).toBeLessThan(compared);

    for (const task of TASKS.split(",")) {
      const mine = remote.report.results?.results[task] ?? {};
      const theirs = local.report.results?.results[task] ?? {};
      expect(Object.keys(theirs).length, task).toBeGreaterThan(0);
      for (const [metric, value] of Object.entries(theirs)) {
        if (typeof value === "number") expect(mine[metric], `${task} ${metric}`).toBeCloseTo(value, 9);
      }
    }
    expect(remote.report.computed).toBe(local.report.computed);
    expect(server.stats().tiny).toEqual({ ...before, inFlight: 0 });
  });

  it("without a model name uses the first model the server lists (no 404 for a made-up name)", async () => {
    const backend = await EndpointBackend.connect({ urls: [server.url] });
    try {
      const context = await backend.tokenize("the water is");
      const [result] = await backend.loglikelihood([{ context, continuation: await backend.tokenize(" hot") }]);
      expect(Number.isFinite(result!.logprob)).toBe(true);
      expect(result!.logprob).toBeLessThan(0);
    } finally {
      await backend.close();
    }
  });
});
