// Choosing files of a repository: `:Q4_K_M` (a quantization as a whole token of a GGUF name, every part of a
// split GGUF), `:exact/file.gguf`, `--include` globs (fnmatch, as huggingface-cli), and the default choice.
// Pure functions over a list of paths, so the same rules apply to the Hub's file list and to an offline snapshot.
import { AmbiguousSelectionError, HubNotFoundError, NoMatchingFilesError } from "./errors.js";
import type { FileSelector } from "./reference.js";

/** What to pick from a repository. */
export interface SelectionRequest {
  /** From the reference's `:<file-or-quant>`. */
  selector?: FileSelector;
  /** fnmatch globs (`*` crosses `/`, as huggingface-cli's --include); files matching any are added. */
  include?: readonly string[];
  /** Add config and tokenizer files beside selected safetensors files. Defaults to true. */
  companions?: boolean;
}

/** Files that make a folder of safetensors a usable checkpoint (matched on the file's base name). */
export const COMPANION_FILES: readonly string[] = [
  "config.json",
  "generation_config.json",
  "*.safetensors.index.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "tokenizer.model",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
  "chat_template.json",
  "chat_template.jinja",
];

/** The quantization picked when a repository holds several GGUF models and the reference names none (as llama.cpp -hf). */
export const DEFAULT_QUANTIZATION = "Q4_K_M";

/** llama.cpp gguf-split part names: `<base>-00001-of-00003.gguf`. */
const SPLIT_GGUF = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

/** Turns an fnmatch glob into a regular expression: `*` any run (including `/`), `?` one character, `[...]`/`[!...]` sets. */
export function globToRegExp(glob: string): RegExp {
  const pattern = glob.endsWith("/") ? `${glob}*` : glob;
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? "";
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else if (char === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) {
        source += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith("!")) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\/g, "\\\\")}]`;
      i = close;
    } else source += char.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

/** True when `path` matches the fnmatch glob. */
export function matchesGlob(path: string, glob: string): boolean {
  return globToRegExp(glob).test(path);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function dirName(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

/**
 * True when `path` carries `quant` as a whole token, case-insensitively: the character before is not a letter or digit
 * and the character after is not a letter, digit or `_`. So Q4_K_M matches `x.Q4_K_M.gguf` and `x-Q4_K_M-00001-of-00002.gguf`
 * but not `x-Q4_K_M_L.gguf`, `x-IQ4_K_M.gguf` or (for Q4_K) `x-Q4_K_M.gguf`.
 */
export function hasQuantization(path: string, quant: string): boolean {
  const haystack = path.toLowerCase();
  const needle = quant.toLowerCase();
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    const before = haystack[at - 1];
    const after = haystack[at + needle.length];
    if ((before === undefined || !/[a-z0-9]/.test(before)) && (after === undefined || !/[a-z0-9_]/.test(after))) return true;
  }
  return false;
}

/** The split of a gguf-split part name, or undefined for a whole file. */
export function splitPart(path: string): { base: string; index: number; count: number } | undefined {
  const match = SPLIT_GGUF.exec(path);
  if (!match) return undefined;
  return { base: match[1] ?? "", index: Number(match[2]), count: Number(match[3]) };
}

/** True for GGUF model files (not vision projectors, which repositories ship beside the model). */
export function isModelGguf(path: string): boolean {
  return path.toLowerCase().endsWith(".gguf") && !baseName(path).toLowerCase().startsWith("mmproj");
}

/** Groups GGUF paths into models: a whole file is its own group, split parts share one (keyed by base name). */
export function ggufModels(paths: readonly string[]): Map<string, string[]> {
  const models = new Map<string, string[]>();
  for (const path of paths) {
    const key = splitPart(path)?.base ?? path;
    models.set(key, [...(models.get(key) ?? []), path]);
  }
  for (const parts of models.values()) parts.sort();
  return models;
}

/** Quantization tokens found in GGUF names (for messages such as "available: Q2_K, Q4_K_M"). */
export function listQuantizations(paths: readonly string[]): string[] {
  const found = new Set<string>();
  const token = /(?<![A-Za-z0-9])(I?Q\d(?:_[A-Za-z0-9]+)*|TQ\d_\d|B?F16|F32|MXFP4(?:_MOE)?)(?![A-Za-z0-9])/gi;
  for (const path of paths.filter(isModelGguf)) {
    for (const match of baseName(path).replace(/-\d{5}-of-\d{5}\.gguf$/i, "").matchAll(token)) found.add((match[1] ?? "").toUpperCase());
  }
  return [...found].sort();
}

/** Levenshtein distance, for suggesting close file names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Up to `count` candidates closest to `target` (case-insensitive edit distance; substrings first). */
export function closeMatches(target: string, candidates: readonly string[], count = 3): string[] {
  const wanted = target.toLowerCase();
  return candidates
    .map((candidate) => {
      const lower = candidate.toLowerCase();
      const contains = lower.includes(wanted) || wanted.includes(baseName(lower));
      return { candidate, score: contains ? -1 : Math.min(editDistance(wanted, lower), editDistance(baseName(wanted), baseName(lower))) };
    })
    .filter(({ score }) => score <= Math.max(3, Math.floor(wanted.length / 2)))
    .sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate))
    .slice(0, count)
    .map(({ candidate }) => candidate);
}

/** Checks that every part of a split model is listed; throws naming the first missing part. */
function requireAllParts(repo: string, parts: readonly string[]): void {
  const first = splitPart(parts[0] ?? "");
  if (!first) return;
  const width = 5;
  for (let index = 1; index <= first.count; index++) {
    const name = `${first.base}-${String(index).padStart(width, "0")}-of-${String(first.count).padStart(width, "0")}.gguf`;
    if (!parts.some((part) => part.toLowerCase() === name.toLowerCase())) throw new HubNotFoundError("file", `${repo}:${name} (part ${index} of a split GGUF)`);
  }
}

function pickFile(repo: string, paths: readonly string[], wanted: string): string[] {
  const exact =
    paths.find((path) => path === wanted) ??
    paths.find((path) => path.toLowerCase() === wanted.toLowerCase()) ??
    (() => {
      const byName = paths.filter((path) => baseName(path) === wanted);
      return byName.length === 1 ? byName[0] : undefined;
    })();
  if (exact === undefined) throw new HubNotFoundError("file", `${repo}:${wanted}`, closeMatches(wanted, paths));
  const split = splitPart(exact);
  if (!split) return [exact];
  const parts = ggufModels(paths).get(split.base) ?? [exact];
  requireAllParts(repo, parts);
  return parts;
}

/** One line per model for messages: the file name, or `<base>-*.gguf (N parts)` for a split model. */
function describeModels(models: Map<string, string[]>): string[] {
  return [...models].map(([key, parts]) => (parts.length === 1 && splitPart(parts[0] ?? "") === undefined ? (parts[0] ?? key) : `${key}-*.gguf (${parts.length} parts)`));
}

function pickModel(repo: string, models: Map<string, string[]>, wanted: string, available: readonly string[]): string[] {
  const [first, ...others] = [...models.values()];
  if (first === undefined) throw new NoMatchingFilesError(repo, wanted, available);
  if (others.length > 0) throw new AmbiguousSelectionError(repo, wanted, describeModels(models));
  requireAllParts(repo, first);
  return first;
}

function pickQuantization(repo: string, paths: readonly string[], quant: string): string[] {
  const ggufs = paths.filter(isModelGguf);
  const models = ggufModels(ggufs.filter((path) => hasQuantization(path, quant)));
  const quants = listQuantizations(ggufs);
  return pickModel(repo, models, `quantization ${quant}`, quants.length > 0 ? quants : ggufs);
}

function pickDefault(repo: string, paths: readonly string[]): string[] {
  const ggufs = paths.filter(isModelGguf);
  if (ggufs.length > 0) {
    const models = ggufModels(ggufs);
    if (models.size === 1) return pickModel(repo, models, "a GGUF model", ggufs);
    const preferred = ggufModels(ggufs.filter((path) => hasQuantization(path, DEFAULT_QUANTIZATION)));
    if (preferred.size === 1) return pickModel(repo, preferred, DEFAULT_QUANTIZATION, ggufs);
    throw new AmbiguousSelectionError(repo, `one GGUF model (available quantizations: ${listQuantizations(ggufs).join(", ") || "none named"})`, describeModels(models));
  }
  const safetensors = paths.filter((path) => path.endsWith(".safetensors"));
  if (safetensors.length > 0) return safetensors;
  throw new NoMatchingFilesError(repo, "a GGUF or safetensors model", paths);
}

/**
 * Picks the files of a repository (given as its list of paths) that a request asks for. With no selector and no
 * include: the only GGUF model (or the Q4_K_M one among several), else every safetensors file. Safetensors picks
 * bring their folder's config and tokenizer files unless `companions` is false. Returns sorted paths.
 */
export function selectFiles(repo: string, paths: readonly string[], request: SelectionRequest = {}): string[] {
  const { selector, include = [], companions = true } = request;
  const chosen = new Set<string>();
  if (selector?.kind === "file") pickFile(repo, paths, selector.path).forEach((path) => chosen.add(path));
  else if (selector?.kind === "quant") pickQuantization(repo, paths, selector.quant).forEach((path) => chosen.add(path));
  if (include.length > 0) {
    const patterns = include.map(globToRegExp);
    const matched = paths.filter((path) => patterns.some((pattern) => pattern.test(path)));
    if (matched.length === 0) throw new NoMatchingFilesError(repo, `--include ${include.map((glob) => `'${glob}'`).join(" ")}`, paths);
    matched.forEach((path) => chosen.add(path));
  }
  if (selector === undefined && include.length === 0) pickDefault(repo, paths).forEach((path) => chosen.add(path));
  if (companions) {
    const folders = new Set([...chosen].filter((path) => path.endsWith(".safetensors")).map(dirName));
    const wanted = COMPANION_FILES.map(globToRegExp);
    for (const path of paths) {
      if (folders.has(dirName(path)) && wanted.some((pattern) => pattern.test(baseName(path)))) chosen.add(path);
    }
  }
  return [...chosen].sort();
}
