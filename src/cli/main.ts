// The dusk command line: builds the program from one thin file per command and turns typed errors into
// one line plus a hint (no stack trace) and exit status 1.
import { Command, CommanderError } from "commander";
import { isDuskError } from "../common/index.js";
import { commands } from "./commands/index.js";
import { version } from "./version.js";

/** Builds the commander program with every command registered. */
export function buildProgram(): Command {
  const program = new Command("dusk")
    .description("Depth Up-Scaling Kit: the SOLAR 10.7B recipe as a tool (up-scale, train, run, evaluate, compare)")
    .version(version, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", "\nExamples:\n  npx dusk demo                      the whole recipe on a tiny model, offline\n  npx dusk inspect model.gguf        what a model file holds\n  npx dusk <command> --help          the options of one command\n");
  for (const register of commands) register(program);
  return program;
}

/** Prints an error the way users should see it and returns the exit status. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (isDuskError(error)) {
    process.stderr.write(`dusk: error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    if (process.env.DUSK_DEBUG && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`dusk: internal error: ${message}\n  hint: this is a bug in dusk; rerun with DUSK_DEBUG=1 for the stack trace and report it\n`);
  if (process.env.DUSK_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 1;
}

/** Runs the CLI on the given argv (defaults to process.argv). */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    return reportError(error);
  }
}

const isEntryPoint = process.argv[1] !== undefined && /[\\/](?:dusk(?:\.js)?|main\.js)$/.test(process.argv[1]);
if (isEntryPoint) {
  process.exitCode = await main();
}
