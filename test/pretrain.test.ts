// `dusk train pretrain` end to end on the bundled Moby-Dick corpus with tiny models: falling held-out loss, exact
// resumption (20 steps = 10 + resume 10, losses bitwise equal), a NaN loss keeping the last good checkpoint,
// continued pretraining of an up-scaled checkpoint, and Ctrl-C (SIGINT to the CLI) saving a resumable checkpoint.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModel } from "../src/engine/index.js";
import { upscale } from "../src/merge/index.js";
import { makeTinyModel } from "../src/tiny/index.js";
import { NonFiniteLossError, TokenDataset, loadCheckpointWeights, loadTokenCorpus, pretrain, readCheckpointConfig, trainTokenizer, type PretrainOptions } from "../src/train/index.js";
import { loadTokenizer } from "../src/train/index.js";

const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));
let dir: string;
let cacheDir: string;

/** A tiny fresh run on Moby-Dick (the tokenizer trained once, cached for all tests). */
const tiny = (output: string, extra: Partial<PretrainOptions> = {}): PretrainOptions => ({
  output: join(dir, output), config: "tiny", sources: ["moby-dick"], cacheDir, batchSize: 2, seqLen: 32, warmup: 2, lr: 2e-3,
  evalEvery: 0, saveEvery: 0, threads: 1, evalBatches: 2, ...extra,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-pretrain-"));
  cacheDir = join(dir, "cache");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("dusk train pretrain", () => {
  it("lowers the held-out loss on a bundled corpus and writes a Hugging Face checkpoint", async () => {
    const result = await pretrain(tiny("falling", { maxSteps: 60, batchSize: 4, seqLen: 64, evalEvery: 30, evalBatches: 4, warmup: 5, lr: 3e-3 }));
    expect(result.completed).toBe(true);
    expect(result.evals.map((e) => e.step)).toEqual([0, 30, 60]);
    const [first, , last] = result.evals;
    // ln(2048) = 7.62 at the start; 60 steps of 256 tokens learn at least the unigram statistics.
    expect(first!.loss).toBeGreaterThan(7.3);
    expect(last!.loss).toBeLessThan(first!.loss - 1);
    expect(last!.perplexity).toBeCloseTo(Math.exp(last!.loss), 6);
    const final = join(dir, "falling", "final");
    for (const file of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer.gguf", "generation_config.json", "trainer_state.json", "optimizer.bin"]) {
      expect(existsSync(join(final, file)), file).toBe(true);
    }
    const state = JSON.parse(await readFile(join(final, "trainer_state.json"), "utf8")) as { step: number; losses: unknown[] };
    expect(state.step).toBe(60);
    expect(state.losses).toHaveLength(60);
    // The checkpoint reloads into the same held-out loss.
    const tokenizer = await loadTokenizer(final);
    const corpus = await loadTokenCorpus({ sources: ["moby-dick"], tokenizer, cacheDir });
    expect(corpus.cached).toBe(true);
    const data = new TokenDataset(corpus.tokens, { batchSize: 4, seqLen: 64 });
    const model = createModel(await readCheckpointConfig(final));
    await loadCheckpointWeights(final, model);
    let sum = 0, rows = 0;
    for (const batch of data.evalBatches(4)) {
      sum += (model.forward(batch).loss ?? 0) * batch.batchSize;
      rows += batch.batchSize;
    }
    model.dispose();
    expect(Math.abs(sum / rows - last!.loss)).toBeLessThan(1e-5);
  }, 60_000);

  it("resumes exactly: 10 steps + resume 10 give the losses of 20 uninterrupted steps, bit for bit", async () => {
    const whole = await pretrain(tiny("whole", { maxSteps: 20, evalEvery: 5 }));
    const first = await pretrain(tiny("split", { maxSteps: 20, evalEvery: 5, stopAt: 10 }));
    expect(first.completed).toBe(false);
    expect(first.checkpoint).toBe(join(dir, "split", "checkpoint-10"));
    const second = await pretrain({ output: join(dir, "split"), resume: true, cacheDir, threads: 1 });
    expect(second.completed).toBe(true);
    expect(second.losses.map((l) => l.step)).toEqual(whole.losses.map((l) => l.step));
    expect(second.losses.map((l) => l.loss)).toEqual(whole.losses.map((l) => l.loss));
    expect(second.evals).toEqual(whole.evals);
    const a = await readFile(join(dir, "whole", "final", "model.safetensors"));
    const b = await readFile(join(dir, "split", "final", "model.safetensors"));
    expect(Buffer.compare(a, b)).toBe(0);
  }, 60_000);

  it("stops a run whose loss is not finite with a typed error, keeping the last good checkpoint", async () => {
    const run = pretrain(tiny("nan", { maxSteps: 20, lr: 1e30, warmup: 0, saveEvery: 1 }));
    const error = await run.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const nan = error as NonFiniteLossError;
    expect(nan.step).toBeGreaterThan(1);
    expect(nan.lastCheckpoint).toBe(join(dir, "nan", `checkpoint-${nan.step - 1}`));
    expect(existsSync(join(nan.lastCheckpoint!, "model.safetensors"))).toBe(true);
    expect(existsSync(join(dir, "nan", `checkpoint-${nan.step}`))).toBe(false);
    expect(nan.message).toMatch(/expected a finite training loss/);
    expect(nan.hint).toContain(nan.lastCheckpoint!);
  }, 60_000);

  it("continues pretraining an up-scaled checkpoint", async () => {
    const tok = await trainTokenizer({ corpus: ["moby-dick"], vocabSize: 512, output: join(dir, "tok512") });
    const base = join(dir, "base");
    await makeTinyModel({ output: base, layers: 4, hidden: 64, heads: 4, kvHeads: 2, ffn: 128, vocabFrom: join(tok.output, "tokenizer.gguf"), type: "F32" });
    const upscaled = join(dir, "upscaled");
    await upscale({ model: base, output: upscaled, m: 1 });
    const config = await readCheckpointConfig(upscaled);
    expect(config.layers).toBe(6);
    const result = await pretrain({ output: join(dir, "cpt"), model: upscaled, sources: ["moby-dick"], cacheDir, batchSize: 4, seqLen: 32, maxSteps: 12, warmup: 0, lr: 3e-3, evalEvery: 12, evalBatches: 2, saveEvery: 0, threads: 1 });
    expect(result.config.layers).toBe(6);
    for (const { loss } of result.losses) expect(Number.isFinite(loss)).toBe(true);
    // Loss on one fixed batch before (the up-scaled weights) and after training.
    const tokenizer = await loadTokenizer(upscaled);
    const corpus = await loadTokenCorpus({ sources: ["moby-dick"], tokenizer, cacheDir });
    const batch = new TokenDataset(corpus.tokens, { batchSize: 4, seqLen: 32 }).batch(0);
    const lossOf = async (folder: string): Promise<number> => {
      const model = createModel(await readCheckpointConfig(folder));
      await loadCheckpointWeights(folder, model);
      const loss = model.forward(batch).loss ?? Number.NaN;
      model.dispose();
      return loss;
    };
    const before = await lossOf(upscaled);
    const after = await lossOf(join(dir, "cpt", "final"));
    expect(Number.isFinite(before) && Number.isFinite(after)).toBe(true);
    expect(after).toBeLessThan(before - 0.3);
  }, 60_000);

  it("saves a resumable checkpoint when the CLI gets SIGINT", async () => {
    const output = join(dir, "sigint");
    const args = ["train", "pretrain", "--corpus", "moby-dick", "--cache-dir", cacheDir, "--max-steps", "100000", "--batch-size", "2", "--seq-len", "32",
      "--save-every", "0", "--eval-every", "0", "--log-every", "1", "--threads", "1", "--warmup", "2", "-o", output];
    const vite = join(repo, "node_modules", ".bin", "vite-node");
    const entry = join(repo, "test", "support", "pretrain-cli.ts");
    const child = spawn(vite, [entry, "--", ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DUSK_DEBUG: "" } });
    let stdout = "", stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => {
      let sent = false;
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (!sent && /step 3\/100000/.test(stdout)) {
          sent = true;
          child.kill("SIGINT");
        }
      });
      child.on("exit", (c) => done(c));
    });
    expect(code, stderr).toBe(0);
    const saved = /saved (\S+checkpoint-(\d+))/.exec(stdout);
    expect(saved, stdout).not.toBeNull();
    const step = Number(saved![2]);
    expect(step).toBeGreaterThanOrEqual(3);
    expect(stderr).toMatch(/interrupted/);
    const resumed = await pretrain({ output, resume: true, cacheDir, threads: 1, stopAt: step + 2 });
    expect(resumed.step).toBe(step + 2);
    expect(resumed.losses).toHaveLength(step + 2);
    await writeFile(join(dir, "sigint.log"), stdout);
  }, 60_000);
});
