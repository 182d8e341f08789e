// Typed errors shared by every layer: each failure has its own subclass with a code, a message that says
// what was expected and what was found, and a hint for the user. The CLI prints them as one line plus the hint.

/** Options every dusk error accepts. */
export interface DuskErrorOptions {
  /** What the user can do about it; printed by the CLI under the message. */
  hint?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/** Base class of every error dusk throws on purpose. */
export class DuskError extends Error {
  /** A stable machine-readable code, e.g. `GGUF_BAD_MAGIC`. */
  readonly code: string;
  /** What the user can do about it. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, { hint, cause }: DuskErrorOptions = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
  }
}

/** A user-supplied argument, option or configuration value is not acceptable. */
export class InvalidArgumentError extends DuskError {
  constructor(message: string, options: DuskErrorOptions = {}) {
    super("INVALID_ARGUMENT", message, options);
  }
}

/** A file or folder the user named does not exist or cannot be read. */
export class FileNotFoundError extends DuskError {
  constructor(path: string, options: DuskErrorOptions = {}) {
    super("FILE_NOT_FOUND", `expected a file or folder at ${path} but found nothing there`, options);
  }
}

/** The disk filled up while writing an output. */
export class DiskFullError extends DuskError {
  constructor(path: string, options: DuskErrorOptions = {}) {
    super("DISK_FULL", `the disk is full: could not finish writing ${path}`, {
      hint: "free some space (or choose another output folder) and run the command again; nothing was left at the destination",
      ...options,
    });
  }
}

/** A source file that ended before the bytes its header promised (truncated, or changed while dusk read it). */
export class SourceTruncatedError extends DuskError {
  constructor(what: string, options: DuskErrorOptions = {}) {
    super("SOURCE_TRUNCATED", `expected the bytes of ${what} but the source file ended early`, {
      hint: "the file was truncated or changed while dusk read it; check it (dusk inspect) and run again; nothing was left at the destination",
      ...options,
    });
  }
}

/** True for errors dusk threw on purpose (as opposed to bugs). */
export function isDuskError(error: unknown): error is DuskError {
  return error instanceof DuskError;
}
