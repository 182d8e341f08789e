// JSON files of a checkpoint folder: reading them with typed errors, and writing them as transformers does
// (keys sorted, two-space indent, trailing newline).
import { readFile } from "node:fs/promises";
import { MAX_JSON_DEPTH, jsonNestsDeeperThan, scanJsonKeys } from "../safetensors/json-keys.js";
import { CheckpointJsonError } from "./errors.js";

/** Reads `path` as a JSON object; a file that is not one, or has a key twice, throws {@link CheckpointJsonError}. */
export async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, "utf8");
  if (jsonNestsDeeperThan(text)) throw new CheckpointJsonError(path, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CheckpointJsonError(path, `invalid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CheckpointJsonError(path, Array.isArray(value) ? "an array" : String(value));
  }
  const duplicate = scanJsonKeys(text).duplicate;
  if (duplicate) {
    const where = duplicate.path.length === 0 ? "the top level" : `"${duplicate.path.join(".")}"`;
    throw new CheckpointJsonError(path, `the key "${duplicate.key}" twice in ${where}`);
  }
  return value as Record<string, unknown>;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(record).sort().map((key) => [key, sortKeys(record[key])]));
  }
  return value;
}

/** JSON text as transformers writes its files: keys sorted at every depth, indented by two spaces, newline at end. */
export function toCheckpointJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}
