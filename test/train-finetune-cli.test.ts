// `dusk train sft` and `dusk train dpo` from the command line on a tiny pretrained model: runs with their summaries
// and checkpoints, exact --resume, bad rows and over-long examples reported with their row numbers (refused,
// skipped or truncated as asked), the reference log-probabilities cached, and data pulled from a (fake) Hub.
import { existsSync } from "node:fs";
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEMPLATES } from "../src/formats/index.js";
import { pretrain, sft, synthMath, trainTokenizer } from "../src/train/index.js";
import { runCli } from "./support/cli.js";
import { FakeHub } from "./support/fake-hub.js";

let dir: string;
let base: string;
let math: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-finetune-cli-"));
  await trainTokenizer({ corpus: ["moby-dick"], vocabSize: 384, output: join(dir, "tok") });
  const config = { architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: 32, intermediate_size: 64, num_attention_heads: 2, num_key_value_heads: 1, num_hidden_layers: 2, vocab_size: 384, max_position_embeddings: 256, rms_norm_eps: 1e-5 };
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  const result = await pretrain({ output: join(dir, "base"), config: join(dir, "config.json"), tokenizer: join(dir, "tok"), sources: ["moby-dick"], cacheDir: join(dir, "cache"), maxSteps: 2, batchSize: 2, seqLen: 32, evalEvery: 0, saveEvery: 0, threads: 1 });
  base = result.checkpoint ?? "";
  math = join(dir, "math");
  await synthMath({ output: math, count: 40, seed: 3, steps: { min: 1, max: 1 }, digits: { min: 1, max: 1 }, ops: ["+"], testSize: 8 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sftArgs = (output: string, ...extra: string[]): string[] => [
  "train", "sft", "--model", base, "--data", join(math, "train.jsonl"), "--eval-data", join(math, "test.jsonl"), "--batch-size", "4", "--seq-len", "256",
  "--exact-match-samples", "4", "--max-new-tokens", "8", "--threads", "1", "--log-every", "1", "-o", join(dir, output), ...extra,
];
const dpoArgs = (model: string, output: string, ...extra: string[]): string[] => [
  "train", "dpo", "--model", model, "--data", join(math, "dpo_train.jsonl"), "--eval-data", join(math, "dpo_test.jsonl"), "--batch-size", "4", "--seq-len", "256",
  "--exact-match-samples", "0", "--threads", "1", "--log-every", "1", "-o", join(dir, output), ...extra,
];

describe("dusk train sft", () => {
  it("fine-tunes, evaluates at the start and the end, and writes a checkpoint that carries its chat template", async () => {
    const { code, stdout, stderr } = await runCli(...sftArgs("sft", "--max-steps", "4"));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/template: chatml \(default\)/);
    expect(stdout).toMatch(/data: 32 training examples \(question-answer; 32 rows, \d+ answer tokens\), 8 held out; 4 steps/);
    expect(stdout).toMatch(/finished at step 4: 32 examples/);
    expect(stdout).toMatch(/held out loss \d+\.\d{4} → \d+\.\d{4} \(step 0 → 4\)/);
    expect(stdout).toMatch(/exact match \d+\.\d% → \d+\.\d% \(step 0 → 4\)/);
    const state = JSON.parse(await readFile(join(dir, "sft", "final", "trainer_state.json"), "utf8")) as { kind: string; step: number; template: string; steps: unknown[] };
    expect(state).toMatchObject({ kind: "sft", step: 4, template: "chatml" });
    expect(state.steps).toHaveLength(4);
    const tokenizerConfig = JSON.parse(await readFile(join(dir, "sft", "final", "tokenizer_config.json"), "utf8")) as { chat_template?: string };
    expect(tokenizerConfig.chat_template).toBe(TEMPLATES.chatml.jinja);
    // Converted to GGUF, the model carries the template, so `dusk run --template auto` prompts it as it was trained.
    expect((await runCli("convert", join(dir, "sft", "final"), "-o", join(dir, "sft.gguf"))).code).toBe(0);
    const inspected = await runCli("inspect", join(dir, "sft.gguf"), "--json");
    expect((JSON.parse(inspected.stdout) as { chatTemplate?: string }).chatTemplate).toBe(TEMPLATES.chatml.jinja);
  });

  it("resumes exactly: 3 steps, then --resume to 6, ends with the weights of 6 steps in one run", async () => {
    expect((await runCli(...sftArgs("whole", "--max-steps", "6", "--eval-every", "0", "--exact-match-samples", "0"))).code).toBe(0);
    const first = await runCli(...sftArgs("parts", "--max-steps", "6", "--eval-every", "0", "--exact-match-samples", "0", "--stop-at", "3"));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/stopped at step 3/);
    // The resumed run takes its data and settings from the checkpoint.
    const second = await runCli("train", "sft", "--resume", "--threads", "1", "-o", join(dir, "parts"));
    expect(second.stderr).toBe("");
    expect(second.stdout).toMatch(/resumed at step 3/);
    const whole = await readFile(join(dir, "whole", "final", "model.safetensors"));
    const parts = await readFile(join(dir, "parts", "final", "model.safetensors"));
    expect(parts.equals(whole)).toBe(true);
  });

  it("stops on an abort signal (Ctrl-C) with a checkpoint that --resume continues", async () => {
    const controller = new AbortController();
    const output = join(dir, "aborted");
    const first = await sft({
      model: base, data: [join(math, "train.jsonl")], heldOut: 0, output, maxSteps: 6, batchSize: 4, seqLen: 256, threads: 1, logEvery: 1, signal: controller.signal,
      log: (line) => {
        if (line.startsWith("step 2/")) controller.abort();
      },
    });
    expect(first).toMatchObject({ step: 2, completed: false, interrupted: true, checkpoint: join(output, "checkpoint-2") });
    const second = await sft({ output, resume: true, threads: 1 });
    expect(second).toMatchObject({ step: 6, completed: true, checkpoint: join(output, "final") });
    expect(second.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("refuses bad rows with their row numbers, or leaves them out with --bad-rows skip, saying which", async () => {
    const rows = [
      { question: "Ann has 2 cats. She gets 3 more. How many cats?", answer: "2 + 3 = 5\n#### 5" },
      { question: "Bob has 4 pens." },
      { question: "Cy has 1 hat. He gets 1 more. How many hats?", answer: "1 + 1 = 2\n#### 2" },
      { question: "Di has 5 cups.", answer: "   " },
      { question: "Ed has 3 jars. He gets 2 more. How many jars?", answer: "3 + 2 = 5\n#### 5" },
    ];
    const file = join(dir, "bad.jsonl");
    await writeFile(file, rows.map((r) => JSON.stringify(r)).join("\n"));
    const refused = await runCli("train", "sft", "--model", base, "--data", file, "--held-out", "0", "--max-steps", "1", "--threads", "1", "-o", join(dir, "bad"));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/2 bad rows of 5/);
    expect(refused.stderr).toMatch(/row 2 \(.*bad\.jsonl:2\): missing "answer"/);
    expect(refused.stderr).toMatch(/row 4 \(.*bad\.jsonl:4\): empty "answer"/);
    expect(refused.stderr).toMatch(/--bad-rows skip/);
    const skipped = await runCli("train", "sft", "--model", base, "--data", file, "--held-out", "0", "--max-steps", "1", "--threads", "1", "--bad-rows", "skip", "-o", join(dir, "bad"));
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/skipped row 2 \(.*bad\.jsonl:2\): missing "answer"/);
    expect(skipped.stdout).toMatch(/skipped row 4 /);
    expect(skipped.stdout).toMatch(/data: 3 training examples/);
    expect(skipped.stdout).toMatch(/left out 2 bad rows/);
  });

  it("truncates, skips or refuses over-long examples as asked, naming each", async () => {
    // With this small vocabulary the examples are 110 to 180 tokens long: some fit in 150, some do not.
    const args = ["train", "sft", "--model", base, "--data", join(math, "train.jsonl"), "--held-out", "0", "--max-steps", "1", "--threads", "1", "--seq-len", "150"];
    const refused = await runCli(...args, "--too-long", "error", "-o", join(dir, "long"));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/expected every example to fit --seq-len 150 but found \d+ longer: row \d+ \(.*train\.jsonl:\d+\): \d+ tokens/);
    const truncated = await runCli(...args, "-o", join(dir, "long"));
    expect(truncated.code).toBe(0);
    const truncatedRows = [...truncated.stdout.matchAll(/truncated row (\d+) \(.*train\.jsonl:\1\): (\d+) tokens, longer than --seq-len 150/g)];
    expect(truncatedRows.length).toBeGreaterThan(0);
    expect(truncatedRows.every((m) => Number(m[2]) > 150)).toBe(true);
    expect(truncated.stdout).toMatch(/data: 32 training examples/);
    const skipped = await runCli(...args, "--too-long", "skip", "-o", join(dir, "long"));
    expect(skipped.code).toBe(0);
    const skippedRows = [...skipped.stdout.matchAll(/skipped row (\d+) /g)].map((m) => Number(m[1]));
    expect(skippedRows).toEqual(truncatedRows.map((m) => Number(m[1])));
    expect(skipped.stdout).toContain(`data: ${32 - skippedRows.length} training examples`);
  });

  it("explains a missing --model, an unknown template and a DPO checkpoint given to --resume", async () => {
    const noModel = await runCli("train", "sft", "--data", join(math, "train.jsonl"), "-o", join(dir, "x"));
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/expected --model <checkpoint>/);
    const noData = await runCli("train", "sft", "--model", base, "-o", join(dir, "x"));
    expect(noData.code).toBe(1);
    expect(noData.stderr).toMatch(/expected --data \(files, folders or a Hub dataset id\) but got none/);
    const template = await runCli(...sftArgs("x", "--template", "vicuna"));
    expect(template.code).toBe(1);
    expect(template.stderr).toMatch(/expected --template to be one of auto, solar, chatml/);
  });
});

describe("dusk train dpo", () => {
  it("aligns on pairs, logging loss and rewards, and caches the reference log-probabilities", async () => {
    const { code, stdout, stderr } = await runCli(...dpoArgs(base, "dpo", "--max-steps", "3"));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/reference log-probabilities: scored 40 pairs/);
    // The first step's policy is the reference: loss log 2, rewards (nearly) 0.
    expect(stdout).toMatch(/step 1\/3 {2}loss 0\.6931 {2}reward accuracy \d\.\d{4} {2}reward margin \S+ {2}chosen reward \S+ {2}rejected reward \S+/);
    expect(stdout).not.toMatch(/truncated row/);
    expect(stdout).toMatch(/eval step 3 {2}loss \d\.\d{4} {2}reward accuracy \d\.\d{4} .*preference accuracy \d\.\d{4}/);
    expect(stdout).toMatch(/preference accuracy \d+\.\d% → \d+\.\d% \(step 0 → 3\)/);
    const state = JSON.parse(await readFile(join(dir, "dpo", "final", "trainer_state.json"), "utf8")) as { kind: string; settings: { beta: number }; reference: string };
    expect(state).toMatchObject({ kind: "dpo", settings: { beta: 0.1 }, reference: base });
    const again = await runCli(...dpoArgs(base, "dpo", "--max-steps", "3"));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/reference log-probabilities: read .*reference-logps\.json/);
    expect(again.stdout).toMatch(/\(log-probabilities from the cache\)/);
  });

  it("--eval-only scores a model's preferences without training or writing a checkpoint", async () => {
    const { code, stdout } = await runCli(...dpoArgs(join(dir, "dpo", "final"), "dpo-eval", "--eval-only"));
    expect(code).toBe(0);
    expect(stdout).toMatch(/held-out evaluation of .*dpo\/final: loss 0\.6931 {2}reward accuracy 0\.0000 .* preference accuracy \d\.\d{4}/);
    const sftEval = await runCli(...sftArgs("sft-eval", "--model", join(dir, "sft", "final"), "--eval-only"));
    expect(sftEval.stdout).toMatch(/held-out evaluation of .*sft\/final: held out loss \d\.\d{4} {2}exact match \d\.\d{4}/);
    expect(existsSync(join(dir, "sft-eval", "final")) || existsSync(join(dir, "dpo-eval", "final"))).toBe(false);
  });

  it("refuses to resume a DPO run from an SFT checkpoint", async () => {
    const wrong = await runCli(...dpoArgs(base, "dpo-wrong", "--resume", join(dir, "sft", "final")));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/expected a dpo checkpoint to resume but .* is from sft/);
  });
});

describe("training data from the Hub", () => {
  it("pulls a dataset's train split and trains on it (local fake Hub)", async () => {
    const train = await readFile(join(math, "train.jsonl"));
    const test = await readFile(join(math, "test.jsonl"));
    const hub = await FakeHub.start([{ id: "test-org/math", type: "dataset", files: [
      { path: "README.md", bytes: Buffer.from("# math\n") },
      { path: "data/train-00000-of-00001.jsonl", bytes: train },
      { path: "data/test-00000-of-00001.jsonl", bytes: test },
    ] }]);
    const saved = { ...process.env };
    Object.assign(process.env, { HF_ENDPOINT: hub.endpoint, HF_HOME: join(dir, "hf-home"), HF_TOKEN: "", HF_HUB_OFFLINE: "" });
    try {
      const { code, stdout, stderr } = await runCli("train", "sft", "--model", base, "--data", "test-org/math", "--eval-data", "test-org/math", "--max-steps", "1", "--exact-match-samples", "0", "--threads", "1", "-o", join(dir, "hub"));
      expect(stderr).toMatch(/data\/train-00000-of-00001\.jsonl: 6\.78 kB/);
      expect(code).toBe(0);
      expect(stdout).toMatch(/data: 32 training examples .*, 8 held out/);
      const wrongSplit = await runCli("train", "sft", "--model", base, "--data", "test-org/math", "--split", "validation", "--max-steps", "1", "-o", join(dir, "hub"));
      expect(wrongSplit.code).toBe(1);
      expect(wrongSplit.stderr).toMatch(/expected a "validation" split in test-org\/math but its data files name test, train/);
    } finally {
      process.env = saved;
      await hub.close();
    }
  });
});
