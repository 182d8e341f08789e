// The shipped reference set: validated, provenance kept on every number, and consistent with itself.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../common/index.js";
import { h6Of } from "./comparison.js";
import { loadReferenceSet, REFERENCE_SET_NAMES } from "./reference.js";
import { TASK_IDS } from "./tasks.js";

const shared = resolve(import.meta.dirname, "../../../shared/reference/solar-paper-h6.json");

describe("loadReferenceSet('solar-paper')", () => {
  const set = loadReferenceSet("solar-paper");

  it("holds the paper's 15 models with sizes, types and a provenance on every number", () => {
    expect(REFERENCE_SET_NAMES).toContain("solar-paper");
    expect(set.rows).toHaveLength(15);
    const instruct = set.rows.find((row) => row.name === "upstage/SOLAR-10.7B-Instruct-v1.0");
    expect(instruct).toMatchObject({ type: "alignment-tuned", params: 10.7e9, layout: "reference", publishedH6: { value: 74.2, provenance: "verified" } });
    expect(instruct?.scores.arc_challenge).toEqual({ value: 71.08, provenance: "verified", shots: 25 });
    expect(instruct?.scores.gsm8k?.provenance).toBe("recalled");
    expect(set.rows.find((row) => row.name === "Qwen/Qwen-72B")?.publishedH6?.provenance).toBe("recalled");
    for (const row of set.rows) for (const score of Object.values(row.scores)) expect(["verified", "recalled"]).toContain(score.provenance);
    expect(set.sources.join(" ")).toMatch(/arXiv 2312\.15166/);
  });

  it("has published H6 values that the six task values average to within 0.01, where all six are given", () => {
    let complete = 0;
    for (const row of set.rows) {
      if (!TASK_IDS.every((task) => row.scores[task] !== undefined)) continue;
      complete += 1;
      const { publishedH6, ...tasksOnly } = row;
      const mean = h6Of(tasksOnly).h6?.value ?? NaN;
      expect(Math.abs(mean - (publishedH6?.value ?? NaN)), row.name).toBeLessThanOrEqual(0.01 + 1e-9);
    }
    expect(complete).toBe(13); // Llama-2-70b-chat and Mistral-7B-Instruct-v0.1 have only their H6
  });

  it("is the same data as the project's shared reference file, when that is present", () => {
    if (!existsSync(shared)) {
      console.warn(`skipping the comparison with ${shared}: absent`);
      return;
    }
    const ours = JSON.parse(readFileSync(join(import.meta.dirname, "data", "solar-paper-h6.json"), "utf8")) as unknown;
    expect(ours).toEqual(JSON.parse(readFileSync(shared, "utf8")));
  });

  it("rejects a set dusk does not ship, naming the ones it does", () => {
    expect(() => loadReferenceSet("open-llm-v2")).toThrow(InvalidArgumentError);
    expect(() => loadReferenceSet("open-llm-v2")).toThrow(/expected --reference to be one of solar-paper but found "open-llm-v2"/);
  });
});
