// `dusk upscale` and `dusk merge` through the built command line (bin/dusk.js → dist/): a success that prints the
// layer count, a dry run, JSON output, and errors that exit 1 with one error line and a hint, never a stack trace.
// dist/ is rebuilt first when a source file it depends on is newer (`npm test` builds before running the tests).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metadataNumber, openGguf } from "../src/formats/index.js";
import { makeTinyModel } from "../src/tiny/index.js";

const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));
const cliEntry = join(repo, "dist", "cli", "main.js");
const LAYERS_USED = ["common", "formats", "arch", "merge", "cli", "tiny", "recipe"];

let dir: string;
let model: string;
let wide: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], timeout = 60_000): Promise<CliResult> {
  return new Promise((done) => {
    execFile(command, args, { cwd: repo, timeout, env: { ...process.env, DUSK_DEBUG: "" } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

function dusk(...args: string[]): Promise<CliResult> {
  return run(process.execPath, [join(repo, "bin", "dusk.js"), ...args]);
}

/** Newest modification time of the non-test TypeScript files under the given src/ folders. */
async function newestSource(folders: readonly string[]): Promise<number> {
  let newest = 0;
  for (const folder of folders) {
    const entries = await readdir(join(repo, "src", folder), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".test.ts")) continue;
      newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return newest;
}

/** Asserts a clean failure: exit 1, "dusk: error: …" then "  hint: …", no stack trace. */
function expectCleanError(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^dusk: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines.at(-1)).toMatch(/^ {2}hint: \S/);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/internal error/);
}

beforeAll(async () => {
  const built = existsSync(cliEntry) ? (await stat(cliEntry)).mtimeMs : 0;
  if (built < (await newestSource(LAYERS_USED))) {
    // tsc exits non-zero on type errors elsewhere but still emits; what matters is that dist/ is fresh afterwards.
    await run(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], 240_000);
    expect((await stat(cliEntry)).mtimeMs, "dist/ was rebuilt").toBeGreaterThan(built);
  }
  dir = await mkdtemp(join(tmpdir(), "dusk-upscale-cli-"));
  model = join(dir, "tiny.gguf");
  wide = join(dir, "wide.gguf");
  await makeTinyModel({ output: model, layers: 32, type: "Q8_0", name: "tiny" });
  await makeTinyModel({ output: wide, layers: 32, hidden: 128, name: "wide" });
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("dusk upscale and dusk merge (built CLI)", () => {
  it("up-scales with --m 8 and prints 48 layers", async () => {
    const output = join(dir, "up.gguf");
    const result = await dusk("upscale", model, "--m", "8", "-o", output);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("48 layers");
    expect(result.stdout).toContain(output);
    const written = await openGguf(output);
    await written.close();
    expect(metadataNumber(written.metadata, "llama.block_count")).toBe(48);
  });

  it("prints the plan on --dry-run and writes nothing; prints JSON with --json", async () => {
    const dryOutput = join(dir, "dry.gguf");
    const [dry, json] = await Promise.all([
      dusk("upscale", model, "--layers", "0-16,8-24,16-32", "-o", dryOutput, "--dry-run"),
      dusk("upscale", model, "--m", "4", "-o", join(dir, "json.gguf"), "--json"),
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/blk\.16\.attn_q\.weight\s+←\s+\S+\s+blk\.8\.attn_q\.weight\s+Q8_0/);
    expect(dry.stdout).toMatch(/48 layers/);
    expect(dry.stdout).toMatch(/nothing was written/);
    expect(existsSync(dryOutput)).toBe(false);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { layers: number; layerMap: { layer: number }[]; written: { files: string[] } | null };
    expect(parsed.layers).toBe(56);
    expect(parsed.layerMap[28]?.layer).toBe(4);
    expect(parsed.written?.files).toEqual([join(dir, "json.gguf")]);
  });

  it("refuses bad arguments with exit 1, one error line and a hint, and writes nothing", async () => {
    const bad = join(dir, "bad.gguf");
    const slerp = join(dir, "slerp.yml");
    await writeFile(slerp, `slices:\n  - sources:\n      - model: ${model}\n        layer_range: [0, 8]\nmerge_method: slerp\n`);
    const cases: [string[], RegExp][] = [
      [["upscale", model, "--m", "32", "-o", bad], /between 1 and 31/],
      [["upscale", model, "--m", "2.5", "-o", bad], /integer/],
      [["upscale", join(dir, "nope.gguf"), "--m", "8", "-o", bad], /nope\.gguf/],
      [["upscale", model, "--m", "8", "--layers", "0-24,8-32", "-o", bad], /exactly one of --m/],
      [["upscale", model, "-o", bad], /exactly one of --m/],
      [["upscale", model, "--layers", "0-24;8-32", "-o", bad], /half-open ranges/],
      [["upscale", model, "--layers", "0-40", "-o", bad], /32 layers/],
      [["merge", slerp, "-o", bad], /passthrough.*"slerp"/],
    ];
    const results = await Promise.all(cases.map(([args]) => dusk(...args)));
    results.forEach((result, i) => expectCleanError(result, cases[i]![1]));
    expect(existsSync(bad)).toBe(false);
  });

  it("refuses mismatched donors with the table of differences and no stack trace", async () => {
    const config = join(dir, "mismatch.yml");
    await writeFile(config, `slices:\n  - sources:\n      - model: ${model}\n        layer_range: [0, 8]\n  - sources:\n      - model: ${wide}\n        layer_range: [8, 16]\nmerge_method: passthrough\n`);
    const result = await dusk("merge", config, "-o", join(dir, "bad.gguf"));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^dusk: error: /);
    expect(result.stderr).toMatch(/hidden size/);
    expect(result.stderr).toMatch(/hint: /);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(dir, "bad.gguf"))).toBe(false);
  });
});
