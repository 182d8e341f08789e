// Typed errors of the Hub layer: one class per way a pull can fail, each saying what was expected, what was
// found, and what the user can do (set HF_TOKEN, run again to resume, pick a file by its exact name, ...).
import { DuskError, type DuskErrorOptions } from "../common/index.js";

/** A model reference is neither a usable local path nor an `org/name[:file-or-quant][@revision]` Hub id. */
export class InvalidHubReferenceError extends DuskError {
  constructor(reference: string, reason: string, options: DuskErrorOptions = {}) {
    super("HUB_BAD_REFERENCE", `expected a Hub reference org/name[:file-or-quant][@revision] but got "${reference}": ${reason}`, {
      hint: "examples: TheBloke/SOLAR-10.7B-Instruct-v1.0-GGUF:Q4_K_M, upstage/SOLAR-10.7B-v1.0@main, ./model.gguf for a local file",
      ...options,
    });
  }
}

/** The Hub refused access (HTTP 401/403): the repository is gated or private, or the token lacks access. */
export class HubAuthError extends DuskError {
  constructor(
    readonly repo: string,
    readonly status: number,
    readonly tokenSent: boolean,
    options: DuskErrorOptions = {},
  ) {
    super(
      "HUB_UNAUTHORIZED",
      `expected access to ${repo} but the Hub answered ${status}: the repository is gated or private${tokenSent ? " and the token sent has no access to it" : " and no token was sent"}`,
      {
        hint: tokenSent
          ? "accept the model's conditions on its Hub page with the account of HF_TOKEN, or set HF_TOKEN to a token with read access to it"
          : "set HF_TOKEN to a read token from https://huggingface.co/settings/tokens (gated models also need their conditions accepted on the model page)",
        ...options,
      },
    );
  }
}

/** What a 404 was about. */
export type HubMissingKind = "repo" | "revision" | "file";

/** The repository, revision or file does not exist on the Hub (HTTP 404 or absent from the file list). */
export class HubNotFoundError extends DuskError {
  constructor(
    readonly kind: HubMissingKind,
    readonly what: string,
    readonly closeMatches: readonly string[] = [],
    options: DuskErrorOptions = {},
  ) {
    const suggestions = closeMatches.length > 0 ? `; close matches: ${closeMatches.join(", ")}` : "";
    super("HUB_NOT_FOUND", `expected ${kind === "repo" ? "a repository" : `a ${kind}`} ${what} on the Hub but there is no such ${kind}${suggestions}`, {
      hint:
        kind === "file"
          ? "name a file exactly as the repository lists it (org/name:path/to/file.gguf) or a quantization (org/name:Q4_K_M)"
          : kind === "revision"
            ? "use a branch, tag or 40-character commit of the repository after @ (default: main)"
            : "check the spelling of org/name; a private repository also answers like this without HF_TOKEN",
      ...options,
    });
  }
}

/** Offline mode (HF_HUB_OFFLINE=1, or the Hub unreachable) and the cache lacks what was asked for. */
export class HubOfflineError extends DuskError {
  constructor(what: string, readonly cachePath: string, reason: string, options: DuskErrorOptions = {}) {
    super("HUB_OFFLINE_MISSING", `expected ${what} in the Hugging Face cache at ${cachePath} but ${reason}`, {
      hint: "unset HF_HUB_OFFLINE (and check the network) to download it, or pull it once while online",
      ...options,
    });
  }
}

/** The Hub (or HF_ENDPOINT) could not be reached at all: DNS, connection refused, timeout. */
export class HubUnreachableError extends DuskError {
  constructor(url: string, detail: string, options: DuskErrorOptions = {}) {
    super("HUB_UNREACHABLE", `expected an answer from ${url} but the connection failed: ${detail}`, {
      hint: "check the network and HF_ENDPOINT; set HF_HUB_OFFLINE=1 to use only files already in the cache",
      ...options,
    });
  }
}

/** The Hub answered with an HTTP status this layer has no better error for (5xx, 429, ...). */
export class HubHttpError extends DuskError {
  constructor(readonly url: string, readonly status: number, detail: string, options: DuskErrorOptions = {}) {
    super("HUB_HTTP", `expected a successful answer from ${url} but got HTTP ${status}${detail ? `: ${detail}` : ""}`, {
      hint: status >= 500 || status === 429 ? "the server is busy or failing; try again in a moment" : "check the reference and HF_ENDPOINT",
      ...options,
    });
  }
}

/** The server answered something that is not what the Hub sends (bad JSON, missing headers, unsafe file names). */
export class HubBadResponseError extends DuskError {
  constructor(url: string, problem: string, options: DuskErrorOptions = {}) {
    super("HUB_BAD_RESPONSE", `expected a Hugging Face Hub answer from ${url} but ${problem}`, {
      hint: "check that HF_ENDPOINT points at the Hub or a faithful mirror",
      ...options,
    });
  }
}

/** A finished download has the wrong number of bytes; the partial blob was deleted. */
export class SizeMismatchError extends DuskError {
  constructor(readonly file: string, readonly expected: number, readonly actual: number, options: DuskErrorOptions = {}) {
    super("HUB_SIZE_MISMATCH", `expected ${file} to have ${expected} bytes but the download has ${actual}; the partial download was deleted`, {
      hint: "run the command again to download it afresh; if it happens again, the server (HF_ENDPOINT) serves a different file",
      ...options,
    });
  }
}

/** A finished download does not hash to the checksum the Hub reports; the partial blob was deleted. */
export class ChecksumMismatchError extends DuskError {
  constructor(
    readonly file: string,
    readonly algorithm: "sha256" | "git-sha1",
    readonly expected: string,
    readonly actual: string,
    options: DuskErrorOptions = {},
  ) {
    super(
      "HUB_CHECKSUM_MISMATCH",
      `expected ${file} to have ${algorithm} ${expected} but the downloaded bytes have ${actual}; the partial download was deleted`,
      {
        hint: "run the command again to download it afresh; if it happens again, the server (HF_ENDPOINT) or a proxy alters the file",
        ...options,
      },
    );
  }
}

/** The connection broke more times than the retry budget allows; the partial blob was kept for resuming. */
export class DownloadInterruptedError extends DuskError {
  constructor(readonly file: string, readonly bytesSoFar: number, readonly partialPath: string, options: DuskErrorOptions = {}) {
    super("HUB_DOWNLOAD_INTERRUPTED", `expected the whole of ${file} but the connection broke after ${bytesSoFar} bytes`, {
      hint: `run the command again: it resumes from the partial download at ${partialPath}`,
      ...options,
    });
  }
}

/** A quantization, glob or default selection matched no file of the repository. */
export class NoMatchingFilesError extends DuskError {
  constructor(repo: string, wanted: string, available: readonly string[], options: DuskErrorOptions = {}) {
    const shown = available.length > 12 ? [...available.slice(0, 12), `... (${available.length - 12} more)`] : available;
    super("HUB_NO_MATCH", `expected a file of ${repo} matching ${wanted} but found none among: ${shown.length > 0 ? shown.join(", ") : "(no files)"}`, {
      hint: "pick one with org/name:<quantization> (e.g. :Q4_K_M), org/name:<exact file> or --include '<glob>'",
      ...options,
    });
  }
}

/** A selection matched several different models (e.g. two GGUF files of one quantization); dusk will not guess. */
export class AmbiguousSelectionError extends DuskError {
  constructor(repo: string, wanted: string, candidates: readonly string[], options: DuskErrorOptions = {}) {
    super("HUB_AMBIGUOUS", `expected one model file of ${repo} matching ${wanted} but found ${candidates.length}: ${candidates.join(", ")}`, {
      hint: "name the file exactly: org/name:<file.gguf>, or a quantization such as org/name:Q4_K_M",
      ...options,
    });
  }
}
