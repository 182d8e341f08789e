// Reads the rows of training-data files: JSON lines, JSON (an array, or an object holding one), and parquet
// (hyparquet). A folder stands for its data files sorted by name. Each row keeps its 1-based number over all files
// and where it came from, so that bad rows can be reported as "row 12 (train.jsonl:12)".
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { FileNotFoundError } from "../../common/index.js";
import { TrainingDataError } from "./errors.js";

/** One row of training data and where it came from. */
export interface DataRow {
  /** The row as parsed (an object, for every format dusk trains on). */
  readonly row: unknown;
  /** 1-based number over all the files read, in order. */
  readonly index: number;
  /** "file:line" for JSON lines, "file#i" (1-based) for JSON and parquet. */
  readonly where: string;
}

/** The file extensions readRows reads (and picks out of folders). */
export const TRAINING_DATA_EXTENSIONS = [".jsonl", ".json", ".parquet"] as const;

const UNKNOWN_EXTENSION_HINT =
  "dusk reads .jsonl (one JSON object a line), .json (an array of rows) and .parquet files; convert the file or give it the right extension";

/** A row before it is numbered. */
interface RawRow {
  readonly row: unknown;
  readonly where: string;
}

/**
 * Reads every row of `files`, in order. A folder stands for its .jsonl, .json and .parquet files (not its
 * subfolders), sorted by name. Blank lines of JSON lines files are skipped but counted for line numbers; parquet
 * int64 values become numbers where they are exactly representable (bigints otherwise).
 */
export async function readRows(files: readonly string[]): Promise<DataRow[]> {
  const rows: DataRow[] = [];
  for (const file of await expandFolders(files)) {
    for (const { row, where } of await readFileRows(file)) rows.push({ row, index: rows.length + 1, where });
  }
  return rows;
}

/** Replaces each folder of `paths` by its data files, sorted by name. */
async function expandFolders(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = (await stat(path)).isDirectory();
    } catch (error) {
      throw new FileNotFoundError(path, { cause: error });
    }
    if (!isFolder) {
      out.push(path);
      continue;
    }
    const entries = await readdir(path, { withFileTypes: true });
    const names = entries
      .filter((e) => e.isFile() && (TRAINING_DATA_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase()))
      .map((e) => e.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (names.length === 0) {
      throw new TrainingDataError(`expected ${TRAINING_DATA_EXTENSIONS.join(", ")} files in the folder ${path} but found none`, {
        hint: "point --data at a folder holding the data files, or at the files themselves",
      });
    }
    out.push(...names.map((name) => join(path, name)));
  }
  return out;
}

async function readFileRows(file: string): Promise<RawRow[]> {
  const extension = extname(file).toLowerCase();
  switch (extension) {
    case ".jsonl":
      return readJsonLines(await readText(file), file);
    case ".json":
      return readJson(await readText(file), file);
    case ".parquet":
      return readParquet(file);
    default:
      throw new TrainingDataError(`expected a ${TRAINING_DATA_EXTENSIONS.join(", ")} file but found ${file} (${extension ? `a ${extension} file` : "no extension"})`, {
        hint: UNKNOWN_EXTENSION_HINT,
      });
  }
}

async function readText(file: string): Promise<string> {
  try {
    const text = await readFile(file, "utf8");
    return text.startsWith("\uFEFF") ? text.slice(1) : text;
  } catch (error) {
    throw new FileNotFoundError(file, { cause: error });
  }
}

function readJsonLines(text: string, file: string): RawRow[] {
  const rows: RawRow[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    const where = `${file}:${i + 1}`;
    try {
      rows.push({ row: JSON.parse(line) as unknown, where });
    } catch (error) {
      throw new TrainingDataError(`expected one JSON value on each line of ${file} but found something else at ${where}: ${preview(line)}`, {
        hint: "fix that line (each line of a .jsonl file is one JSON object); a file holding one JSON array should be named .json",
        cause: error,
      });
    }
  }
  return rows;
}

function readJson(text: string, file: string): RawRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new TrainingDataError(`expected JSON in ${file} but it does not parse: ${(error as Error).message}`, {
      hint: "fix the file; a file with one JSON object a line should be named .jsonl",
      cause: error,
    });
  }
  const rows = arrayOfJson(value, file);
  return rows.map((row, i) => ({ row, where: `${file}#${i + 1}` }));
}

/** The rows of a JSON document: the array itself, its `rows` array, or its one array-valued property. */
function arrayOfJson(value: unknown, file: string): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  const hint = 'give an array of rows, or an object with one array of rows such as {"data": [...]}';
  if (value === null || typeof value !== "object") {
    throw new TrainingDataError(`expected an array of rows in ${file} but found ${value === null ? "null" : typeof value}`, { hint });
  }
  const object = value as Record<string, unknown>;
  if (Array.isArray(object.rows)) return object.rows as unknown[];
  const arrays = Object.keys(object).filter((key) => Array.isArray(object[key]));
  if (arrays.length === 1) return object[arrays[0] as string] as unknown[];
  const found = arrays.length === 0 ? `an object with no array (keys: ${keyList(object)})` : `an object with ${arrays.length} arrays (${arrays.join(", ")})`;
  throw new TrainingDataError(`expected an array of rows, or an object holding exactly one, in ${file} but found ${found}`, { hint });
}

async function readParquet(file: string): Promise<RawRow[]> {
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
  } catch (error) {
    throw new TrainingDataError(`expected a parquet file hyparquet can read at ${file} but reading it failed: ${(error as Error).message}`, {
      hint: "check that the file is complete (a partial download is a common cause), or convert it to .jsonl",
      cause: error,
    });
  }
  return rows.map((row, i) => ({ row: plainValue(row), where: `${file}#${i + 1}` }));
}

/** Parquet int64 values arrive as bigints: numbers where exact, so that rows look like their JSON form. */
function plainValue(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value) && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = plainValue(v);
    return out;
  }
  return value;
}

function keyList(object: object): string {
  const keys = Object.keys(object);
  return keys.length === 0 ? "none" : keys.join(", ");
}

function preview(line: string, length = 60): string {
  return line.length <= length ? line : `${line.slice(0, length)}...`;
}
