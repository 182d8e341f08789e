// What the SFT and DPO row parsers share: reading a row's fields with a problem per broken rule, message lists in
// the OpenAI (`role`/`content`) and ShareGPT (`from`/`value`) spellings, format detection, and the row loop that
// collects bad rows (throwing them all at once, or skipping them).
import { InvalidArgumentError } from "../../common/index.js";
import type { ChatMessage } from "../../formats/index.js";
import { BadRowsError, describeProblems, TrainingDataError, type RowProblem } from "./errors.js";
import type { DataRow } from "./rows.js";

/** What to do with rows that break the format's rules: stop with all of them listed, or leave them out. */
export type BadRowsPolicy = "error" | "skip";

/** The bad-row policies, as `--bad-rows` accepts them. */
export const BAD_ROWS_POLICIES: readonly BadRowsPolicy[] = ["error", "skip"];

/** A row as an object of fields. */
export type Fields = Readonly<Record<string, unknown>>;

/** One format a row parser understands. */
export interface RowFormat<F extends string, T> {
  readonly name: F;
  /** The fields that identify it, as messages name them (e.g. `instruction, output`). */
  readonly keys: string;
  /** True when the row has the fields of this format (detection, and the named-format check). */
  matches(row: Fields): boolean;
  /** The example of a row of this format; throws BadRow for a row that breaks its rules. */
  parse(row: Fields): T;
}

/** Thrown by field readers for a row that cannot become an example; the row loop records it. */
export class BadRow extends Error {}

/** True when `row` has `key` with a value (null counts as absent, as parquet's missing values are null). */
export const has = (row: Fields, key: string): boolean => row[key] !== undefined && row[key] !== null;

/** The string field `key`, required. */
export function requiredString(row: Fields, key: string): string {
  if (!has(row, key)) throw new BadRow(`missing "${key}"`);
  const value = row[key];
  if (typeof value !== "string") throw new BadRow(`"${key}" is ${describeValue(value)}, expected a string`);
  return value;
}

/** The string field `key`, or "" when it is absent or null. */
export function optionalString(row: Fields, key: string): string {
  return has(row, key) ? requiredString(row, key) : "";
}

/** The string field `key`, which must hold more than white space. */
export function nonEmptyString(row: Fields, key: string): string {
  const value = requiredString(row, key);
  if (value.trim() === "") throw new BadRow(`empty "${key}"`);
  return value;
}

const SHAREGPT_ROLES: Readonly<Record<string, ChatMessage["role"]>> = { system: "system", human: "user", user: "user", gpt: "assistant", assistant: "assistant" };

/**
 * The message list in field `key`: items `{role, content}` (OpenAI; content a string or a list of text parts) or
 * `{from, value}` (ShareGPT: system, human, user, gpt, assistant). System messages with empty content are dropped.
 */
export function messageList(row: Fields, key: string): ChatMessage[] {
  if (!has(row, key)) throw new BadRow(`missing "${key}"`);
  const list = row[key];
  if (!Array.isArray(list)) throw new BadRow(`"${key}" is ${describeValue(list)}, expected a list of messages`);
  const messages: ChatMessage[] = [];
  list.forEach((item: unknown, i) => {
    const at = `${key}[${i}]`;
    if (!isObject(item)) throw new BadRow(`${at} is ${describeValue(item)}, expected a message object`);
    const message = has(item, "from") && !has(item, "role") ? shareGptMessage(item, at) : openAiMessage(item, at);
    if (message.role !== "system" || message.content.trim() !== "") messages.push(message);
  });
  return messages;
}

function openAiMessage(item: Fields, at: string): ChatMessage {
  if (!has(item, "role")) throw new BadRow(`${at} has no "role" (nor "from")`);
  const role = item.role;
  if (role !== "system" && role !== "user" && role !== "assistant") {
    throw new BadRow(`${at} has role ${JSON.stringify(role)}, expected system, user or assistant`);
  }
  return { role, content: messageContent(item.content, at) };
}

function shareGptMessage(item: Fields, at: string): ChatMessage {
  const from = item.from;
  const role = typeof from === "string" ? SHAREGPT_ROLES[from] : undefined;
  if (role === undefined) throw new BadRow(`${at} is from ${JSON.stringify(from)}, expected system, human, user, gpt or assistant`);
  return { role, content: messageContent(item.value, at) };
}

/** A message's text: a string, or the concatenated text of a list of `{type: "text", text}` parts. */
function messageContent(content: unknown, at: string): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        if (isObject(part) && part.type === "text" && typeof part.text === "string") return part.text;
        throw new BadRow(`${at} has a content part that is not text (${describeValue(part)})`);
      })
      .join("");
  }
  throw new BadRow(`${at} has content that is ${describeValue(content)}, expected a string`);
}

/** Checks that no user or assistant message is empty (white space only); `key` names the list in messages. */
export function checkMessageTexts(messages: readonly ChatMessage[], key: string): void {
  messages.forEach((m, i) => {
    if (m.role !== "system" && m.content.trim() === "") throw new BadRow(`empty ${m.role === "user" ? "user text" : "assistant content"} in ${key}[${i}]`);
  });
}

/** Parses every row with `format`; bad rows are thrown together (`error`) or returned in `skipped` (`skip`). */
export function collectExamples<F extends string, T>(
  rows: readonly DataRow[],
  format: RowFormat<F, T>,
  badRows: BadRowsPolicy,
): { items: (T & { index: number; where: string })[]; skipped: RowProblem[] } {
  const items: (T & { index: number; where: string })[] = [];
  const skipped: RowProblem[] = [];
  for (const { row, index, where } of rows) {
    try {
      if (!isObject(row)) throw new BadRow(`expected an object but found ${describeValue(row)}`);
      items.push({ ...format.parse(row), index, where });
    } catch (error) {
      if (!(error instanceof BadRow)) throw error;
      skipped.push({ index, where, problem: error.message });
    }
  }
  if (skipped.length > 0 && badRows === "error") throw new BadRowsError(skipped, { format: format.name, total: rows.length });
  if (items.length === 0) {
    throw new TrainingDataError(`expected at least one valid ${format.name} example but all ${rows.length} rows are bad: ${describeProblems(skipped)}`, {
      hint: "fix the rows; every one of them was left out",
    });
  }
  return { items, skipped };
}

/**
 * The format to parse `rows` with: the one named (checked against the rows: most of them must have its fields), or
 * the first of `formats` that matches the first row that matches any. `kind` names the data in messages ("SFT").
 */
export function chooseFormat<F extends string, T>(
  rows: readonly DataRow[],
  formats: readonly RowFormat<F, T>[],
  { named, kind, otherKind }: { named: F | undefined; kind: string; otherKind: (row: Fields) => string | undefined },
): RowFormat<F, T> {
  if (rows.length === 0) throw new TrainingDataError(`expected at least one ${kind} row but found none`, { hint: "check that the data files are not empty" });
  const objects = rows.map((r) => r.row).filter(isObject);
  const detected = detect(objects, formats);
  const choices = formats.map((f) => f.name).join(", ");
  if (named === undefined) {
    if (detected !== undefined) return detected;
    const first = objects[0];
    const other = first === undefined ? undefined : otherKind(first);
    throw new TrainingDataError(
      `expected rows in one of the ${kind} formats (${formats.map((f) => `${f.name}: ${f.keys}`).join("; ")}) but found ${first === undefined ? "no JSON objects" : `rows with keys ${keyList(first)}`}`,
      { hint: other ?? `rename the fields to one of these formats, or convert the data; --format chooses among ${choices}` },
    );
  }
  const format = formats.find((f) => f.name === named);
  if (format === undefined) throw new InvalidArgumentError(`expected --format to be one of ${choices} but found ${JSON.stringify(named)}`);
  const lacking = rows.filter((r) => !isObject(r.row) || !format.matches(r.row)).length;
  if (lacking * 2 > rows.length) {
    const first = objects[0];
    throw new TrainingDataError(
      `expected rows with the fields of the ${format.name} format (${format.keys}) but ${lacking} of ${rows.length} rows lack them; ${first === undefined ? "no row is a JSON object" : `the first row's keys are ${keyList(first)}`}`,
      { hint: detected !== undefined && detected !== format ? `these rows look like the ${detected.name} format: pass --format ${detected.name}, or leave --format out to detect it` : `rename the fields, or choose --format among ${choices}` },
    );
  }
  return format;
}

function detect<F extends string, T>(objects: readonly Fields[], formats: readonly RowFormat<F, T>[]): RowFormat<F, T> | undefined {
  for (const row of objects) {
    const format = formats.find((f) => f.matches(row));
    if (format !== undefined) return format;
  }
  return undefined;
}

/** Checks a `--bad-rows` value that came from outside the type system. */
export function checkBadRowsPolicy(badRows: string): BadRowsPolicy {
  if (badRows === "error" || badRows === "skip") return badRows;
  throw new InvalidArgumentError(`expected --bad-rows to be one of ${BAD_ROWS_POLICIES.join(", ")} but found ${JSON.stringify(badRows)}`);
}

/** True for a JSON object (not null, not a list). */
export function isObject(value: unknown): value is Fields {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The first of `formats` (in order of precedence) whose fields a row has, or undefined. */
export function detectFormat<F extends string>(row: unknown, formats: readonly RowFormat<F, unknown>[]): F | undefined {
  return isObject(row) ? formats.find((f) => f.matches(row))?.name : undefined;
}

function keyList(row: Fields): string {
  const keys = Object.keys(row);
  return keys.length === 0 ? "(none)" : keys.join(", ");
}

/** A short description of a value's kind, for messages: "a number", "null", "a list". */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return typeof value === "string" ? "a string" : `a ${typeof value}`;
}
