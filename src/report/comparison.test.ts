// Building comparisons: H6 only over complete rows, sorting, best per column, --models, --baseline differences.
import { describe, expect, it } from "vitest";
import { buildComparison, filterRows, findModel, h6Of, labelRows, weakestProvenance } from "./comparison.js";
import { AmbiguousModelError, ModelNotFoundError } from "./errors.js";
import type { ModelRow, Provenance, Score } from "./model.js";
import { TASK_IDS, type TaskId } from "./tasks.js";

/** A measured row with the given task scores (percent); tasks left out are missing. */
function row(name: string, values: Partial<Record<TaskId, number>>, extra: Partial<ModelRow> = {}, provenance: Provenance = "measured"): ModelRow {
  const scores: Partial<Record<TaskId, Score>> = {};
  for (const [task, value] of Object.entries(values) as [TaskId, number][]) scores[task] = { value, stderr: 1, provenance };
  return { name, type: "ours", scores, source: `${name}.json`, layout: "dusk", notes: [], ...extra };
}

const six = (a: number, b: number, c: number, d: number, e: number, f: number): Record<TaskId, number> =>
  ({ arc_challenge: a, hellaswag: b, mmlu: c, truthfulqa_mc: d, winogrande: e, gsm8k: f });

describe("h6Of", () => {
  it("is the mean of the six when all six are present, with the stderr of a mean of independent parts", () => {
    const { h6, h6From } = h6Of(row("m", six(66.04, 86.49, 71.82, 46.78, 81.93, 57.47)));
    expect(h6From).toBe("computed");
    expect(h6?.value).toBeCloseTo(68.42, 2); // Mixtral-8x7B-v0.1's published H6
    expect(h6?.stderr).toBeCloseTo(Math.sqrt(6) / 6, 10);
    expect(h6?.provenance).toBe("measured");
  });

  it("is absent when a task is missing", () => {
    const values: Partial<Record<TaskId, number>> = six(50, 50, 50, 50, 50, 50);
    delete values.gsm8k;
    expect(h6Of(row("m", values))).toEqual({});
  });

  it("takes the published H6 of a reference row, with its own provenance, even when tasks are missing", () => {
    const published = row("r", {}, { publishedH6: { value: 62.4, provenance: "verified" }, layout: "reference" });
    expect(h6Of(published)).toEqual({ h6: { value: 62.4, provenance: "verified" }, h6From: "published" });
  });

  it("carries the weakest provenance of its parts", () => {
    expect(weakestProvenance(["measured", "verified"])).toBe("verified");
    expect(weakestProvenance(["verified", "recalled", "measured"])).toBe("recalled");
    expect(h6Of(row("m", six(1, 2, 3, 4, 5, 6), {}, "recalled")).h6?.provenance).toBe("recalled");
  });
});

describe("buildComparison", () => {
  const rows = [
    row("partial-two", { arc_challenge: 90, hellaswag: 10 }),
    row("low", six(10, 20, 30, 40, 50, 60)), // H6 35
    row("partial-one", { mmlu: 99 }),
    row("high", six(60, 70, 80, 40, 50, 60)), // H6 60
    row("also-partial-two", { winogrande: 70, gsm8k: 5 }),
  ];

  it("sorts by H6, then rows without H6 by how many tasks they have, then by name; ranks from 1", () => {
    const comparison = buildComparison(rows);
    expect(comparison.rows.map((r) => r.label)).toEqual(["high", "low", "also-partial-two", "partial-two", "partial-one"]);
    expect(comparison.rows.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(comparison.rows[0]?.h6?.value).toBeCloseTo(60, 10);
    expect(comparison.rows[2]?.h6).toBeUndefined();
  });

  it("marks the best value per column, ties included, comparing values as shown (two decimals)", () => {
    const comparison = buildComparison([...rows, row("tie", { truthfulqa_mc: 40.001, mmlu: 98.994 })]);
    const best = (label: string): string[] => comparison.rows.find((r) => r.label === label)?.best ?? [];
    expect(best("partial-two")).toEqual(["arc_challenge"]);
    expect(best("partial-one")).toEqual(["mmlu"]);
    expect(best("high")).toEqual(["hellaswag", "truthfulqa_mc", "gsm8k", "h6"]);
    expect(best("low")).toEqual(["truthfulqa_mc", "gsm8k"]); // 40 and 60 tie with "high"
    expect(best("also-partial-two")).toEqual(["winogrande"]);
    expect(best("tie")).toEqual(["truthfulqa_mc"]); // 40.001 shows as 40.00; 98.994 is below 99.00
    expect(comparison.best.h6).toBeCloseTo(60, 10);
  });

  it("adds each model's difference from the baseline, only where both have the column", () => {
    const comparison = buildComparison(rows, { baseline: "low" });
    expect(comparison.baseline).toBe("low");
    const high = comparison.rows.find((r) => r.label === "high");
    expect(high?.delta?.arc_challenge).toBeCloseTo(50, 10);
    expect(high?.delta?.truthfulqa_mc).toBeCloseTo(0, 10);
    expect(high?.delta?.h6).toBeCloseTo(25, 10);
    const partial = comparison.rows.find((r) => r.label === "partial-one");
    expect(partial?.delta).toEqual({ mmlu: 69 });
    expect(comparison.rows.find((r) => r.label === "low")?.delta?.h6).toBe(0);
    expect(buildComparison(rows).rows.every((r) => r.delta === undefined)).toBe(true);
  });

  it("filters with --models (case-insensitive substrings) and keeps the baseline even when filtered out", () => {
    expect(buildComparison(rows, { models: ["PARTIAL-T"] }).rows.map((r) => r.label)).toEqual(["also-partial-two", "partial-two"]);
    expect(buildComparison(rows, { models: ["high"], baseline: "low" }).rows.map((r) => r.label)).toEqual(["high", "low"]);
    expect(() => filterRows(rows, ["nothing-like-it"])).toThrow(ModelNotFoundError);
  });

  it("finds the baseline: exact name first, else one substring match; several matches are an error", () => {
    expect(findModel(rows, "partial-two").name).toBe("partial-two"); // exact, although also-partial-two contains it
    expect(findModel(rows, "HIG").name).toBe("high");
    expect(() => findModel(rows, "partial")).toThrow(AmbiguousModelError);
    expect(() => findModel(rows, "zzz")).toThrow(/expected --baseline "zzz" to match a model but found none among 5 models/);
  });

  it("labels repeated names with their source, so both rows stay apart", () => {
    const measured = row("upstage/SOLAR-10.7B-v1.0", { mmlu: 60 }, { source: "/runs/solar/results.json" });
    const published = row("upstage/SOLAR-10.7B-v1.0", { mmlu: 65.48 }, { source: "solar-paper", layout: "reference" });
    const labels = labelRows([measured, published]);
    expect([...labels.values()]).toEqual(["upstage/SOLAR-10.7B-v1.0 (results.json)", "upstage/SOLAR-10.7B-v1.0 (solar-paper)"]);
    expect(findModel([measured, published], "upstage/SOLAR-10.7B-v1.0 (solar-paper)")).toBe(published);
    expect(() => findModel([measured, published], "upstage/SOLAR-10.7B-v1.0")).toThrow(AmbiguousModelError);
  });

  it("treats every task id as a column", () => {
    const comparison = buildComparison([row("x", six(1, 2, 3, 4, 5, 6))]);
    expect(comparison.rows[0]?.best).toEqual([...TASK_IDS, "h6"]);
  });
});
