// Supervised fine-tuning rows → conversations: Alpaca, OpenOrca, message lists (OpenAI and ShareGPT spellings),
// prompt/completion and question/answer (GSM8K, `dusk data synth math`), detected from the rows or named.
import type { ChatMessage } from "../../formats/index.js";
import type { RowProblem } from "./errors.js";
import {
  BadRow,
  checkBadRowsPolicy,
  checkMessageTexts,
  chooseFormat,
  collectExamples,
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

/** The SFT row formats dusk reads. */
export type SftFormat = "alpaca" | "openorca" | "messages" | "prompt-completion" | "question-answer";

/** The SFT row formats, in the order detection tries them. */
export const SFT_FORMATS: readonly SftFormat[] = ["messages", "alpaca", "openorca", "question-answer", "prompt-completion"];

/** One SFT example: a conversation whose assistant messages carry the loss. */
export interface SftExample {
  /** Ends with an assistant message; system messages only where they have text. */
  readonly messages: readonly ChatMessage[];
  /** 1-based row number over all the files read. */
  readonly index: number;
  /** "file:line" or "file#i". */
  readonly where: string;
}

/** Options of parseSftRows. */
export interface ParseSftOptions {
  /** The rows' format. Defaults to detecting it from the first row that has the fields of one. */
  format?: SftFormat;
  /** Bad rows stop with a BadRowsError listing them (`error`) or are left out and returned (`skip`). Defaults to `error`. */
  badRows?: BadRowsPolicy;
}

/** The examples of parseSftRows, the format they were read as, and the rows left out. */
export interface SftRows {
  readonly format: SftFormat;
  readonly examples: SftExample[];
  /** The bad rows left out (only with `badRows: "skip"`). */
  readonly skipped: RowProblem[];
}

type Conversation = { messages: ChatMessage[] };

const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });
const system = (content: string): ChatMessage[] => (content.trim() === "" ? [] : [{ role: "system", content }]);

const ALPACA: RowFormat<SftFormat, Conversation> = {
  name: "alpaca",
  keys: "instruction, optional input, output",
  matches: (row) => has(row, "instruction") && has(row, "output"),
  parse(row) {
    const instruction = nonEmptyString(row, "instruction");
    const input = optionalString(row, "input");
    const output = nonEmptyString(row, "output");
    return { messages: [user(input.trim() === "" ? instruction : `${instruction}\n\n${input}`), assistant(output)] };
  },
};

const OPENORCA: RowFormat<SftFormat, Conversation> = {
  name: "openorca",
  keys: "optional system_prompt, question, response",
  matches: (row) => has(row, "question") && has(row, "response"),
  parse(row) {
    const prompt = optionalString(row, "system_prompt");
    const question = nonEmptyString(row, "question");
    const response = nonEmptyString(row, "response");
    return { messages: [...system(prompt), user(question), assistant(response)] };
  },
};

const QUESTION_ANSWER: RowFormat<SftFormat, Conversation> = {
  name: "question-answer",
  keys: "question, answer",
  matches: (row) => has(row, "question") && has(row, "answer"),
  parse: (row) => ({ messages: [user(nonEmptyString(row, "question")), assistant(nonEmptyString(row, "answer"))] }),
};

const PROMPT_COMPLETION: RowFormat<SftFormat, Conversation> = {
  name: "prompt-completion",
  keys: "prompt, completion",
  matches: (row) => has(row, "prompt") && has(row, "completion"),
  parse: (row) => ({ messages: [user(nonEmptyString(row, "prompt")), assistant(nonEmptyString(row, "completion"))] }),
};

const MESSAGES: RowFormat<SftFormat, Conversation> = {
  name: "messages",
  keys: "messages: [{role, content}] or conversations: [{from, value}]",
  matches: (row) => Array.isArray(row.messages) || Array.isArray(row.conversations),
  parse(row) {
    const key = has(row, "messages") || !has(row, "conversations") ? "messages" : "conversations";
    return { messages: conversation(messageList(row, key), key) };
  },
};

/**
 * Checks a message list as a training conversation: at least one user message and one assistant message, none of
 * them empty. Messages after the last assistant message carry no loss and are dropped.
 */
function conversation(messages: ChatMessage[], key: string): ChatMessage[] {
  checkMessageTexts(messages, key);
  const last = messages.map((m) => m.role).lastIndexOf("assistant");
  if (last < 0) throw new BadRow(`no assistant message in "${key}"`);
  const kept = messages.slice(0, last + 1);
  if (!kept.some((m) => m.role === "user")) throw new BadRow(`no user message before the last assistant message in "${key}"`);
  return kept;
}

const FORMATS: readonly RowFormat<SftFormat, Conversation>[] = [MESSAGES, ALPACA, OPENORCA, QUESTION_ANSWER, PROMPT_COMPLETION];

/** The SFT format a row looks like, or undefined. Message lists win over field pairs. */
export function detectSftFormat(row: unknown): SftFormat | undefined {
  return detectFormat(row, FORMATS);
}

/**
 * Turns SFT rows into conversations. Bad rows (not an object; a missing or non-string field; an empty instruction,
 * question, prompt or user message; an empty output, response, answer, completion or assistant message; a message
 * list without an assistant message, or with a role other than system, user and assistant) are reported with their
 * row numbers: all at once in a BadRowsError, or returned in `skipped`.
 */
export function parseSftRows(rows: readonly DataRow[], { format, badRows = "error" }: ParseSftOptions = {}): SftRows {
  const policy = checkBadRowsPolicy(badRows);
  const chosen = chooseFormat(rows, FORMATS, { named: format, kind: "SFT", otherKind: pairsHint });
  const { items, skipped } = collectExamples(rows, chosen, policy);
  return { format: chosen.name, examples: items, skipped };
}

function pairsHint(row: Fields): string | undefined {
  return has(row, "chosen") && has(row, "rejected") ? "these rows look like preference pairs (chosen, rejected): train on them with dusk train dpo" : undefined;
}
