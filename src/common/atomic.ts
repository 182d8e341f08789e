// Atomic outputs: every writer writes to a temporary path beside the destination and renames it into place
// only when complete, so an interrupted or failed run leaves nothing at the destination.
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DiskFullError } from "./errors.js";

/** A temporary path in the same folder as `destination` (same filesystem, so rename is atomic). */
export function temporaryPathFor(destination: string): string {
  return join(dirname(destination), `.${basename(destination)}.dusk-${randomBytes(4).toString("hex")}.tmp`);
}

/** Creates the folder that will hold `destination` (as `-o new/folder/model.gguf` users expect). */
export async function ensureParentFolder(destination: string): Promise<void> {
  try {
    await mkdir(dirname(destination), { recursive: true });
  } catch (error) {
    throw translateWriteError(error, destination);
  }
}

/** Maps ENOSPC/EDQUOT to a DiskFullError naming the destination; other errors pass through. */
export function translateWriteError(error: unknown, destination: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return new DiskFullError(destination, { cause: error });
  return error;
}

/**
 * Runs `write` against a temporary path beside `destination`, then renames the result into place.
 * On any failure the temporary file or folder is removed and the destination is left untouched.
 */
export async function writeAtomically<T>(destination: string, write: (temporaryPath: string) => Promise<T>): Promise<T> {
  const temporary = temporaryPathFor(destination);
  await ensureParentFolder(destination);
  try {
    const result = await write(temporary);
    await rm(destination, { recursive: true, force: true });
    await rename(temporary, destination);
    return result;
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw translateWriteError(error, destination);
  }
}
