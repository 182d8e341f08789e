// Reading results from disk: files and folders of results JSON, merging files that hold different tasks of the same
// model (the harness is often run one task at a time), and filling in parameter counts the files do not state.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { FileNotFoundError } from "../common/index.js";
import { ResultsFormatError } from "./errors.js";
import type { ModelRow } from "./model.js";
import { parseResults } from "./parse.js";

/** Reads and parses one results file. @throws FileNotFoundError, ResultsFormatError */
export async function readResultsFile(path: string): Promise<ModelRow> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new FileNotFoundError(path, { hint: "pass results JSON files written by `dusk eval` or lm-evaluation-harness", cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ResultsFormatError(path, `expected JSON but found a syntax error (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  return parseResults(json, { source: path });
}

/** Files named results*.json under a folder (lm-evaluation-harness writes results_<date>.json into a model folder). */
async function resultsFilesUnder(folder: string, depth: number): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(folder, entry.name);
    if (entry.isDirectory() && depth > 0) found.push(...(await resultsFilesUnder(path, depth - 1)));
    else if (entry.isFile() && /^results.*\.json$/i.test(entry.name)) found.push(path);
  }
  return found;
}

/** Expands inputs: files stay, folders become the results*.json files inside them (up to three levels down). */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch((error: unknown) => {
      throw new FileNotFoundError(input, { hint: "pass results JSON files (or folders holding results*.json files)", cause: error });
    });
    if (!info.isDirectory()) {
      files.push(input);
      continue;
    }
    const inside = await resultsFilesUnder(input, 3);
    if (inside.length === 0) throw new ResultsFormatError(input, "expected results*.json files in this folder but found none");
    files.push(...inside);
  }
  return files;
}

/**
 * Merges measured rows of the same model (same name, limit and profile) whose tasks do not overlap, so that one
 * results file per task makes one row. Rows whose tasks overlap stay separate (two runs of the same task).
 */
export function mergeRows(rows: readonly ModelRow[]): ModelRow[] {
  const merged: ModelRow[] = [];
  for (const row of rows) {
    const target = merged.find(
      (other) =>
        other.layout !== "reference" && row.layout !== "reference" && other.name === row.name && other.limit === row.limit &&
        other.profile === row.profile && Object.keys(row.scores).every((task) => !(task in other.scores)),
    );
    if (!target) {
      merged.push({ ...row, scores: { ...row.scores }, notes: [...row.notes] });
      continue;
    }
    Object.assign(target.scores, row.scores);
    target.notes.push(...row.notes);
    target.source = `${target.source} + ${row.source}`;
    if (target.params === undefined && row.params !== undefined) {
      target.params = row.params;
      if (row.paramsSource) target.paramsSource = row.paramsSource;
    }
  }
  return merged;
}

/** A parameter count from a size written in a name: "Llama-2-7b" → 7e9, "tiny-5M" → 5e6; "8x7B" (experts) is not read. */
export function paramsFromName(name: string): number | undefined {
  const match = /(?<![\dx.])(\d+(?:\.\d+)?)([bBmM])(?![a-zA-Z\d])/.exec(name);
  if (!match) return undefined;
  return Number(match[1]) * (match[2]?.toLowerCase() === "b" ? 1e9 : 1e6);
}

/** Fills missing parameter counts: from a reference row of the same model, else from a size in the name. */
export function fillParams(rows: readonly ModelRow[], reference: readonly ModelRow[]): ModelRow[] {
  return rows.map((row) => {
    if (row.params !== undefined) return row;
    const same = reference.find((ref) => ref.params !== undefined && ref.name.toLowerCase() === row.name.toLowerCase());
    if (same?.params !== undefined) return { ...row, params: same.params, paramsSource: "reference" };
    const guessed = paramsFromName(row.name);
    return guessed !== undefined ? { ...row, params: guessed, paramsSource: "name" } : row;
  });
}
