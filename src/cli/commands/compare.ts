// `dusk compare`: evaluated models beside each other and beside published scores, as a terminal table, Markdown,
// CSV, JSON or one self-contained HTML report with charts.
import type { Command } from "commander";
import { compare, REFERENCE_SET_NAMES, REPORT_FORMATS } from "../../report/index.js";

interface CompareFlags {
  reference?: string[];
  models?: string;
  baseline?: string;
  format?: string;
  json?: boolean;
  output?: string;
}

/** Adds `dusk compare` to the program. */
export function register(program: Command): void {
  program
    .command("compare")
    .description("compare evaluated models with each other and with published Open LLM Leaderboard v1 scores (H6)")
    .argument("[results...]", "results files of `dusk eval` or lm-evaluation-harness (v0.3, v0.4, leaderboard), or folders of results*.json")
    .option("--reference <set>", `add published scores (repeatable): ${REFERENCE_SET_NAMES.join(", ")}`, (value: string, previous: string[] = []) => [...previous, value])
    .option("--models <list>", "keep only these models: comma-separated, each matching names case-insensitively as a substring")
    .option("--baseline <model>", "add every model's difference from this one (exact name, else a unique substring)")
    .option("--format <format>", `${REPORT_FORMATS.join("|")}; defaults to the -o extension, else table`)
    .option("--json", "same as --format json")
    .option("-o, --output <file>", "write the report to this file (atomically) instead of printing it")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  dusk compare --reference solar-paper                                the SOLAR paper's table\n" +
        "  dusk compare results.json --reference solar-paper -o report.html    our model beside them, with charts\n" +
        "  dusk compare base.json dus.json trained.json --baseline base        what each step gained\n" +
        "  dusk compare out/ --reference solar-paper --models solar,mistral --format md\n",
    )
    .action(async (results: string[], flags: CompareFlags) => {
      const format = flags.json ? "json" : flags.format;
      const result = await compare({
        inputs: results,
        references: (flags.reference ?? []).flatMap((value) => value.split(",")).map((name) => name.trim()).filter((name) => name !== ""),
        models: flags.models?.split(",") ?? [],
        ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}),
        ...(format !== undefined ? { format } : {}),
        ...(flags.output !== undefined ? { output: flags.output } : {}),
      });
      if (result.output === undefined) process.stdout.write(result.text);
      else process.stdout.write(`wrote ${result.output} (${result.format}, ${result.comparison.rows.length} models)\n`);
    });
}
