// MMLU (cais/mmlu; the 2020 CSV release too): 57 subjects, each a task mmlu_<subject>. Description line, the
// first k dev rows in file order as examples, "{question}\nA. ..\nD. ..\nAnswer:", choices " A".." D", headline acc.
import { z } from "zod";
import { DataFormatError } from "../errors.js";
import { choiceRequests, parseRowWith, scoreMultipleChoice, type MultipleChoiceDoc } from "./common.js";
import { pyStrip } from "../pystr.js";
import type { TaskDefinition } from "./types.js";

/** The 57 MMLU subjects (hendrycks/test), in the leaderboard's order. */
export const MMLU_SUBJECTS: readonly string[] = [
  "abstract_algebra", "anatomy", "astronomy", "business_ethics", "clinical_knowledge", "college_biology",
  "college_chemistry", "college_computer_science", "college_mathematics", "college_medicine", "college_physics",
  "computer_security", "conceptual_physics", "econometrics", "electrical_engineering", "elementary_mathematics",
  "formal_logic", "global_facts", "high_school_biology", "high_school_chemistry", "high_school_computer_science",
  "high_school_european_history", "high_school_geography", "high_school_government_and_politics",
  "high_school_macroeconomics", "high_school_mathematics", "high_school_microeconomics", "high_school_physics",
  "high_school_psychology", "high_school_statistics", "high_school_us_history", "high_school_world_history",
  "human_aging", "human_sexuality", "international_law", "jurisprudence", "logical_fallacies", "machine_learning",
  "management", "marketing", "medical_genetics", "miscellaneous", "moral_disputes", "moral_scenarios", "nutrition",
  "philosophy", "prehistory", "professional_accounting", "professional_law", "professional_medicine",
  "professional_psychology", "public_relations", "security_studies", "sociology", "us_foreign_policy", "virology",
  "world_religions",
];

const KEYS = ["A", "B", "C", "D"];

const MmluRow = z.object({
  question: z.string(),
  subject: z.string().optional(),
  choices: z.array(z.string()).length(4),
  answer: z.union([z.number().int(), z.string()]),
});

/** An MMLU doc: the harness's query, with choices " A".." D". */
export type MmluDoc = MultipleChoiceDoc;

/** The query of an MMLU question as the 2023 harness formatted it. */
export function mmluQuery(question: string, choices: readonly string[]): string {
  const lines = KEYS.map((key, i) => `${key}. ${choices[i] ?? ""}\n`).join("");
  return `${pyStrip(question)}\n${lines}Answer:`;
}

/** The description line: "The following are multiple choice questions (with answers) about {subject with spaces}." */
export function mmluDescription(subject: string): string {
  return `The following are multiple choice questions (with answers) about ${subject.split("_").join(" ")}.`;
}

function parseAnswer(answer: number | string, where: string): number {
  const gold = typeof answer === "number" ? answer : KEYS.indexOf(answer.trim().toUpperCase());
  if (!Number.isInteger(gold) || gold < 0 || gold > 3) {
    throw new DataFormatError(where, "an answer 0..3 (or a letter A..D)", JSON.stringify(answer));
  }
  return gold;
}

/** The task for one MMLU subject. */
export function mmluSubjectTask(subject: string): TaskDefinition<MmluDoc> {
  return {
    name: `mmlu_${subject}`,
    family: "mmlu",
    subject,
    dataset: { folder: "mmlu", hubId: "cais/mmlu", hubConfig: subject, configPattern: undefined },
    evalSplit: "test",
    fewshot: { split: "dev", sampler: "first_n" },
    defaultShots: 5,
    headline: "acc",
    version: 1,
    parseRow(row, where) {
      const r = parseRowWith(MmluRow, row, where);
      return { query: mmluQuery(r.question, r.choices), choices: [...KEYS], gold: parseAnswer(r.answer, where) };
    },
    description: () => mmluDescription(subject),
    docToText: (doc) => doc.query,
    docToTarget: (doc) => ` ${doc.choices[doc.gold] ?? ""}`,
    requests: (doc, context) => choiceRequests(context, doc.choices),
    score: (doc, results) => scoreMultipleChoice(doc, results, "acc"),
  };
}

/** Converts one record of the 2020 CSV files (question, A, B, C, D, answer letter) to a Hub-schema row. */
export function mmluRowFromCsv(record: readonly string[], subject: string, where: string): Record<string, unknown> {
  if (record.length !== 6) throw new DataFormatError(where, "6 fields (question, A, B, C, D, answer letter)", `${record.length} fields`);
  const [question, a, b, c, d, answer] = record as [string, string, string, string, string, string];
  return { question, subject, choices: [a, b, c, d], answer };
}
