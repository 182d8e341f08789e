// Downloading one blob into the cache: bytes go to `blobs/<etag>.incomplete`, a broken connection resumes with
// `Range: bytes=N-` (a server that ignores Range and answers 200 restarts the file), and only a file whose size
// and checksum (LFS sha256, or git blob sha1) match is renamed into `blobs/<etag>`; a mismatch deletes the partial.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { isDuskError, translateWriteError, type DuskError } from "../common/index.js";
import { ChecksumMismatchError, DownloadInterruptedError, HubBadResponseError, HubHttpError, SizeMismatchError } from "./errors.js";
import { discard, header, send, type HttpResponse } from "./http.js";

/** Something that shows download progress (src/common Progress fits). */
export interface ProgressSink {
  set(done: number): void;
  tick(units: number): void;
  finish(): void;
}

/** One blob to fetch. */
export interface BlobDownload {
  /** Where the verified file ends up (`blobs/<etag>`). */
  blobPath: string;
  /** The blob name: a 64-hex sha256 or a 40-hex git sha1 is verified; anything else only by size. */
  etag: string;
  /** Expected size in bytes, when known. */
  expectedSize: number | undefined;
  /** The resolve URL; redirects are followed (Authorization is not sent to other origins). */
  url: string;
  /** Request headers (Authorization, User-Agent, ...). */
  headers: Readonly<Record<string, string>>;
  /** How the file is named in messages, e.g. `org/name:model.gguf`. */
  label: string;
  /** Turns an HTTP failure (401, 404, ...) into the error to throw. */
  httpError: (response: HttpResponse) => DuskError;
}

/** Retry and transport settings of a download. */
export interface DownloadOptions {
  /** Attempts after a broken connection without new bytes before giving up. */
  retries: number;
  /** Milliseconds before the first retry (doubling, at most 8x). */
  retryDelayMs: number;
  /** Milliseconds of silence before a request fails. */
  timeoutMs: number;
  signal?: AbortSignal;
  progress?: ProgressSink;
}

/** How a blob name is checked. */
type Verification = { algorithm: "sha256" | "git-sha1"; create: (size: number) => Hash } | undefined;

function verificationFor(etag: string): Verification {
  if (/^[0-9a-f]{64}$/.test(etag)) return { algorithm: "sha256", create: () => createHash("sha256") };
  if (/^[0-9a-f]{40}$/.test(etag)) return { algorithm: "git-sha1", create: (size) => createHash("sha1").update(`blob ${size}\0`) };
  return undefined;
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

/** Feeds the first `length` bytes of a file into a hash. */
async function hashPrefix(hash: Hash, path: string, length: number): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 }) as AsyncIterable<Buffer>) hash.update(chunk);
}

/** Parses `Content-Range: bytes START-END/TOTAL` into its start. */
function rangeStart(response: HttpResponse): number | undefined {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(header(response, "content-range") ?? "");
  return match ? Number(match[1]) : undefined;
}

/** A failure to write locally (disk full, ...), which retrying the network will not fix. */
class LocalWriteFailure extends Error {
  constructor(readonly error: unknown) {
    super("local write failed", { cause: error });
  }
}

/** Streams a body onto the end of `path`, hashing what it writes; resolves with the byte count or rejects. */
async function appendBody(response: HttpResponse, path: string, flags: "a" | "w", hash: Hash | undefined, progress: ProgressSink | undefined): Promise<number> {
  const handle = await open(path, flags).catch((error: unknown) => {
    throw new LocalWriteFailure(error);
  });
  let written = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      try {
        await handle.write(chunk);
      } catch (error) {
        throw new LocalWriteFailure(error);
      }
      hash?.update(chunk);
      written += chunk.length;
      progress?.tick(chunk.length);
    }
  } catch (error) {
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { written });
  } finally {
    await handle.close();
  }
  return written;
}

/**
 * Downloads a blob with resume, retries and verification, then renames it into place. Throws DownloadInterruptedError
 * (partial kept) when the connection keeps breaking, and SizeMismatchError / ChecksumMismatchError (partial deleted).
 */
export async function downloadBlob(download: BlobDownload, options: DownloadOptions): Promise<void> {
  const { blobPath, etag, expectedSize, url, headers, label, httpError } = download;
  const { retries, retryDelayMs, timeoutMs, signal, progress } = options;
  const incomplete = `${blobPath}.incomplete`;
  const verification = verificationFor(etag);
  await mkdir(dirname(blobPath), { recursive: true });

  let hash: Hash | undefined;
  let hashed = -1;
  let failures = 0;
  let best = 0;
  for (;;) {
    let offset = await sizeOf(incomplete);
    if (expectedSize !== undefined && offset > expectedSize) {
      await rm(incomplete, { force: true });
      offset = 0;
    }
    if (hashed !== offset && verification && expectedSize !== undefined) {
      hash = verification.create(expectedSize);
      await hashPrefix(hash, incomplete, offset);
      hashed = offset;
    }
    if (expectedSize !== undefined && offset === expectedSize) break;

    let response: HttpResponse | undefined;
    let problem: unknown;
    try {
      response = await send({ url, headers: { ...headers, ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) }, timeoutMs, ...(signal ? { signal } : {}) });
    } catch (error) {
      problem = error;
    }
    if (response) {
      const { status } = response;
      const restart = status === 200 && offset > 0;
      if (status === 206 && rangeStart(response) !== offset) {
        discard(response);
        await rm(incomplete, { force: true });
        problem = new HubBadResponseError(response.url, `it answered a range request for byte ${offset} with ${header(response, "content-range") ?? "no Content-Range"}`);
      } else if (status === 416) {
        discard(response);
        if (expectedSize === undefined) break;
        await rm(incomplete, { force: true });
        problem = new HubHttpError(response.url, 416, "range not satisfiable");
      } else if (status === 200 || status === 206) {
        if (restart || status === 200) {
          offset = 0;
          if (verification && expectedSize !== undefined) hash = verification.create(expectedSize);
        }
        progress?.set(offset);
        try {
          const written = await appendBody(response, incomplete, status === 206 ? "a" : "w", hash, progress);
          hashed = offset + written;
          const length = header(response, "content-length");
          if (length === undefined || Number(length) === written) break;
          problem = new Error(`the connection closed after ${written} of ${length} bytes`);
        } catch (error) {
          if (error instanceof LocalWriteFailure) throw translateWriteError(error.error, blobPath);
          hashed = offset + ((error as { written?: number }).written ?? 0);
          problem = error;
        }
      } else if (status === 429 || status >= 500) {
        discard(response);
        problem = new HubHttpError(response.url, status, header(response, "x-error-message") ?? "");
      } else {
        discard(response);
        throw httpError(response);
      }
    }
    if (signal?.aborted) throw signal.reason ?? problem;
    const onDisk = await sizeOf(incomplete);
    if (onDisk > best) {
      best = onDisk;
      failures = 0;
    }
    failures += 1;
    if (failures > retries) {
      if (onDisk === 0 && isDuskError(problem) && !(problem instanceof HubBadResponseError)) throw problem;
      throw new DownloadInterruptedError(label, onDisk, incomplete, { cause: problem });
    }
    await delay(retryDelayMs * Math.min(2 ** (failures - 1), 8));
  }

  const size = await sizeOf(incomplete);
  if (expectedSize !== undefined && size !== expectedSize) {
    await rm(incomplete, { force: true });
    throw new SizeMismatchError(label, expectedSize, size);
  }
  if (verification) {
    if (hash === undefined || hashed !== size) {
      hash = verification.create(size);
      await hashPrefix(hash, incomplete, size);
    }
    const actual = hash.digest("hex");
    if (actual !== etag) {
      await rm(incomplete, { force: true });
      throw new ChecksumMismatchError(label, verification.algorithm, etag, actual);
    }
  }
  await rename(incomplete, blobPath);
  progress?.finish();
}

const lockChains = new Map<string, Promise<void>>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock file (pid inside), waiting while a live process holds it and removing a dead holder's lock. */
async function acquireLockFile(path: string, onWait: (pid: number) => void): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: "wx" });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? 0);
    const stale = Number.isInteger(holder) && holder > 0 ? holder === process.pid || !isAlive(holder) : age > 10_000;
    if (stale) {
      await rm(path, { force: true });
      continue;
    }
    if (!announced) onWait(holder);
    announced = true;
    await delay(500);
  }
}

/**
 * Runs `work` while holding the blob's lock: one at a time within this process, and across dusk processes through
 * a lock file, so two pulls never append to the same `.incomplete` file.
 */
export async function withBlobLock<T>(lockPath: string, onWait: (pid: number) => void, work: () => Promise<T>): Promise<T> {
  const previous = lockChains.get(lockPath) ?? Promise.resolve();
  let release = (): void => undefined;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chain = previous.then(() => mine);
  lockChains.set(lockPath, chain);
  await previous;
  try {
    await acquireLockFile(lockPath, onWait);
    try {
      return await work();
    } finally {
      await rm(lockPath, { force: true });
    }
  } finally {
    release();
    if (lockChains.get(lockPath) === chain) lockChains.delete(lockPath);
  }
}
