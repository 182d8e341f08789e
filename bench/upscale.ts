// Benchmark (not a test): depth up-scaling of a ~2 GB model against `cp` of a file of the output's size on the same
// disk, in the same run. Generates a 32-layer F16 Llama-shaped GGUF of random bytes (streamed, never in memory),
// warms the page cache with one `cp` of it, runs one warm-up up-scale, then alternates `cp` and the up-scale
// (m = 8, in a child process: the built library's `upscale()`, so that its peak RSS is its own) and prints medians,
// throughputs, their ratio (goal ≥ 0.9) and peak RSS. Every run starts after a `sync` and is timed three ways: the
// up-scale call alone (timed inside the child), the whole process (Node start and imports included), and the
// process plus an fsync of its output (`sync FILE`).
//
// Run: npx tsc -p tsconfig.build.json && npx vite-node bench/upscale.ts [--gb 2] [--runs 3] [--keep]
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, stat, statfs } from "node:fs/promises";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatBytes } from "../src/common/index.js";
import { randomModelConfig, writeRandomModel, type RandomModelOptions } from "../test/support/random-model.js";

const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));
const library = pathToFileURL(join(repo, "dist", "merge", "index.js")).href;

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

/** One timed run. */
interface Run {
  /** Seconds of the work itself (the up-scale call inside the child; for cp, the whole process). */
  readonly work: number;
  /** Seconds of the whole process. */
  readonly process: number;
  /** Seconds of the process plus `sync FILE` of its output. */
  readonly durable: number;
  /** Peak resident memory of the process, in bytes (0 when not measured). */
  readonly maxRss: number;
}

function exec(command: string, args: readonly string[]): Promise<string> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd: repo, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${command} ${args.join(" ")} failed: ${stderr || error.message}`));
      else done(stdout);
    });
  });
}

/** Runs `cp` and reports its time. */
async function runCp(from: string, to: string): Promise<Run> {
  await rm(to, { force: true });
  await exec("sync", []); // no dirty pages from the previous run: neither pays for the other's writeback
  const start = performance.now();
  await exec("cp", [from, to]);
  const seconds = (performance.now() - start) / 1000;
  await exec("sync", [to]);
  return { work: seconds, process: seconds, durable: (performance.now() - start) / 1000, maxRss: 0 };
}

/** Runs the up-scale in a child process that times the library call and reports its own peak RSS. */
async function runUpscale(model: string, output: string): Promise<Run> {
  await rm(output, { force: true });
  await exec("sync", []);
  const code = `
    const { upscale } = await import(${JSON.stringify(library)});
    const start = performance.now();
    await upscale({ model: ${JSON.stringify(model)}, m: 8, output: ${JSON.stringify(output)}, progress: false });
    const seconds = (performance.now() - start) / 1000;
    process.stdout.write(JSON.stringify({ seconds, maxRss: process.resourceUsage().maxRSS * 1024 }));`;
  const start = performance.now();
  const reply = JSON.parse(await exec(process.execPath, ["--input-type=module", "-e", code])) as { seconds: number; maxRss: number };
  const seconds = (performance.now() - start) / 1000;
  await exec("sync", [output]);
  return { work: reply.seconds, process: seconds, durable: (performance.now() - start) / 1000, maxRss: reply.maxRss };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A 32-layer F16 model of about `gigabytes` GB: hidden 1536, 12 heads, 4 KV heads, FFN sized to fit. */
function modelOptions(output: string, gigabytes: number): RandomModelOptions {
  const hidden = 1536;
  const heads = 12;
  const kvHeads = 4;
  const attention = 2 * hidden * hidden + 2 * hidden * (hidden / heads) * kvHeads;
  const perLayerElements = (gigabytes * 1e9) / 2 / 32;
  const ffn = Math.max(256, Math.round((perLayerElements - attention) / (3 * hidden) / 256) * 256);
  return { output, type: "F16", layers: 32, hidden, heads, kvHeads, ffn, name: "bench-f16" };
}

async function main(): Promise<void> {
  const gigabytes = Number(argument("gb", "2"));
  const runs = Number(argument("runs", "3"));
  const keep = process.argv.includes("--keep");
  if (!existsSync(fileURLToPath(library))) throw new Error("dist/ is missing: run `npx tsc -p tsconfig.build.json` first");
  const folder = join(repo, "bench", "out", `upscale-${process.pid}`);
  await mkdir(folder, { recursive: true });
  const disk = await statfs(folder);
  const free = disk.bavail * disk.bsize;
  const needed = gigabytes * 1e9 * (1 + 3 * 1.5) * 1.1;
  if (free < needed) throw new Error(`expected ${formatBytes(needed)} free on the disk of ${folder} but found ${formatBytes(free)}`);
  const sourcePath = join(folder, "source.gguf");
  const outputPath = join(folder, "upscaled.gguf");
  const cpSource = join(folder, "cp-source.gguf");
  const cpOutput = join(folder, "cp-copy.gguf");
  try {
    const options = modelOptions(sourcePath, gigabytes);
    const config = randomModelConfig(options);
    let start = performance.now();
    await writeRandomModel(options);
    const sourceBytes = (await stat(sourcePath)).size;
    console.log(`model: 32 layers F16, hidden ${config.hidden}, ffn ${config.ffn}, heads ${config.heads}/${config.kvHeads}: ${formatBytes(sourceBytes)} written in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    console.log(`disk: ${formatBytes(free)} free at start; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);

    start = performance.now();
    await exec("cp", [sourcePath, cpOutput]);
    console.log(`warm-up cp of the source: ${((performance.now() - start) / 1000).toFixed(2)} s`);
    await rm(cpOutput, { force: true });
    const warm = await runUpscale(sourcePath, outputPath);
    const outputBytes = (await stat(outputPath)).size;
    console.log(`warm-up upscale: ${warm.work.toFixed(2)} s → ${formatBytes(outputBytes)} (48 layers)`);
    // The file cp copies: one of exactly the output's size, on the same disk.
    await exec("mv", [outputPath, cpSource]);

    const cpRuns: Run[] = [];
    const duskRuns: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const c = await runCp(cpSource, cpOutput);
      const d = await runUpscale(sourcePath, outputPath);
      cpRuns.push(c);
      duskRuns.push(d);
      console.log(`run ${i + 1}: cp ${c.process.toFixed(2)} s (+fsync ${c.durable.toFixed(2)} s) | upscale call ${d.work.toFixed(2)} s, process ${d.process.toFixed(2)} s (+fsync ${d.durable.toFixed(2)} s), peak RSS ${formatBytes(d.maxRss)}`);
    }
    const mbps = (seconds: number): string => `${(outputBytes / 1e6 / seconds).toFixed(0)} MB/s`;
    const compare = (label: string, dusk: number, cp: number): void => {
      console.log(`${label.padEnd(36)} dusk ${mbps(dusk).padStart(10)} (${dusk.toFixed(2)} s)   cp ${mbps(cp).padStart(10)} (${cp.toFixed(2)} s)   ratio ${(cp / dusk).toFixed(2)} (goal ≥ 0.9)`);
    };
    console.log(`medians of ${runs} runs, ${formatBytes(outputBytes)} written each:`);
    compare("up-scale call vs cp", median(duskRuns.map((r) => r.work)), median(cpRuns.map((r) => r.process)));
    compare("whole process (Node start) vs cp", median(duskRuns.map((r) => r.process)), median(cpRuns.map((r) => r.process)));
    compare("process + fsync vs cp + fsync", median(duskRuns.map((r) => r.durable)), median(cpRuns.map((r) => r.durable)));
    console.log(`peak RSS of the up-scale process: ${formatBytes(Math.max(...duskRuns.map((r) => r.maxRss)))} (max of ${runs}, from process.resourceUsage() in the child)`);
  } finally {
    if (!keep) await rm(folder, { recursive: true, force: true });
  }
}

await main();
