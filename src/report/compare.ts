// The `dusk compare` entry point of the library: read results files and reference sets, build the comparison,
// render it in the asked format and write it atomically when an output path is given.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, extname } from "node:path";
import { InvalidArgumentError, writeAtomically } from "../common/index.js";
import { buildComparison } from "./comparison.js";
import { expandInputs, fillParams, mergeRows, readResultsFile } from "./inputs.js";
import type { Comparison, ModelRow } from "./model.js";
import { loadReferenceSet, REFERENCE_SET_NAMES, type ReferenceSet } from "./reference.js";
import { loadChartJs, renderHtml } from "./render-html.js";
import { renderCsv, renderJson, renderMarkdown, renderTable } from "./render-text.js";

/** The formats `dusk compare` renders. */
export const REPORT_FORMATS = ["table", "md", "csv", "json", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const EXTENSION_FORMATS: Readonly<Record<string, ReportFormat>> = {
  ".txt": "table", ".md": "md", ".markdown": "md", ".csv": "csv", ".json": "json", ".html": "html", ".htm": "html",
};

/**
 * The format to render: `format` when given, else the one `output`'s extension names, else the terminal table.
 * @throws InvalidArgumentError for an unknown format, or an output extension that names none.
 */
export function resolveFormat({ format, output }: { format?: string; output?: string }): ReportFormat {
  if (format !== undefined) {
    const wanted = format === "markdown" ? "md" : format;
    if ((REPORT_FORMATS as readonly string[]).includes(wanted)) return wanted as ReportFormat;
    throw new InvalidArgumentError(`expected --format to be one of ${REPORT_FORMATS.join(", ")} but found "${format}"`);
  }
  if (output === undefined) return "table";
  const byExtension = EXTENSION_FORMATS[extname(output).toLowerCase()];
  if (byExtension) return byExtension;
  throw new InvalidArgumentError(`expected -o to end in one of ${Object.keys(EXTENSION_FORMATS).join(", ")} but found "${output}"`, {
    hint: "or name the format with --format table|md|csv|json|html",
  });
}

/** Renders a comparison in one format (HTML reads Chart.js from the installed package). */
export async function renderComparison(comparison: Comparison, format: ReportFormat): Promise<string> {
  switch (format) {
    case "table": return renderTable(comparison);
    case "md": return renderMarkdown(comparison);
    case "csv": return renderCsv(comparison);
    case "json": return renderJson(comparison);
    case "html": return renderHtml(comparison, { chartScript: await loadChartJs() });
  }
}

/** Options of {@link compare}. */
export interface CompareOptions {
  /** Results files (dusk eval, lm-evaluation-harness) or folders of results*.json files. Defaults to none. */
  inputs?: readonly string[];
  /** Shipped reference sets to add, by name ({@link REFERENCE_SET_NAMES}: "solar-paper"). Defaults to none. */
  references?: readonly string[];
  /** Keep only models whose name contains one of these, case-insensitively. Defaults to every model. */
  models?: readonly string[];
  /** Show every model's difference from this one (exact name, else a unique substring). Defaults to none. */
  baseline?: string;
  /** Output format. Defaults to the `output` extension's format, else "table". */
  format?: string;
  /** Write the report here (atomically) instead of returning it only. Defaults to not writing. */
  output?: string;
}

/** What {@link compare} produced. */
export interface CompareResult {
  comparison: Comparison;
  format: ReportFormat;
  /** The rendered report. */
  text: string;
  /** The path written, when `output` was given. */
  output?: string;
}

/**
 * Compares models: reads the results files and the reference sets, builds the comparison (filter, H6, sort, best,
 * baseline) and renders it; writes it atomically to `output` when given.
 * @throws InvalidArgumentError when there is nothing to compare or an option is wrong; the errors of the parts.
 */
export async function compare({ inputs = [], references = [], models = [], baseline, format, output }: CompareOptions = {}): Promise<CompareResult> {
  const resolvedFormat = resolveFormat({ ...(format !== undefined ? { format } : {}), ...(output !== undefined ? { output } : {}) });
  if (inputs.length === 0 && references.length === 0) {
    throw new InvalidArgumentError("expected results files or --reference but found neither", {
      hint: `e.g. dusk compare results.json --reference ${REFERENCE_SET_NAMES[0] ?? "solar-paper"}`,
    });
  }
  const sets: ReferenceSet[] = [...new Set(references)].map((name) => loadReferenceSet(name));
  const measured: ModelRow[] = [];
  for (const file of await expandInputs(inputs)) measured.push(await readResultsFile(file));
  const known = REFERENCE_SET_NAMES.flatMap((name) => loadReferenceSet(name).rows);
  const rows = [...fillParams(mergeRows(measured), known), ...sets.flatMap((set) => set.rows)];
  const comparison: Comparison = {
    ...buildComparison(rows, { models, ...(baseline !== undefined ? { baseline } : {}) }),
    references: sets.map(({ name, description, sources }) => ({ name, description, sources })),
  };
  const text = await renderComparison(comparison, resolvedFormat);
  if (output === undefined) return { comparison, format: resolvedFormat, text };
  await mkdir(dirname(output), { recursive: true });
  await writeAtomically(output, (temporary) => writeFile(temporary, text, "utf8"));
  return { comparison, format: resolvedFormat, text, output };
}
