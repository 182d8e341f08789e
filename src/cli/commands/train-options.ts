// What the `dusk train` subcommands share: number parsers for their options, the kernel backend choice, Ctrl-C
// handling (the first saves a checkpoint after the current step, the second quits) and where log lines go.
import { InvalidArgumentError } from "../../common/index.js";

/** A parser of an integer option of at least `min`. */
export const integer = (name: string, min: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer of at least ${min} for --${name} but got "${value}"`);
  return n;
};

/** A parser of a positive number option. */
export const positive = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number for --${name} but got "${value}"`);
  return n;
};

/** A parser of a number option of at least 0. */
export const nonNegative = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number of at least 0 for --${name} but got "${value}"`);
  return n;
};

/** A parser of a number option in [0, 1). */
export const fraction = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`expected a number in [0, 1) for --${name} but got "${value}"`);
  return n;
};

/** A parser of an option whose value is one of `choices`. */
export const oneOf = <T extends string>(name: string, choices: readonly T[]) => (value: string): T => {
  if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected --${name} to be one of ${choices.join(", ")} but got "${value}"`);
  return value as T;
};

/** The kernel backends `--backend` accepts. */
export const BACKENDS = ["native", "wasm"] as const;

/**
 * Runs `work` with Ctrl-C turned into an abort signal: the first press asks the run to save a checkpoint after the
 * current step, a second one quits at once.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write("\ninterrupted: saving a checkpoint after this step (Ctrl-C again to quit without saving)\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    return await work(controller.signal);
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** Log lines go to stdout, or to stderr when stdout carries JSON. */
export function logTo(json: boolean | undefined): (line: string) => void {
  return json ? (line) => void process.stderr.write(`${line}\n`) : (line) => void process.stdout.write(`${line}\n`);
}

/** Copies the options that were given (not undefined) under the same keys. */
export function given<O extends object, K extends keyof O>(o: O, keys: readonly K[]): Partial<Pick<O, K>> {
  return Object.fromEntries(keys.filter((key) => o[key] !== undefined).map((key) => [key, o[key]])) as Partial<Pick<O, K>>;
}
