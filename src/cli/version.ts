// The dusk version, read once from package.json.
import { readFileSync } from "node:fs";

const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** dusk's version as in package.json. */
export const version: string = packageJson.version;
