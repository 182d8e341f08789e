// Row readers for the file formats a data directory may hold: JSON lines, JSON (an array, or an object holding
// one array), parquet (hyparquet), CSV (RFC 4180; MMLU's headerless original or a header row), and llama.cpp's
// HellaSwag text (6 lines a task). Each returns plain rows; the original formats become Hub-schema rows.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { FileNotFoundError } from "../../common/index.js";
import { DataFormatError } from "../errors.js";
import { mmluRowFromCsv } from "../tasks/mmlu.js";
import { truthfulqaRowFromOriginal } from "../tasks/truthfulqa.js";
import type { DatasetFolder } from "../tasks/types.js";
import { parseCsv } from "./csv.js";
import { OrderedObject, parseOrderedJson, toPlain, type OrderedJson } from "./ordered-json.js";

/** One row and where it came from. */
export interface SourceRow {
  row: unknown;
  /** "file:line" or "file#index", for error messages. */
  where: string;
}

/** Options of readRows. */
export interface ReadRowsOptions {
  /** The dataset the file belongs to (selects original-format conversions). */
  dataset: DatasetFolder;
  /** MMLU subject implied by the file's path, for headerless CSV files. */
  subject?: string | undefined;
}

/** The file extensions readRows understands. */
export const DATA_EXTENSIONS = [".jsonl", ".json", ".parquet", ".csv", ".txt"];

/** Reads every row of one data file. */
export async function readRows(file: string, { dataset, subject }: ReadRowsOptions): Promise<SourceRow[]> {
  const extension = extname(file).toLowerCase();
  if (extension === ".parquet") return readParquet(file);
  const text = await readText(file);
  switch (extension) {
    case ".jsonl":
      return readJsonLines(text, file);
    case ".json":
      return readJson(text, file, dataset);
    case ".csv":
      return readCsv(text, file, dataset, subject);
    case ".txt":
      return readLlamaCppHellaswag(text, file);
    default:
      throw new DataFormatError(file, `one of ${DATA_EXTENSIONS.join(", ")}`, `a ${extension || "extension-less"} file`);
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new FileNotFoundError(file, { cause: error });
  }
}

function readJsonLines(text: string, file: string): SourceRow[] {
  const rows: SourceRow[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      rows.push({ row: JSON.parse(line), where: `${file}:${i + 1}` });
    } catch (error) {
      throw new DataFormatError(`${file}:${i + 1}`, "one JSON object per line", JSON.stringify(line.slice(0, 40)), { cause: error });
    }
  });
  return rows;
}

function readJson(text: string, file: string, dataset: DatasetFolder): SourceRow[] {
  let value: OrderedJson;
  try {
    value = parseOrderedJson(text, file);
  } catch (error) {
    // Not one JSON document: perhaps JSON lines in a .json file.
    if (text.trimStart().startsWith("{") && text.includes("\n")) return readJsonLines(text, file);
    throw error;
  }
  let list: OrderedJson[] | undefined;
  if (Array.isArray(value)) list = value;
  else if (value instanceof OrderedObject) list = value.entries.map(([, v]) => v).find((v): v is OrderedJson[] => Array.isArray(v));
  if (!list) throw new DataFormatError(file, "a JSON array of rows (or an object holding one)", "no array");
  return list.map((item, i) => {
    if (dataset === "truthfulqa" && item instanceof OrderedObject) return { row: truthfulqaRow(item), where: `${file}#${i}` };
    return { row: toPlain(item), where: `${file}#${i}` };
  });
}

/** A TruthfulQA row: the original format's targets objects (key order = choice order) become {choices, labels}. */
function truthfulqaRow(item: OrderedObject): unknown {
  const mc1 = item.get("mc1_targets");
  const mc2 = item.get("mc2_targets");
  const isOriginal = (t: OrderedJson | undefined): t is OrderedObject =>
    t instanceof OrderedObject && !(t.get("choices") !== undefined && t.get("labels") !== undefined);
  if (isOriginal(mc1) && isOriginal(mc2)) return truthfulqaRowFromOriginal(toPlain(item.get("question") ?? null), mc1.entries, mc2.entries);
  return toPlain(item);
}

function readCsv(text: string, file: string, dataset: DatasetFolder, subject: string | undefined): SourceRow[] {
  const records = parseCsv(text, { source: file });
  const header = records[0];
  const looksLikeHeader = header !== undefined && header.includes("question") && !(dataset === "mmlu" && header.length === 6 && /^[A-D]$/.test(header[5] ?? ""));
  if (dataset === "mmlu" && !looksLikeHeader) {
    if (subject === undefined) throw new DataFormatError(file, "a file named <subject>_<split>.csv", "no MMLU subject in the name");
    return records.map((record, i) => ({ row: mmluRowFromCsv(record, subject, `${file}:${i + 1}`), where: `${file}#${i}` }));
  }
  if (!header || !looksLikeHeader) throw new DataFormatError(file, "a header row naming the Hub columns (question, ...)", JSON.stringify(header?.slice(0, 4)));
  return records.slice(1).map((record, i) => {
    const row: Record<string, string> = {};
    header.forEach((column, c) => (row[column] = record[c] ?? ""));
    return { row, where: `${file}#${i}` };
  });
}

/** llama.cpp's HellaSwag text: per task a context line, the gold index, four ending lines. */
function readLlamaCppHellaswag(text: string, file: string): SourceRow[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length % 6 !== 0) throw new DataFormatError(file, "a multiple of 6 lines (llama.cpp's HellaSwag format)", `${lines.length} lines`);
  const rows: SourceRow[] = [];
  for (let t = 0; t < lines.length / 6; t++) {
    const at = t * 6;
    rows.push({
      row: { format: "llamacpp", context: lines[at], label: lines[at + 1], endings: lines.slice(at + 2, at + 6) },
      where: `${file}:${at + 1}`,
    });
  }
  return rows;
}

async function readParquet(file: string): Promise<SourceRow[]> {
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new FileNotFoundError(file, { cause: error });
    throw new DataFormatError(file, "a parquet file hyparquet can read", (error as Error).message, { cause: error });
  }
  return rows.map((row, i) => ({ row: normalizeParquetValue(row), where: `${file}#${i}` }));
}

/** Parquet int64 columns arrive as bigint: make them numbers so that rows look like their JSON form. */
function normalizeParquetValue(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(normalizeParquetValue);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalizeParquetValue(v);
    return out;
  }
  return value;
}
