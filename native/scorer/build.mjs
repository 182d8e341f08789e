#!/usr/bin/env node
// Builds dusk's llama.cpp scorer (native/scorer/build/Release/dusk_scorer.node) against the llama.cpp release that
// node-llama-cpp ships: headers from its git bundle (node-llama-cpp/llama/gitRelease.bundle), libraries from its
// prebuilt CPU binaries. Never downloads anything. Tolerant: on any failure it prints a warning and exits 0, and
// dusk scores through node-llama-cpp instead (correct, slower); `--strict` makes a failure exit 1;
// DUSK_SKIP_SCORER=1 skips the build. Fast when nothing changed (a stamp of the inputs).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const scorerDir = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.join(scorerDir, "build");
const addonPath = path.join(buildDir, "Release", "dusk_scorer.node");
const stampPath = path.join(buildDir, "dusk-scorer-stamp.json");
const strict = process.argv.includes("--strict");
const force = process.argv.includes("--force");

function warn(reason) {
  console.warn(
    `dusk: the llama.cpp scorer was not built (${reason}); evaluation will score through node-llama-cpp (correct, about ` +
      "10x-100x slower).\n      To build it: install a C++ compiler and git (Debian/Ubuntu: apt-get install build-essential git), then run " +
      "`npm run build:scorer`.",
  );
  process.exit(strict ? 1 : 0);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
  if (result.error) warn(`${command} failed to start: ${result.error.message}`);
  if (result.status !== 0) warn(`${command} ${args.slice(0, 2).join(" ")} exited with status ${result.status}`);
  return result;
}

/** node-llama-cpp's package folder. */
function findNodeLlamaCpp() {
  try {
    let dir = path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
    while (!existsSync(path.join(dir, "package.json")) || JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).name !== "node-llama-cpp") {
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
    return dir;
  } catch {
    return undefined;
  }
}

/** The folder of node-llama-cpp's prebuilt CPU binaries for this platform (libllama, libggml*, the CPU backends). */
function findBinsDir(nodeLlamaCppDir) {
  const name = `${process.platform}-${process.arch}`;
  const packages = [path.join(nodeLlamaCppDir, "node_modules", "@node-llama-cpp", name), path.join(nodeLlamaCppDir, "..", "@node-llama-cpp", name)];
  return packages.map((dir) => path.join(dir, "bins", name)).find((dir) => existsSync(dir));
}

/** node-gyp's script: the one npm runs lifecycle scripts with, the one bundled with npm, or a local install. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) candidates.push(path.resolve(path.dirname(process.env.npm_execpath), "../node_modules/node-gyp/bin/node-gyp.js"));
  candidates.push(path.resolve(path.dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"));
  try {
    candidates.push(createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js"));
  } catch {
    // not installed locally
  }
  return candidates.find((file) => file.endsWith(".js") && existsSync(file));
}

/** Node.js headers already on this machine: `--nodedir` args for node-gyp, or undefined when it would download. */
function localNodeHeaders() {
  const prefix = path.resolve(path.dirname(process.execPath), "..");
  if (existsSync(path.join(prefix, "include", "node", "node_api.h"))) return [`--nodedir=${prefix}`];
  const cache = path.join(process.env.npm_config_devdir ?? path.join(homedir(), ".cache", "node-gyp"), process.versions.node);
  if (existsSync(path.join(cache, "include", "node", "node_api.h"))) return [];
  return undefined;
}

/** Extracts include/ and ggml/include/ of the bundled llama.cpp release into build/llama-headers/<tag>. */
function extractHeaders(nodeLlamaCppDir) {
  const info = JSON.parse(readFileSync(path.join(nodeLlamaCppDir, "llama", "llama.cpp.info.json"), "utf8"));
  const dest = path.join(buildDir, "llama-headers", String(info.tag).replace(/[^\w.-]/g, "_"));
  if (existsSync(path.join(dest, "include", "llama.h")) && existsSync(path.join(dest, "ggml", "include", "ggml.h"))) return dest;
  const bundle = path.join(nodeLlamaCppDir, "llama", "gitRelease.bundle");
  if (!existsSync(bundle)) warn(`node-llama-cpp's llama.cpp source bundle ${bundle} is missing`);
  const clone = path.join(buildDir, "llama-bundle.git");
  rmSync(clone, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  run("git", ["clone", "--bare", "--quiet", bundle, clone]);
  const tar = path.join(buildDir, "llama-headers.tar");
  run("git", ["--git-dir", clone, "archive", "--format=tar", "-o", tar, "HEAD", "include", "ggml/include"]);
  mkdirSync(dest, { recursive: true });
  run("tar", ["-xf", tar, "-C", dest]);
  rmSync(clone, { recursive: true, force: true });
  rmSync(tar, { force: true });
  if (!existsSync(path.join(dest, "include", "llama.h"))) warn("the bundle has no include/llama.h");
  return dest;
}

if (process.env.DUSK_SKIP_SCORER === "1") {
  console.warn("dusk: DUSK_SKIP_SCORER=1, not building the llama.cpp scorer");
  process.exit(0);
}
if (process.platform !== "linux") warn(`building it is supported on Linux only, this is ${process.platform}`);

const nodeLlamaCppDir = findNodeLlamaCpp();
if (nodeLlamaCppDir === undefined) warn("node-llama-cpp is not installed");
const binsDir = findBinsDir(nodeLlamaCppDir);
if (binsDir === undefined) warn(`node-llama-cpp's prebuilt binaries for ${process.platform}-${process.arch} are not installed`);
const libs = readdirSync(binsDir);
const llamaLib = libs.find((file) => /^libllama(\.v[\d.]+)?\.so$/.test(file));
const ggmlLib = libs.find((file) => /^libggml(\.v[\d.]+)?\.so$/.test(file));
const ggmlBaseLib = libs.find((file) => file === "libggml-base.so");
if (!llamaLib || !ggmlLib || !ggmlBaseLib) warn(`expected libllama, libggml and libggml-base in ${binsDir}`);

const sources = ["binding.gyp", "build.mjs", ...readdirSync(path.join(scorerDir, "src")).sort().map((file) => path.join("src", file))];
const hash = createHash("sha256");
for (const file of sources) hash.update(file).update(readFileSync(path.join(scorerDir, file)));
const stamp = JSON.stringify({ sources: hash.digest("hex"), binsDir, llamaLib, ggmlLib, node: process.versions.modules });
if (!force && existsSync(addonPath) && existsSync(stampPath) && readFileSync(stampPath, "utf8") === stamp) {
  console.log(`dusk: the llama.cpp scorer is up to date (${path.relative(process.cwd(), addonPath)})`);
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) warn("node-gyp was not found");
const headersArgs = localNodeHeaders();
if (headersArgs === undefined) warn("no local Node.js headers (node-gyp would download them)");
const headers = extractHeaders(nodeLlamaCppDir);

const defines = [
  `-Dllama_include=${path.join(headers, "include")}`,
  `-Dggml_include=${path.join(headers, "ggml", "include")}`,
  `-Dllama_lib_dir=${binsDir}`,
  `-Dllama_lib=${llamaLib}`,
  `-Dggml_lib=${ggmlLib}`,
  `-Dggml_base_lib=${ggmlBaseLib}`,
  `-Dllama_rpath_relative=${path.relative(path.join(buildDir, "Release"), binsDir)}`,
];
rmSync(stampPath, { force: true });
run(process.execPath, [nodeGyp, "configure", "--loglevel=warn", "--directory", scorerDir, ...headersArgs, "--", ...defines]);
run(process.execPath, [nodeGyp, "build", "--loglevel=warn", "--directory", scorerDir, ...headersArgs, "--jobs=2"]);
// Load it once in a child process: a missing shared library shows here, not in the middle of an evaluation.
const probe = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(addonPath)})`], { stdio: ["ignore", "inherit", "inherit"] });
if (probe.status !== 0) warn(`the built addon does not load (status ${probe.status})`);
writeFileSync(stampPath, stamp);
console.log(`dusk: built ${path.relative(process.cwd(), addonPath)}`);
