// DPO preference rows → pairs (a prompt conversation, the chosen answer, the rejected answer): prompt/chosen/rejected
// strings, Intel/orca_dpo_pairs (system, question, chosen, rejected), and message lists (UltraFeedback-binarized).
import type { ChatMessage } from "../../formats/index.js";
import type { RowProblem } from "./errors.js";
import {
  BadRow,
  checkBadRowsPolicy,
  checkMessageTexts,
  chooseFormat,
  collectExamples,
  describeValue,
  has,
  messageList,
  nonEmptyString,
  optionalString,
  type BadRowsPolicy,
  detectFormat,
  type Fields,
  type RowFormat,
} from "./fields.js";
import type { DataRow } from "./rows.js";

/** The preference-pair formats dusk reads. */
export type PairFormat = "prompt-chosen-rejected" | "orca-dpo" | "messages";

/** The preference-pair formats, in the order detection tries them. */
export const PAIR_FORMATS: readonly PairFormat[] = ["messages", "orca-dpo", "prompt-chosen-rejected"];

/** One preference pair: two answers to the same prompt, the first preferred. */
export interface PreferencePair {
  /** The conversation before the answer: optional system message, then at least one user message. */
  readonly prompt: readonly ChatMessage[];
  /** The preferred assistant answer. */
  readonly chosen: string;
  /** The dispreferred assistant answer (never equal to `chosen`). */
  readonly rejected: string;
  /** 1-based row number over all the files read. */
  readonly index: number;
  /** "file:line" or "file#i". */
  readonly where: string;
}

/** Options of parsePairs. */
export interface ParsePairsOptions {
  /** The rows' format. Defaults to detecting it from the first row that has the fields of one. */
  format?: PairFormat;
  /** Bad rows stop with a BadRowsError listing them (`error`) or are left out and returned (`skip`). Defaults to `error`. */
  badRows?: BadRowsPolicy;
}

/** The pairs of parsePairs, the format they were read as, and the rows left out. */
export interface PairRows {
  readonly format: PairFormat;
  readonly pairs: PreferencePair[];
  /** The bad rows left out (only with `badRows: "skip"`). */
  readonly skipped: RowProblem[];
}

type Pair = Omit<PreferencePair, "index" | "where">;

const system = (content: string): ChatMessage[] => (content.trim() === "" ? [] : [{ role: "system", content }]);

/** Checks the two answers: present, not empty, and not the same text. */
function answers(chosen: string, rejected: string): { chosen: string; rejected: string } {
  if (chosen.trim() === "") throw new BadRow('empty "chosen"');
  if (rejected.trim() === "") throw new BadRow('empty "rejected"');
  if (chosen.trim() === rejected.trim()) throw new BadRow('"chosen" and "rejected" are the same answer');
  return { chosen, rejected };
}

const PROMPT_CHOSEN_REJECTED: RowFormat<PairFormat, Pair> = {
  name: "prompt-chosen-rejected",
  keys: "optional system, prompt, chosen, rejected",
  matches: (row) => has(row, "prompt") && has(row, "chosen") && has(row, "rejected"),
  parse(row) {
    const prompt = [...system(optionalString(row, "system")), { role: "user" as const, content: nonEmptyString(row, "prompt") }];
    return { prompt, ...answers(stringField(row, "chosen"), stringField(row, "rejected")) };
  },
};

const ORCA_DPO: RowFormat<PairFormat, Pair> = {
  name: "orca-dpo",
  keys: "system, question, chosen, rejected",
  matches: (row) => has(row, "question") && has(row, "chosen") && has(row, "rejected"),
  parse(row) {
    const prompt = [...system(optionalString(row, "system")), { role: "user" as const, content: nonEmptyString(row, "question") }];
    return { prompt, ...answers(stringField(row, "chosen"), stringField(row, "rejected")) };
  },
};

const MESSAGES: RowFormat<PairFormat, Pair> = {
  name: "messages",
  keys: "chosen and rejected as message lists ending with the assistant's answer, optional prompt",
  matches: (row) => Array.isArray(row.chosen) && Array.isArray(row.rejected),
  parse(row) {
    const chosen = messageList(row, "chosen");
    const rejected = messageList(row, "rejected");
    const chosenAnswer = lastAnswer(chosen, "chosen");
    const rejectedAnswer = lastAnswer(rejected, "rejected");
    const prefix = chosen.slice(0, -1);
    if (!samePrompt(prefix, rejected.slice(0, -1))) throw new BadRow('"chosen" and "rejected" have different prompts (the messages before the answer differ)');
    const prompt = prefix.length > 0 ? prefix : promptField(row);
    checkMessageTexts(prompt, prefix.length > 0 ? "chosen" : "prompt");
    if (!prompt.some((m) => m.role === "user")) throw new BadRow("no user message in the prompt");
    return { prompt, ...answers(chosenAnswer, rejectedAnswer) };
  },
};

/** A string field, with `missing` and type problems (emptiness is checked by `answers`). */
function stringField(row: Fields, key: string): string {
  if (!has(row, key)) throw new BadRow(`missing "${key}"`);
  const value = row[key];
  if (typeof value !== "string") throw new BadRow(`"${key}" is ${describeValue(value)}, expected a string`);
  return value;
}

/** The text of the last message of `messages`, which must be the assistant's. */
function lastAnswer(messages: readonly ChatMessage[], key: string): string {
  const last = messages.at(-1);
  if (last === undefined) throw new BadRow(`"${key}" has no messages`);
  if (last.role !== "assistant") throw new BadRow(`the last message of "${key}" is from the ${last.role}, expected the assistant's answer`);
  return last.content;
}

function samePrompt(a: readonly ChatMessage[], b: readonly ChatMessage[]): boolean {
  return a.length === b.length && a.every((m, i) => m.role === b[i]?.role && m.content === b[i]?.content);
}

/** The prompt of a row whose answer lists hold only the answer: its `prompt` field, a string or a message list. */
function promptField(row: Fields): ChatMessage[] {
  if (!has(row, "prompt")) throw new BadRow('no prompt: "chosen" holds only the answer and "prompt" is missing');
  if (typeof row.prompt === "string") {
    if (row.prompt.trim() === "") throw new BadRow('empty "prompt"');
    return [{ role: "user", content: row.prompt }];
  }
  return messageList(row, "prompt");
}

const FORMATS: readonly RowFormat<PairFormat, Pair>[] = [MESSAGES, ORCA_DPO, PROMPT_CHOSEN_REJECTED];

/** The pair format a row looks like, or undefined. Message lists win over strings; `question` over `prompt`. */
export function detectPairFormat(row: unknown): PairFormat | undefined {
  return detectFormat(row, FORMATS);
}

/**
 * Turns preference rows into pairs. Bad rows (not an object; a missing or non-string field; an empty prompt, question,
 * chosen or rejected; chosen equal to rejected; a message list whose last message is not the assistant's; chosen and
 * rejected lists with different prompts) are reported with their row numbers: all at once in a BadRowsError, or
 * returned in `skipped`.
 */
export function parsePairs(rows: readonly DataRow[], { format, badRows = "error" }: ParsePairsOptions = {}): PairRows {
  const policy = checkBadRowsPolicy(badRows);
  const chosen = chooseFormat(rows, FORMATS, { named: format, kind: "preference-pair", otherKind: sftHint });
  const { items, skipped } = collectExamples(rows, chosen, policy);
  return { format: chosen.name, pairs: items, skipped };
}

function sftHint(row: Fields): string | undefined {
  return has(row, "chosen") ? undefined : "these rows have no chosen and rejected answers; if they are instruction data, train on them with dusk train sft";
}
