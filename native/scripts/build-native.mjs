#!/usr/bin/env node
// Builds dusk's native engine backend (native/build/Release/dusk_native.node) with node-gyp, tolerantly: when there
// is no compiler or no BLAS, it prints a warning and exits 0 so that `npm ci` still succeeds and the engine falls back
// to WebAssembly. `--strict` (for CI) makes a failed build exit 1; DUSK_SKIP_NATIVE=1 skips the build.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const nativeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const strict = process.argv.includes("--strict");

/** node-gyp's script: the one npm runs lifecycle scripts with, the one bundled with npm, or a local install. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    candidates.push(path.resolve(path.dirname(process.env.npm_execpath), "../node_modules/node-gyp/bin/node-gyp.js"));
  }
  candidates.push(path.resolve(path.dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"));
  try {
    candidates.push(createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js"));
  } catch {
    // not installed locally
  }
  return candidates.find((file) => file.endsWith(".js") && existsSync(file));
}

function warn(reason) {
  const message =
    `dusk: the native engine backend was not built (${reason}); training will use the WebAssembly backend.\n` +
    "      For the faster native backend install a C compiler and a BLAS (Debian/Ubuntu: apt-get install build-essential " +
    "libopenblas-dev; macOS: xcode-select --install), then run `npm run build:native`.";
  console.warn(message);
  process.exit(strict ? 1 : 0);
}

if (process.env.DUSK_SKIP_NATIVE === "1") {
  console.warn("dusk: DUSK_SKIP_NATIVE=1, not building the native engine backend");
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) warn("node-gyp was not found");

const args = [nodeGyp, "rebuild", "--directory", nativeDir];
// Use the headers installed beside this Node.js (e.g. /usr/include/node) so that no download is needed.
const prefix = path.resolve(path.dirname(process.execPath), "..");
if (existsSync(path.join(prefix, "include", "node", "node_api.h"))) args.push(`--nodedir=${prefix}`);

const result = spawnSync(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
if (result.error) warn(result.error.message);
if (result.status !== 0) warn(`node-gyp exited with status ${result.status}`);
console.log(`dusk: built ${path.join(nativeDir, "build", "Release", "dusk_native.node")}`);
