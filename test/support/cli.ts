// Running dusk's command line in-process for tests: the whole CLI through main() (exit status and both streams),
// or one command's register function alone (what it printed, and the error it threw, uncaught by main()).
import { Command } from "commander";
import { vi } from "vitest";
import { main } from "../../src/cli/main.js";

/** Runs `dusk <args>` through main(): its exit status and what it wrote to stdout and stderr. */
export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(["node", "dusk", ...args]), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Runs one command, registered alone on a fresh program: what it printed and what it threw. */
export async function runCommand(register: (program: Command) => void, ...args: string[]): Promise<{ stdout: string; error: unknown }> {
  const program = new Command("dusk").exitOverride();
  register(program);
  const writes: string[] = [];
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(["node", "dusk", ...args]);
    return { stdout: writes.join(""), error: undefined };
  } catch (error) {
    return { stdout: writes.join(""), error };
  } finally {
    stdout.mockRestore();
  }
}
