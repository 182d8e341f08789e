// Parsing results files of every layout: dusk eval, lm-evaluation-harness v0.3 and v0.4, the leaderboard's details.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ResultsFormatError } from "./errors.js";
import { detectLayout, displayName, parseResults } from "./parse.js";
import { MMLU_SUBJECTS } from "./tasks.js";

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

/** A v0.3 document with the 57 hendrycksTest subjects, subject i scoring 0.3 + 0.01 i with standard error 0.05. */
function v03Mmlu(count = MMLU_SUBJECTS.length): unknown {
  const results: Record<string, unknown> = {};
  MMLU_SUBJECTS.slice(0, count).forEach((subject, i) => {
    results[`hendrycksTest-${subject}`] = { acc: 0.3 + 0.01 * i, acc_stderr: 0.05, acc_norm: 0.99, acc_norm_stderr: 0.01 };
  });
  return { results, versions: {}, config: { model: "hf-causal-experimental", model_args: "pretrained=org/model-7b,revision=main", num_fewshot: 5, limit: null } };
}

describe("parseResults", () => {
  it("reads dusk eval's layout: headline metrics as percentages, stderr, shots, limit, profile, name from the file path", () => {
    const row = parseResults(fixture("dusk-tiny-dus.json"), { source: "dusk-tiny-dus.json" });
    expect(row.layout).toBe("dusk");
    expect(row.name).toBe("tiny-dus-12M");
    expect(row.type).toBe("ours");
    expect(row.limit).toBe(50);
    expect(row.profile).toBe("leaderboard-v1");
    expect(row.scores.arc_challenge?.value).toBeCloseTo(26, 10); // acc_norm 0.26, not acc 0.24
    expect(row.scores.arc_challenge?.stderr).toBeCloseTo(6.27, 10);
    expect(row.scores.arc_challenge?.shots).toBe(25);
    expect(row.scores.truthfulqa_mc?.value).toBeCloseTo(45.92, 10); // mc2, not mc1
    expect(row.scores.gsm8k?.value).toBeCloseTo(2, 10);
    expect(row.scores.mmlu?.value).toBeCloseTo(23.51, 10);
    expect(row.scores.mmlu?.provenance).toBe("measured");
  });

  it("reads v0.3: MMLU is the plain mean of the 57 hendrycksTest subjects, stderr of a mean of independent parts", () => {
    const row = parseResults(v03Mmlu(), { source: "mmlu.json" });
    expect(row.layout).toBe("lm-eval-0.3");
    expect(row.name).toBe("org/model-7b");
    // mean of 0.3 + 0.01 i for i = 0..56 is 0.3 + 0.01 * 28 = 0.58
    expect(row.scores.mmlu?.value).toBeCloseTo(58, 10);
    expect(row.scores.mmlu?.stderr).toBeCloseTo((Math.sqrt(57 * 0.05 ** 2) / 57) * 100, 10);
    expect(row.scores.mmlu?.shots).toBe(5);
    expect(row.limit).toBeUndefined();
  });

  it("does not average an incomplete set of subjects, and says why MMLU is missing", () => {
    const row = parseResults({ ...(v03Mmlu(56) as object), results: { ...(v03Mmlu(56) as { results: object }).results, arc_challenge: { acc: 0.5, acc_norm: 0.55 } } });
    expect(row.scores.mmlu).toBeUndefined();
    expect(row.scores.arc_challenge?.value).toBeCloseTo(55, 10);
    expect(row.notes.join(" ")).toMatch(/56 of 57 subjects/);
  });

  it("reads v0.4: `metric,filter` keys, truthfulqa_mc2's acc, GSM8K's strict-match, the mmlu group, model_name and size", () => {
    const row = parseResults(fixture("lm-eval-v04-llama.json"), { source: "v04.json" });
    expect(row.layout).toBe("lm-eval-0.4");
    expect(row.name).toBe("meta-llama/Llama-2-7b-hf");
    expect(row.params).toBe(6738415616);
    expect(row.paramsSource).toBe("results");
    expect(row.scores.arc_challenge?.value).toBeCloseTo(53.24, 10);
    expect(row.scores.hellaswag?.value).toBeCloseTo(78.62, 10);
    expect(row.scores.truthfulqa_mc?.value).toBeCloseTo(38.96, 10);
    expect(row.scores.gsm8k?.value).toBeCloseTo(14.18, 10); // strict-match, not flexible-extract (14.63)
    expect(row.scores.mmlu?.value).toBeCloseTo(45.87, 10); // the group: only 2 of 57 subjects (and mmlu_stem is no subject)
    expect(row.scores.mmlu?.stderr).toBeUndefined(); // "N/A"
    expect(row.scores.mmlu?.shots).toBe(5); // the subjects' count, not the group's 0
    expect(row.notes.join(" ")).toMatch(/group score/);
  });

  it("reads the leaderboard's details layout: harness|task|shots keys, hendrycksTest subjects, truthfulqa:mc", () => {
    const doc = fixture("leaderboard-solar.json") as { results: Record<string, Record<string, number>> };
    const row = parseResults(doc, { source: "details.json" });
    expect(row.layout).toBe("leaderboard-details");
    expect(row.name).toBe("upstage/SOLAR-10.7B-v1.0");
    expect(row.scores.arc_challenge).toMatchObject({ shots: 25 });
    expect(row.scores.arc_challenge?.value).toBeCloseTo(61.95, 10);
    expect(row.scores.truthfulqa_mc?.value).toBeCloseTo(45.04, 10);
    expect(row.scores.winogrande?.value).toBeCloseTo(83.66, 10);
    expect(row.scores.gsm8k?.value).toBeCloseTo(55.5, 10);
    const subjects = Object.entries(doc.results).filter(([key]) => key.includes("hendrycksTest-")).map(([, metrics]) => metrics.acc ?? NaN);
    expect(subjects).toHaveLength(57);
    expect(row.scores.mmlu?.value).toBeCloseTo((subjects.reduce((a, b) => a + b, 0) / 57) * 100, 10);
  });

  it("reads dusk eval's other profiles: lm-eval-0.4's GSM8K key, null scores as missing, a note on the profile", () => {
    const row = parseResults({
      results: {
        gsm8k: { "exact_match,strict-match": 0.25, "exact_match_stderr,strict-match": 0.05 },
        winogrande: { acc: null, acc_stderr: null },
        hellaswag: { acc_norm: 0.5, acc_norm_stderr: null },
      },
      versions: { gsm8k: 3 },
      "n-shot": { gsm8k: 5, winogrande: 5, hellaswag: 10 },
      config: { model: "m.gguf", model_sha256: null, profile: "lm-eval-0.4", limit: null, dusk_version: "0.1.0" },
      h6: null,
    });
    expect(row.scores.gsm8k).toEqual({ value: 25, stderr: 5, provenance: "measured", shots: 5 });
    expect(row.scores.winogrande).toBeUndefined();
    expect(row.scores.hellaswag).toEqual({ value: 50, provenance: "measured", shots: 10 });
    expect(row.notes).toEqual(["evaluated with the lm-eval-0.4 profile, not leaderboard-v1: its numbers are not scored as the leaderboard scored them"]);
  });

  it("tells the layouts apart", () => {
    expect(detectLayout({ results: { arc_challenge: { acc: 0.5 } }, config: { dusk_version: "0.1.0" } })).toBe("dusk");
    expect(detectLayout({ results: { arc_challenge: { acc: 0.5 } } })).toBe("lm-eval-0.3");
    expect(detectLayout({ results: { arc_challenge: { "acc,none": 0.5 } } })).toBe("lm-eval-0.4");
    expect(detectLayout({ results: { "harness|winogrande|5": { acc: 0.5 } } })).toBe("leaderboard-details");
  });

  it("names models: Hub ids stay, paths become file names, model_args objects work", () => {
    expect(displayName("upstage/SOLAR-10.7B-v1.0")).toBe("upstage/SOLAR-10.7B-v1.0");
    expect(displayName("/models/solar-mini.Q8_0.gguf")).toBe("solar-mini.Q8_0");
    expect(displayName("./out/checkpoints/step-100/")).toBe("step-100");
    expect(displayName("model.safetensors")).toBe("model");
    const row = parseResults({ results: { winogrande: { "acc,none": 0.6 } }, config: { model: "hf", model_args: { pretrained: "org/x" } } });
    expect(row.name).toBe("org/x");
  });

  it("rejects what is not a results file, naming what it found", () => {
    expect(() => parseResults([1, 2], { source: "a.json" })).toThrow(ResultsFormatError);
    expect(() => parseResults({ model: "x" }, { source: "b.json" })).toThrow(/b\.json: expected a JSON object with a "results" object but found keys model/);
    expect(() => parseResults({ results: { drop: { f1: 0.3 } } }, { source: "c.json" })).toThrow(/expected at least one H6 task .* but found drop/);
    expect(() => parseResults({ results: { hellaswag: { acc_norm: 66.04 } } }, { source: "d.json" })).toThrow(/expected hellaswag acc_norm to be a fraction in \[0, 1\] but found 66\.04/);
  });
});
