// Model references: a local path (file or folder) or a Hub id `org/name[:<file-or-quant>][@<revision>]`,
// parsed into a typed value. Hub URLs (https://huggingface.co/org/name/resolve/main/x.gguf) and hf.co/ prefixes also work.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { InvalidHubReferenceError } from "./errors.js";

/** Which files of a repository a reference asks for. */
export type FileSelector =
  /** One file by its path in the repository (all parts of it when it is a split GGUF). */
  | { kind: "file"; path: string }
  /** The GGUF file(s) whose name carries this quantization as a whole token, e.g. `Q4_K_M`. */
  | { kind: "quant"; quant: string };

/** A parsed Hub reference. */
export interface HubReference {
  kind: "hub";
  /** `org/name`. */
  repo: string;
  /** Which files; absent means the default choice (see select.ts). */
  selector?: FileSelector;
  /** Branch, tag or commit; absent means `main`. */
  revision?: string;
}

/** A local file or folder (absolute path, `~` expanded). */
export interface LocalReference {
  kind: "local";
  path: string;
}

/** What a user may give wherever dusk takes a model. */
export type ModelReference = HubReference | LocalReference;

/** Options of parseModelReference. */
export interface ParseReferenceOptions {
  /** Folder relative paths are resolved against. Defaults to process.cwd(). */
  cwd?: string;
}

/** The revision used when a reference names none. */
export const DEFAULT_REVISION = "main";

const REPO_PART = /^\w(?:[\w.-]{0,94}\w)?$/;
const HOST_PREFIX = /^(?:https?:\/\/)?(?:www\.)?(?:huggingface\.co|hf\.co)\/|^hf:\/\/|^hf:/i;
const MODEL_FILE_SUFFIX = /\.(?:gguf|safetensors|bin)$/i;

/** Expands a leading `~` to the home folder and makes the path absolute. */
export function expandLocalPath(path: string, cwd: string = process.cwd()): string {
  const expanded = path === "~" ? homedir() : path.startsWith("~/") ? `${homedir()}${path.slice(1)}` : path;
  return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
}

/**
 * True when `text` must be read as a local path: it exists on disk, starts with `./`, `../`, `/`, `~` or a drive
 * letter, or its part before any `:` ends in `.gguf`/`.safetensors` (so `models/x.gguf` is a path, while
 * `org/name:x.gguf` is a Hub file).
 */
export function looksLikeLocalPath(text: string, { cwd = process.cwd() }: ParseReferenceOptions = {}): boolean {
  if (text === "." || text === ".." || /^(?:\.{1,2}[\\/]|[\\/]|~|[A-Za-z]:[\\/])/.test(text)) return true;
  if (existsSync(expandLocalPath(text, cwd))) return true;
  const beforeSelector = text.split(":")[0] ?? text;
  return MODEL_FILE_SUFFIX.test(beforeSelector);
}

/** True when `text` is `org/name` with Hub-valid characters (no `--` or `..`, at most 96 characters a part). */
export function isValidRepoId(text: string): boolean {
  const parts = text.split("/");
  return parts.length === 2 && parts.every((part) => REPO_PART.test(part)) && !text.includes("--") && !text.includes("..");
}

/** Checks a path inside a repository: relative, forward slashes, no `.`/`..`/empty segments. */
export function isSafeRepoPath(path: string): boolean {
  if (path.length === 0 || path.startsWith("/") || path.includes("\\") || path.includes("\0")) return false;
  return path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

/** Checks a revision: a branch, tag or commit, possibly with slashes (`refs/pr/1`), never climbing out of refs/. */
export function isSafeRevision(revision: string): boolean {
  return isSafeRepoPath(revision) && !/[\s:~^?*[]/.test(revision);
}

function selectorFor(text: string, reference: string): FileSelector {
  if (text.includes(".") || text.includes("/")) {
    if (!isSafeRepoPath(text)) throw new InvalidHubReferenceError(reference, `"${text}" is not a file path inside a repository`);
    return { kind: "file", path: text };
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(text)) {
    throw new InvalidHubReferenceError(reference, `"${text}" is neither a file name nor a quantization such as Q4_K_M`);
  }
  return { kind: "quant", quant: text };
}

/** Parses the `/resolve/<rev>/<path>`, `/blob/<rev>/<path>` or `/tree/<rev>` tail of a Hub URL. */
function parseUrlTail(repo: string, tail: string[], reference: string): HubReference {
  const [verb, revision, ...path] = tail;
  if ((verb !== "resolve" && verb !== "blob" && verb !== "tree") || revision === undefined) {
    throw new InvalidHubReferenceError(reference, "a Hub URL must look like https://huggingface.co/org/name/resolve/<revision>/<file>");
  }
  const decodedRevision = decodeURIComponent(revision);
  if (!isSafeRevision(decodedRevision)) throw new InvalidHubReferenceError(reference, `"${decodedRevision}" is not a revision`);
  const filePath = path.map((segment) => decodeURIComponent(segment)).join("/");
  return {
    kind: "hub",
    repo,
    revision: decodedRevision,
    ...(verb !== "tree" && filePath !== "" ? { selector: selectorFor(filePath, reference) } : {}),
  };
}

/**
 * Parses `org/name[:<file-or-quant>][@<revision>]` (also `@revision:file`, `hf.co/` prefixes and Hub URLs).
 * Throws InvalidHubReferenceError when it is not a Hub reference.
 */
export function parseHubReference(reference: string): HubReference {
  const text = reference.trim().replace(HOST_PREFIX, "").split("?")[0] ?? "";
  const head = /^([^/:@\s]+)\/([^/:@\s]+)/.exec(text);
  if (!head) throw new InvalidHubReferenceError(reference, "it does not start with org/name");
  const repo = `${head[1]}/${head[2]}`;
  if (!isValidRepoId(repo)) {
    throw new InvalidHubReferenceError(reference, `"${repo}" is not a valid repository id (letters, digits, '-', '_', '.'; no '--' or '..')`);
  }
  let rest = text.slice(head[0].length);
  if (rest.startsWith("/")) return parseUrlTail(repo, rest.slice(1).split("/"), reference);

  let selectorText: string | undefined;
  let revision: string | undefined;
  while (rest.length > 0) {
    const marker = rest[0];
    if (marker !== ":" && marker !== "@") throw new InvalidHubReferenceError(reference, `unexpected "${rest}" after ${repo}`);
    const next = rest.slice(1).search(marker === ":" ? /@/ : /:/);
    const value = next === -1 ? rest.slice(1) : rest.slice(1, next + 1);
    rest = next === -1 ? "" : rest.slice(next + 1);
    if (value === "") throw new InvalidHubReferenceError(reference, `nothing follows "${marker}"`);
    if (marker === ":" && selectorText === undefined) selectorText = value;
    else if (marker === "@" && revision === undefined) revision = value;
    else throw new InvalidHubReferenceError(reference, `unexpected "${marker}${value}"`);
  }
  if (revision !== undefined && !isSafeRevision(revision)) throw new InvalidHubReferenceError(reference, `"${revision}" is not a revision`);
  return {
    kind: "hub",
    repo,
    ...(selectorText !== undefined ? { selector: selectorFor(selectorText, reference) } : {}),
    ...(revision !== undefined ? { revision } : {}),
  };
}

/**
 * Reads what the user gave as a model: a local path (see looksLikeLocalPath) or a Hub reference. Text that is
 * neither a path that exists nor a Hub id is returned as a local path, so that the caller reports the missing file.
 */
export function parseModelReference(text: string, options: ParseReferenceOptions = {}): ModelReference {
  const { cwd = process.cwd() } = options;
  if (looksLikeLocalPath(text, { cwd })) return { kind: "local", path: expandLocalPath(text, cwd) };
  const stripped = text.trim().replace(HOST_PREFIX, "");
  if (!/^[^/:@\s]+\/[^/:@\s]+/.test(stripped)) return { kind: "local", path: expandLocalPath(text, cwd) };
  return parseHubReference(text);
}

/** True when `text` would be resolved through the Hub rather than read from disk. */
export function isHubReference(text: string, options: ParseReferenceOptions = {}): boolean {
  try {
    return parseModelReference(text, options).kind === "hub";
  } catch {
    return false;
  }
}

/** Formats a Hub reference back to `org/name[:selector][@revision]`. */
export function formatHubReference(reference: HubReference): string {
  const selector = reference.selector === undefined ? "" : `:${reference.selector.kind === "file" ? reference.selector.path : reference.selector.quant}`;
  return `${reference.repo}${selector}${reference.revision === undefined ? "" : `@${reference.revision}`}`;
}
