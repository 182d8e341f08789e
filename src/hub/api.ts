// The Hub's HTTP API as dusk uses it: the file list of a revision (`/api/models/{repo}/revision/{rev}?blobs=true`,
// `/api/datasets/...` for datasets), file metadata by HEAD on `/{repo}/resolve/{rev}/{path}` (`/datasets/{repo}/...`
// for datasets; X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag), and
// the mapping of HTTP failures to typed errors (401/403 gated or private, 404 with close matches, ...).
import { z } from "zod";
import type { DuskError } from "../common/index.js";
import { COMMIT_HASH, type HubSettings, type RepoType } from "./cache.js";
import { HubAuthError, HubBadResponseError, HubHttpError, HubNotFoundError } from "./errors.js";
import { discard, header, readBody, send, type HttpResponse } from "./http.js";
import { isSafeRepoPath } from "./reference.js";
import { closeMatches } from "./select.js";

/** How this layer talks to the Hub. */
export interface HubClient {
  settings: HubSettings;
  /** Milliseconds of silence before a request fails. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One file of a repository at a commit, as the Hub lists it. */
export interface RemoteFile {
  /** Path in the repository, with `/`. */
  path: string;
  /** Size in bytes (of the real file for LFS files), when listed. */
  size: number | undefined;
  /** The cache's blob name: the LFS sha256 for LFS files, the git blob sha1 otherwise, when listed. */
  etag: string | undefined;
}

/** The files of a repository at one commit. */
export interface RepoListing {
  repo: string;
  revision: string;
  commit: string;
  files: RemoteFile[];
}

/** What a HEAD on a resolve URL tells about one file. */
export interface FileMetadata {
  commit: string | undefined;
  etag: string;
  size: number | undefined;
  /** Where to GET it (a CDN URL for LFS files). */
  location: string;
}

/** Where a problem happened, for error messages. */
export interface ErrorContext {
  repo: string;
  revision: string;
  /** The file, when the request was about one. */
  path?: string;
  /** Paths the repository is known to have, for "close matches". */
  knownPaths?: readonly string[];
  /** Model or dataset repository. Defaults to "model". */
  repoType?: RepoType;
}

const listingSchema = z.object({
  sha: z.string(),
  siblings: z
    .array(
      z.object({
        rfilename: z.string(),
        size: z.number().int().nonnegative().nullish(),
        blobId: z.string().nullish(),
        lfs: z.object({ sha256: z.string(), size: z.number().int().nonnegative() }).nullish(),
      }),
    )
    .default([]),
});

const SAFE_ETAG = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Strips the quotes and weak marker of an ETag header: `W/"abc"` and `"abc"` both become `abc`. */
export function normalizeEtag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const stripped = value.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
  return stripped === "" ? undefined : stripped;
}

/** Headers every Hub request carries (Authorization only when a token is set). */
export function hubHeaders(settings: HubSettings): Record<string, string> {
  return {
    "user-agent": `dusk; node/${process.versions.node}`,
    "accept-encoding": "identity",
    ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}),
  };
}

/** `{endpoint}/{repo}/resolve/{revision}/{path}` (`{endpoint}/datasets/{repo}/...` for a dataset), revision and path segments URL-encoded. */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string, repoType: RepoType = "model"): string {
  return `${endpoint}/${repoType === "dataset" ? "datasets/" : ""}${repo}/resolve/${encodeURIComponent(revision)}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** Maps a failed Hub answer to the typed error that explains it. */
export function hubError(response: HttpResponse, context: ErrorContext): DuskError {
  const { status } = response;
  const code = header(response, "x-error-code");
  const message = header(response, "x-error-message") ?? "";
  const tokenSent = Object.keys(response.sentHeaders).some((name) => name.toLowerCase() === "authorization");
  const file = context.path === undefined ? undefined : `${context.repo}:${context.path}`;
  if (status === 401 || status === 403) {
    if (code === "RepoNotFound" && tokenSent) return new HubNotFoundError("repo", context.repo);
    return new HubAuthError(context.repo, status, tokenSent);
  }
  if (status === 404) {
    if (code === "RevisionNotFound") return new HubNotFoundError("revision", `${context.repo}@${context.revision}`);
    if (code === "RepoNotFound" || file === undefined) return new HubNotFoundError("repo", context.repo);
    return new HubNotFoundError("file", `${file} (revision ${context.revision})`, closeMatches(context.path ?? "", context.knownPaths ?? []));
  }
  return new HubHttpError(response.url, status, message);
}

/** Lists the files of `repo` at `revision` with sizes and blob names, and the commit the revision points at. */
export async function fetchRepoListing(client: HubClient, repo: string, revision: string, repoType: RepoType = "model"): Promise<RepoListing> {
  const { settings, timeoutMs, signal } = client;
  const url = `${settings.endpoint}/api/${repoType}s/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const response = await send({ url, headers: { ...hubHeaders(settings), accept: "application/json" }, timeoutMs, redirects: "same-origin", ...(signal ? { signal } : {}) });
  if (response.status !== 200) {
    discard(response);
    throw hubError(response, { repo, revision, repoType });
  }
  let json: unknown;
  try {
    json = JSON.parse((await readBody(response)).toString("utf8"));
  } catch (error) {
    throw new HubBadResponseError(url, "the answer is not JSON", { cause: error });
  }
  const parsed = listingSchema.safeParse(json);
  if (!parsed.success) {
    throw new HubBadResponseError(url, `the file list does not have the Hub's shape (${parsed.error.issues[0]?.path.join(".") ?? "?"}: ${parsed.error.issues[0]?.message ?? "?"})`);
  }
  const { sha, siblings } = parsed.data;
  if (!COMMIT_HASH.test(sha)) throw new HubBadResponseError(url, `its "sha" is not a 40-character commit hash: "${sha}"`);
  const files = siblings.map(({ rfilename, size, blobId, lfs }): RemoteFile => {
    if (!isSafeRepoPath(rfilename)) throw new HubBadResponseError(url, `it lists an unsafe file name "${rfilename}"`);
    const etag = lfs?.sha256 ?? blobId ?? undefined;
    return { path: rfilename, size: lfs?.size ?? size ?? undefined, etag: etag !== undefined && SAFE_ETAG.test(etag) ? etag : undefined };
  });
  return { repo, revision, commit: sha, files };
}

/** HEADs a file's resolve URL: its commit, blob name (X-Linked-Etag, else ETag), size and download location. */
export async function fetchFileMetadata(client: HubClient, context: ErrorContext & { path: string }): Promise<FileMetadata> {
  const { settings, timeoutMs, signal } = client;
  const url = resolveUrl(settings.endpoint, context.repo, context.revision, context.path, context.repoType);
  const response = await send({ url, method: "HEAD", headers: hubHeaders(settings), timeoutMs, redirects: "same-origin", ...(signal ? { signal } : {}) });
  discard(response);
  if (response.status >= 400 || response.status < 200) throw hubError(response, context);
  const etag = normalizeEtag(header(response, "x-linked-etag") ?? header(response, "etag"));
  if (etag === undefined || !SAFE_ETAG.test(etag)) throw new HubBadResponseError(url, `it sent no usable ETag (got ${JSON.stringify(etag ?? null)})`);
  const sizeText = header(response, "x-linked-size") ?? header(response, "content-length");
  const size = sizeText !== undefined && /^\d+$/.test(sizeText) ? Number(sizeText) : undefined;
  const commit = header(response, "x-repo-commit");
  return { commit: commit !== undefined && COMMIT_HASH.test(commit) ? commit : undefined, etag, size, location: header(response, "location") ?? response.url };
}
