// Published reference scores shipped with dusk (data/*.json): the Open LLM Leaderboard v1 numbers of the models the
// SOLAR paper compares, each number with its provenance (verified in a primary source, or recalled).
import { z } from "zod";
import { InvalidArgumentError } from "../common/index.js";
import solarPaper from "./data/solar-paper-h6.json" with { type: "json" };
import type { ModelRow, ModelType, Score } from "./model.js";
import { LEADERBOARD_SHOTS, TASK_IDS, type TaskId } from "./tasks.js";

const provenanced = z.tuple([z.number().min(0).max(100), z.enum(["verified", "recalled"])]);

const referenceSchema = z.object({
  description: z.string(),
  models: z.array(
    z.object({
      id: z.string().min(1),
      size_b: z.number().positive(),
      type: z.enum(["pretrained", "instruction-tuned", "alignment-tuned"]),
      h6: provenanced,
      arc: provenanced.optional(),
      hellaswag: provenanced.optional(),
      mmlu: provenanced.optional(),
      truthfulqa: provenanced.optional(),
      winogrande: provenanced.optional(),
      gsm8k: provenanced.optional(),
    }),
  ),
  sources: z.array(z.string()),
});

/** A reference set as shipped: its description, sources and model rows. */
export interface ReferenceSet {
  name: string;
  description: string;
  sources: string[];
  rows: ModelRow[];
}

/** The reference file's task keys, mapped to dusk's task ids. */
const REFERENCE_TASKS: Readonly<Record<TaskId, "arc" | "hellaswag" | "mmlu" | "truthfulqa" | "winogrande" | "gsm8k">> = {
  arc_challenge: "arc",
  hellaswag: "hellaswag",
  mmlu: "mmlu",
  truthfulqa_mc: "truthfulqa",
  winogrande: "winogrande",
  gsm8k: "gsm8k",
};

/** The reference sets dusk ships, by the name `--reference` takes. */
const REFERENCE_DATA: Readonly<Record<string, unknown>> = { "solar-paper": solarPaper };

/** Names `--reference` accepts. */
export const REFERENCE_SET_NAMES: readonly string[] = Object.keys(REFERENCE_DATA);

/**
 * Loads a shipped reference set (validated against its schema) as rows with published scores.
 * @throws InvalidArgumentError for a name dusk does not ship.
 */
export function loadReferenceSet(name: string): ReferenceSet {
  const data = REFERENCE_DATA[name];
  if (data === undefined) {
    throw new InvalidArgumentError(`expected --reference to be one of ${REFERENCE_SET_NAMES.join(", ")} but found "${name}"`, {
      hint: "solar-paper = the Open LLM Leaderboard v1 scores of the models in the SOLAR 10.7B paper's Table 2",
    });
  }
  const parsed = referenceSchema.parse(data);
  const rows = parsed.models.map((model): ModelRow => {
    const scores: Partial<Record<TaskId, Score>> = {};
    for (const task of TASK_IDS) {
      const entry = model[REFERENCE_TASKS[task]];
      if (entry) scores[task] = { value: entry[0], provenance: entry[1], shots: LEADERBOARD_SHOTS[task] };
    }
    return {
      name: model.id,
      type: model.type satisfies ModelType,
      params: model.size_b * 1e9,
      paramsSource: "reference",
      scores,
      publishedH6: { value: model.h6[0], provenance: model.h6[1] },
      source: name,
      layout: "reference",
      notes: [],
    };
  });
  return { name, description: parsed.description, sources: parsed.sources, rows };
}
