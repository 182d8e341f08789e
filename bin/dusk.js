#!/usr/bin/env node
// The dusk command: runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` runs through `prepare`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("dusk: dist/ is missing. Run `npm run build` (npm ci does it through `prepare`).\n");
  process.exit(1);
}
await import(main.href);
