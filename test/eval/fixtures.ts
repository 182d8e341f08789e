// Invented rows in the Hub's schemas for all six tasks, written into a data directory the way a user would lay
// one out (a folder per task, split named by file or folder, other configs beside the right one as decoys), in
// parquet (ARC, MMLU), JSON (TruthfulQA) and JSON lines (HellaSwag, Winogrande, GSM8K).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MMLU_SUBJECTS } from "../../src/eval/index.js";
import { writeParquet, type ParquetField } from "./parquet-writer.js";

const COLORS = ["red", "green", "blue", "yellow", "purple"];
const ANIMALS = ["cat", "dog", "owl", "fox", "eel", "yak"];

function jsonl(path: string, rows: unknown[]): void {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

function dir(...parts: string[]): string {
  const path = join(...parts);
  mkdirSync(path, { recursive: true });
  return path;
}

const ARC_FIELDS: ParquetField[] = [
  { name: "id", type: "string" },
  { name: "question", type: "string" },
  { name: "choices", type: "struct", fields: [{ name: "text", type: "list<string>" }, { name: "label", type: "list<string>" }] },
  { name: "answerKey", type: "string" },
];

/** ARC rows: 3 to 5 choices, lettered or numbered keys. */
export function arcRows(n: number, prefix: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const count = 3 + (i % 3);
    const numeric = i % 4 === 3;
    const labels = Array.from({ length: count }, (_, c) => (numeric ? String(c + 1) : "ABCDE"[c] as string));
    return {
      id: `${prefix}-${i}`,
      question: `Which color does the ${ANIMALS[i % ANIMALS.length]} number ${i} like best?`,
      choices: { text: COLORS.slice(0, count).map((c, k) => (k === 0 ? `${c} paint` : c)), label: labels },
      answerKey: labels[(i * 7) % count],
    };
  });
}

/** HellaSwag rows with WikiHow-style brackets and lower-case ctx_b. */
export function hellaswagRows(n: number, withLabels = true): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    ind: i,
    activity_label: i % 2 === 0 ? "Walking the dog" : "How to paint a fence",
    ctx_a: `A ${ANIMALS[i % ANIMALS.length]} waits by the door [title] Step ${i}.`,
    ctx_b: i % 3 === 0 ? "THE OWNER grabs" : "then it",
    ctx: "unused",
    endings: [`runs outside  quickly.`, `sits [step] down.`, `barks at the ${COLORS[i % 5]} wall.`, `sleeps ${i} hours.`],
    source_id: `src-${i}`,
    split: "val",
    split_type: "indomain",
    label: withLabels ? String(i % 4) : "",
  }));
}

/** Winogrande rows. */
export function winograndeRows(n: number, prefix: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const [a, b] = [ANIMALS[i % 6] as string, ANIMALS[(i + 1) % 6] as string];
    return { qID: `${prefix}${i}`, sentence: `The ${a} chased the ${b} because _ was ${i % 2 ? "hungry" : "scared"} at dawn.`, option1: a, option2: b, answer: String(1 + (i % 2)) };
  });
}

/** MMLU rows for one subject. */
export function mmluRows(subject: string, n: number, split: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    question: ` In ${subject.replaceAll("_", " ")}, what is item ${i} of the ${split} set? `,
    subject,
    choices: [`${i}`, `${i + 1}`, `${i * 2}`, "none of these"],
    answer: (i + subject.length) % 4,
  }));
}

/** TruthfulQA rows; the second puts a true answer after a false one (like the real #25 and #208). */
export function truthfulqaRows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    question: `Is the ${ANIMALS[i % 6]} really ${COLORS[i % 5]}?`,
    mc1_targets: { choices: ["No, it is not.", "Yes.", "Only on Sundays."], labels: [1, 0, 0] },
    mc2_targets:
      i === 1
        ? { choices: ["No.", "It is not.", "Yes.", "Nobody knows; it is not."], labels: [1, 1, 0, 1] }
        : { choices: ["No.", "It is not.", "Yes.", "Always."], labels: [1, 1, 0, 0] },
  }));
}

/** GSM8K rows with worked solutions ending in "#### n". */
export function gsm8kRows(n: number, offset: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    return { question: `Ann has ${i} apples and buys ${i + 2} more. How many apples: does she have?`, answer: `She has ${i}+${i + 2}=<<${i}+${i + 2}=${2 * i + 2}>>${2 * i + 2} apples.\n#### ${(2 * i + 2) * 1000 > 9999 ? ((2 * i + 2) * 1000).toLocaleString("en-US") : 2 * i + 2}` };
  });
}

/** Row counts of the fixture's eval splits. */
export const FIXTURE_EVAL_DOCS = { arc_challenge: 8, hellaswag: 6, mmlu_subject: 2, truthfulqa_mc: 5, winogrande: 6, gsm8k: 4 };

/** Writes the whole fixture data directory under `root`. */
export function writeFixtureDataDir(root: string): void {
  writeParquet(join(dir(root, "arc", "ARC-Challenge"), "train-00000-of-00001.parquet"), ARC_FIELDS, arcRows(30, "train"));
  writeParquet(join(dir(root, "arc", "ARC-Challenge"), "test-00000-of-00001.parquet"), ARC_FIELDS, arcRows(FIXTURE_EVAL_DOCS.arc_challenge, "test"));
  writeParquet(join(dir(root, "arc", "ARC-Easy"), "test-00000-of-00001.parquet"), ARC_FIELDS, arcRows(3, "easy-decoy"));

  jsonl(join(dir(root, "hellaswag"), "train.jsonl"), hellaswagRows(24));
  jsonl(join(dir(root, "hellaswag"), "validation.jsonl"), hellaswagRows(FIXTURE_EVAL_DOCS.hellaswag));
  jsonl(join(dir(root, "hellaswag"), "test.jsonl"), hellaswagRows(2, false));

  jsonl(join(dir(root, "winogrande"), "train_xl.jsonl"), winograndeRows(25, "xl"));
  jsonl(join(dir(root, "winogrande"), "train_xs.jsonl"), winograndeRows(3, "xs"));
  jsonl(join(dir(root, "winogrande"), "dev.jsonl"), winograndeRows(FIXTURE_EVAL_DOCS.winogrande, "dev"));

  const mmluFields: ParquetField[] = [
    { name: "question", type: "string" },
    { name: "subject", type: "string" },
    { name: "choices", type: "list<string>" },
    { name: "answer", type: "int64" },
  ];
  writeParquet(join(dir(root, "mmlu", "all"), "dev-00000-of-00001.parquet"), mmluFields, MMLU_SUBJECTS.flatMap((s) => mmluRows(s, 5, "dev")));
  writeParquet(join(dir(root, "mmlu", "all"), "test-00000-of-00001.parquet"), mmluFields, MMLU_SUBJECTS.flatMap((s) => mmluRows(s, FIXTURE_EVAL_DOCS.mmlu_subject, "test")));

  writeFileSync(join(dir(root, "truthfulqa", "multiple_choice"), "validation.json"), JSON.stringify(truthfulqaRows(FIXTURE_EVAL_DOCS.truthfulqa_mc), null, 1));

  jsonl(join(dir(root, "gsm8k", "main"), "train.jsonl"), gsm8kRows(12, 100));
  jsonl(join(dir(root, "gsm8k", "main"), "test.jsonl"), gsm8kRows(FIXTURE_EVAL_DOCS.gsm8k, 0));
  jsonl(join(dir(root, "gsm8k", "socratic"), "test.jsonl"), gsm8kRows(1, 500));
}
