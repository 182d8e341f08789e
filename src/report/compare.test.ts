// compare() end to end on files (format from the -o extension, atomic writes, folders, merging, errors) and the
// thin `dusk compare` command on top of it.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { register } from "../cli/commands/compare.js";
import { FileNotFoundError, InvalidArgumentError } from "../common/index.js";
import { compare, resolveFormat } from "./compare.js";
import { ResultsFormatError } from "./errors.js";
import { paramsFromName } from "./inputs.js";

const fixtures = join(import.meta.dirname, "fixtures");
const fixture = (name: string): string => join(fixtures, name);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-compare-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("resolveFormat", () => {
  it("takes --format first, else the -o extension, else the table", () => {
    expect(resolveFormat({})).toBe("table");
    expect(resolveFormat({ output: "r.HTML" })).toBe("html");
    expect(resolveFormat({ output: "r.md" })).toBe("md");
    expect(resolveFormat({ output: "r.txt" })).toBe("table");
    expect(resolveFormat({ format: "csv", output: "r.md" })).toBe("csv");
    expect(resolveFormat({ format: "markdown" })).toBe("md");
    expect(() => resolveFormat({ format: "pdf" })).toThrow(/expected --format to be one of table, md, csv, json, html but found "pdf"/);
    expect(() => resolveFormat({ output: "report.pdf" })).toThrow(InvalidArgumentError);
  });
});

describe("compare", () => {
  it("writes the format the extension names, atomically (no temporary file left), and returns the same text", async () => {
    const output = join(dir, "nested", "report.md");
    const result = await compare({ inputs: [fixture("dusk-tiny-dus.json")], references: ["solar-paper"], output });
    expect(result.format).toBe("md");
    expect(await readFile(output, "utf8")).toBe(result.text);
    expect(result.text).toContain("| tiny-dus-12M \\[limit 50\\] | ours | ~12.0M | 26.00±6.27 |");
    expect(await readdir(join(dir, "nested"))).toEqual(["report.md"]);
    expect(result.comparison.rows).toHaveLength(16);
  });

  it("inlines Chart.js with its license header into the HTML", async () => {
    const result = await compare({ references: ["solar-paper"], models: ["solar"], output: join(dir, "r.html") });
    expect(result.format).toBe("html");
    expect(result.text).toMatch(/<script>\n\/\*!\n \* Chart\.js v4[\s\S]*Released under the MIT License\n \*\//);
    expect(result.comparison.rows.map((row) => row.name)).toEqual(["upstage/SOLAR-10.7B-Instruct-v1.0", "upstage/SOLAR-10.7B-v1.0"]);
  });

  it("merges per-task files of one model and fills its size from the reference set", async () => {
    const result = await compare({ inputs: [fixture("lm-eval-v03-arc.json"), fixture("lm-eval-v03-mmlu.json")], format: "json" });
    expect(result.comparison.rows).toHaveLength(1);
    const row = result.comparison.rows[0];
    expect(row?.name).toBe("mistralai/Mistral-7B-v0.1");
    expect(Object.keys(row?.scores ?? {})).toEqual(["arc_challenge", "mmlu"]);
    expect(row).toMatchObject({ params: 7.2e9, paramsSource: "reference" });
    expect(row?.h6).toBeUndefined();
  });

  it("reads folders of results*.json as lm-evaluation-harness writes them", async () => {
    const folder = join(dir, "harness-out", "meta-llama__Llama-2-7b-hf");
    await mkdir(folder, { recursive: true });
    await copyFile(fixture("lm-eval-v04-llama.json"), join(folder, "results_2024-05-01T10-00-00.json"));
    await writeFile(join(folder, "samples_arc.jsonl"), "{}\n");
    const result = await compare({ inputs: [join(dir, "harness-out")], format: "csv" });
    expect(result.text.split("\n")[1]).toMatch(/^1,meta-llama\/Llama-2-7b-hf,ours,6738415616,/);
  });

  it("computes the differences from a baseline (base → up-scaled)", async () => {
    const result = await compare({ inputs: [fixture("dusk-tiny-base.json"), fixture("dusk-tiny-dus.json")], baseline: "tiny-base" });
    const dus = result.comparison.rows.find((row) => row.name === "tiny-dus-12M");
    expect(dus?.delta?.arc_challenge).toBeCloseTo(2, 10);
    expect(dus?.delta?.h6).toBeCloseTo(((0.26 + 0.28 + 0.2351 + 0.4592 + 0.52 + 0.02) - (0.24 + 0.26 + 0.2298 + 0.471 + 0.5 + 0)) / 6 * 100, 10);
  });

  it("fails with typed errors: nothing to compare, a missing file, a file that is not JSON", async () => {
    await expect(compare({})).rejects.toThrow(/expected results files or --reference but found neither/);
    await expect(compare({ inputs: [join(dir, "absent.json")] })).rejects.toThrow(FileNotFoundError);
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{ not json");
    await expect(compare({ inputs: [bad] })).rejects.toThrow(ResultsFormatError);
    const empty = join(dir, "empty");
    await mkdir(empty, { recursive: true });
    await expect(compare({ inputs: [empty] })).rejects.toThrow(/expected results\*\.json files in this folder but found none/);
  });

  it("guesses sizes from names only where they are plain sizes", () => {
    expect(paramsFromName("Llama-2-7b-hf")).toBe(7e9);
    expect(paramsFromName("tiny-dus-12M")).toBe(12e6);
    expect(paramsFromName("SOLAR-10.7B-v1.0")).toBeCloseTo(10.7e9, 0);
    expect(paramsFromName("Mixtral-8x7B-v0.1")).toBeUndefined();
    expect(paramsFromName("gpt2-medium")).toBeUndefined();
  });
});

describe("dusk compare (the command)", () => {
  async function run(args: string[]): Promise<string> {
    const program = new Command("dusk").exitOverride();
    register(program);
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      await program.parseAsync(["compare", ...args], { from: "user" });
      return write.mock.calls.map((call) => String(call[0])).join("");
    } finally {
      write.mockRestore();
    }
  }

  it("prints the table, or writes a file and says so", async () => {
    const table = await run([fixture("dusk-tiny-dus.json"), "--reference", "solar-paper", "--models", "tiny,Instruct-v1.0", "--baseline", "SOLAR-10.7B-Instruct"]);
    expect(table).toMatch(/^# {2}Model\s+Type/);
    expect(table).toMatch(/1 {2}upstage\/SOLAR-10\.7B-Instruct-v1\.0\s+alignment-tuned\s+10\.7B\s+71\.08\*/);
    expect(table).toContain("Difference from upstage/SOLAR-10.7B-Instruct-v1.0");
    const output = join(dir, "cli.csv");
    expect(await run([fixture("dusk-tiny-dus.json"), "-o", output])).toBe(`wrote ${output} (csv, 1 models)\n`);
    expect((await readFile(output, "utf8")).split("\n")[0]).toMatch(/^rank,model,/);
    expect((JSON.parse(await run(["--reference", "solar-paper", "--json"])) as { rows: unknown[] }).rows).toHaveLength(15);
  });

  it("passes typed errors up for the CLI to print", async () => {
    await expect(run(["--reference", "solar-paper", "--models", "gpt-5"])).rejects.toThrow(/expected --models item "gpt-5" to match a model/);
  });
});
