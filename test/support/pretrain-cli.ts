// Runs the dusk CLI from source (for tests that need a child process, e.g. sending SIGINT): vite-node this file
// with the CLI's arguments after `--`.
import { main } from "../../src/cli/main.js";

const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--"));
process.exitCode = await main(["node", "dusk", ...args]);
