#!/usr/bin/env node
// Builds native/fastcopy (dusk_fastcopy.node) with node-gyp, tolerantly: without a compiler it prints a warning and
// exits 0, and dusk copies tensors through JavaScript instead (correct, about half as fast). `--strict` exits 1.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const strict = process.argv.includes("--strict");
const candidates = [
  process.env.npm_config_node_gyp,
  process.env.npm_execpath && path.resolve(path.dirname(process.env.npm_execpath), "../node_modules/node-gyp/bin/node-gyp.js"),
  path.resolve(path.dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
].filter((file) => typeof file === "string" && file.endsWith(".js") && existsSync(file));
const fail = (reason) => {
  console.warn(`dusk: the fast file copier was not built (${reason}); merges copy through JavaScript instead.`);
  process.exit(strict ? 1 : 0);
};
if (candidates.length === 0) fail("node-gyp was not found");
const args = [candidates[0], "rebuild", "--loglevel=warn", "--directory", dir];
const prefix = path.resolve(path.dirname(process.execPath), "..");
if (existsSync(path.join(prefix, "include", "node", "node_api.h"))) args.push(`--nodedir=${prefix}`);
const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
if (result.error) fail(result.error.message);
if (result.status !== 0) fail(`node-gyp exited with status ${result.status}`);
console.log(`dusk: built ${path.join(dir, "build", "Release", "dusk_fastcopy.node")}`);
