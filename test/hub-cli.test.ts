// `dusk pull` end to end against the local fake Hub: the table people read, the JSON programs read, --offline.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { register as registerPull } from "../src/cli/commands/pull.js";
import { FakeHub } from "./support/fake-hub.js";

const REPO = "test-org/cli-GGUF";
let hub: FakeHub;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dusk-hub-cli-"));
  hub = await FakeHub.start([{ id: REPO, files: [{ path: "README.md", bytes: Buffer.from("# cli\n") }, { path: "cli.Q4_K_M.gguf", bytes: randomBytes(300_000) }] }]);
});

afterAll(async () => {
  await hub.close();
  await rm(scratch, { recursive: true, force: true });
});

/** Runs `dusk pull ...args` in-process with HF_ENDPOINT at the fake Hub; returns what it printed on stdout. */
async function runPull(args: string[]): Promise<string> {
  const program = new Command("dusk").exitOverride();
  registerPull(program);
  const saved = { ...process.env };
  Object.assign(process.env, { HF_ENDPOINT: hub.endpoint, HF_HOME: join(scratch, "hf-home"), HF_TOKEN: "", HF_HUB_OFFLINE: "" });
  const printed: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0);
  try {
    await program.parseAsync(["node", "dusk", "pull", ...args]);
  } finally {
    spy.mockRestore();
    process.env = saved;
  }
  return printed.join("");
}

describe("dusk pull", () => {
  it("prints the pulled files and where they are, as a table and as JSON", async () => {
    const cacheDir = join(scratch, "cache");
    const table = await runPull([`${REPO}:Q4_K_M`, "--cache-dir", cacheDir, "--quiet"]);
    const commit = hub.commitOf(REPO);
    const pointer = join(cacheDir, `models--${REPO.replace("/", "--")}`, "snapshots", commit, "cli.Q4_K_M.gguf");
    expect(table).toContain(`${REPO}@main (commit ${commit.slice(0, 10)})`);
    expect(table).toMatch(/cli\.Q4_K_M\.gguf\s+300 kB\s+downloaded/);
    expect(table).toContain(`path:     ${pointer}`);

    const json = JSON.parse(await runPull([`${REPO}:Q4_K_M`, "--cache-dir", cacheDir, "--json"])) as { path: string; commit: string; files: { downloaded: boolean }[] };
    expect(json).toMatchObject({ path: pointer, commit, files: [{ downloaded: false }] });
    expect(hub.downloads()).toBe(1);

    const offline = JSON.parse(await runPull([`${REPO}:Q4_K_M`, "--cache-dir", cacheDir, "--json", "--offline"])) as { offline: boolean; path: string };
    expect(offline).toMatchObject({ offline: true, path: pointer });
  });
});
