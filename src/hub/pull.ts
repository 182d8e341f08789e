// pull(): a Hub reference to files in the Hugging Face cache (list the revision, pick files, reuse cached blobs,
// download the rest, link the snapshot, record the ref), and resolveModelReference(): what every command calls to
// accept a local path or a Hub id and get local paths back. pullDataset() does the same for dataset repositories
// (`datasets--org--name` in the cache), e.g. the parquet files an eval task reads.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { FileNotFoundError, formatBytes, InvalidArgumentError, isDuskError, Progress } from "../common/index.js";
import { fetchFileMetadata, fetchRepoListing, hubError, hubHeaders, resolveUrl, type HubClient, type RepoListing } from "./api.js";
import { RepoCache, resolveHubSettings, type HubSettingsOptions, type RepoType } from "./cache.js";
import { downloadBlob, withBlobLock } from "./download.js";
import { HubAuthError, HubHttpError, HubNotFoundError, HubOfflineError, HubUnreachableError, NoMatchingFilesError } from "./errors.js";
import { DEFAULT_REVISION, formatHubReference, parseHubReference, parseModelReference, type HubReference } from "./reference.js";
import { isModelGguf, selectFiles, type SelectionRequest } from "./select.js";

/** Options of pull and resolveModelReference. */
export interface PullOptions extends HubSettingsOptions {
  /** fnmatch globs of extra files (e.g. `*.safetensors`). Defaults to none. */
  include?: readonly string[];
  /** Add config/tokenizer files beside safetensors picks. Defaults to true. */
  companions?: boolean;
  /** Draw no progress. Defaults to false. */
  quiet?: boolean;
  /** Where progress goes (a bar on a TTY, a line every few seconds otherwise). Defaults to process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Retries after a broken connection that brought no new bytes. Defaults to 5. */
  retries?: number;
  /** Milliseconds before the first retry, doubling. Defaults to 1000. */
  retryDelayMs?: number;
  /** Milliseconds of silence before a request fails. Defaults to 30000. */
  timeoutMs?: number;
  /** Cancels the pull (a partial download stays for resuming). */
  signal?: AbortSignal;
  /** A model or a dataset repository. Defaults to "model". */
  repoType?: RepoType;
}

/** One file of a pull. */
export interface PulledFile {
  /** Path in the repository. */
  path: string;
  /** `snapshots/<commit>/<path>` in the cache (a link to the blob). */
  localPath: string;
  size: number;
  /** False when the blob was already in the cache. */
  downloaded: boolean;
}

/** What pull() brought. */
export interface PullResult {
  repo: string;
  /** The revision asked for (default main). */
  revision: string;
  /** The commit it resolved to. */
  commit: string;
  files: PulledFile[];
  /** `<cache>/models--org--name/snapshots/<commit>`. */
  snapshotPath: string;
  /** True when the files came from the cache without asking the Hub (HF_HUB_OFFLINE, or the Hub unreachable). */
  offline: boolean;
}

/** A model reference resolved to local files. */
export interface ResolvedModel {
  source: "local" | "hub";
  /** What to load: the GGUF file (first part of a split one), the one file, or the checkpoint folder. */
  path: string;
  /** Every local file (or the folder, for a local folder). */
  files: string[];
  /** The pull, for Hub references. */
  pull?: PullResult;
}

/** Answers that mean "the Hub cannot help now" rather than "this does not exist": the cache may still have the files. */
function mayFallBackToCache(error: unknown): boolean {
  return error instanceof HubUnreachableError || error instanceof HubAuthError || (error instanceof HubHttpError && (error.status >= 500 || error.status === 429));
}

/** Serves a pull from the cache alone; `reason` says why the Hub was not asked. */
async function pullFromCache(reference: HubReference, revision: string, cache: RepoCache, request: SelectionRequest, reason: string): Promise<PullResult> {
  const { repo } = reference;
  const commit = await cache.commitFor(revision);
  if (commit === undefined) {
    throw new HubOfflineError(`${repo}@${revision}`, cache.folder, `there is no refs/${revision} for it (it was never pulled) and ${reason}`);
  }
  const cached = await cache.listSnapshot(commit);
  let paths: string[];
  try {
    paths = selectFiles(repo, cached, request);
  } catch (error) {
    if (!(error instanceof HubNotFoundError || error instanceof NoMatchingFilesError)) throw error;
    const wanted = reference.selector === undefined ? `the files of ${repo}@${revision}` : formatHubReference({ ...reference, revision });
    const have = cached.length > 0 ? `only ${cached.join(", ")} ${cached.length === 1 ? "is" : "are"} cached` : "nothing of it is cached";
    throw new HubOfflineError(wanted, cache.snapshotPath(commit), `${have} and ${reason}`, { cause: error });
  }
  const files = await Promise.all(
    paths.map(async (path): Promise<PulledFile> => {
      const localPath = cache.pointerPath(commit, path);
      return { path, localPath, size: (await stat(localPath)).size, downloaded: false };
    }),
  );
  return { repo, revision, commit, files, snapshotPath: cache.snapshotPath(commit), offline: true };
}

/** Brings one listed file into the cache (reusing its blob when present) and links it into the snapshot. */
async function pullFile(client: HubClient, cache: RepoCache, listing: RepoListing, path: string, options: PullOptions): Promise<PulledFile> {
  const { quiet = false, stream = process.stderr, retries = 5, retryDelayMs = 1000, timeoutMs = 30_000, signal } = options;
  const { repo, commit } = listing;
  const { repoType } = cache;
  const context = { repo, revision: commit, path, knownPaths: listing.files.map((file) => file.path), repoType };
  const listed = listing.files.find((file) => file.path === path);
  let etag = listed?.etag;
  let size = listed?.size;
  if (etag === undefined || size === undefined) {
    const metadata = await fetchFileMetadata(client, context);
    etag ??= metadata.etag;
    size ??= metadata.size;
  }
  const blobEtag = etag;
  const present = await cache.blobSize(blobEtag);
  let downloaded = false;
  if (present === undefined || (size !== undefined && present !== size)) {
    await withBlobLock(
      cache.lockPath(blobEtag),
      (pid) => stream.write(`waiting for process ${pid}, which is downloading ${repo}:${path} into the same cache\n`),
      async () => {
        const now = await cache.blobSize(blobEtag);
        if (now !== undefined && (size === undefined || now === size)) return;
        const progress = new Progress({ label: path, ...(size !== undefined ? { total: size } : {}), unit: "", formatCount: formatBytes, stream, silent: quiet });
        await downloadBlob(
          {
            blobPath: cache.blobPath(blobEtag),
            etag: blobEtag,
            expectedSize: size,
            url: resolveUrl(client.settings.endpoint, repo, commit, path, repoType),
            headers: hubHeaders(client.settings),
            label: `${repo}:${path}`,
            httpError: (response) => hubError(response, context),
          },
          { retries, retryDelayMs, timeoutMs, progress, ...(signal ? { signal } : {}) },
        );
        downloaded = true;
      },
    );
  }
  const localPath = await cache.link(blobEtag, commit, path);
  return { path, localPath, size: size ?? (await stat(localPath)).size, downloaded };
}

/**
 * Pulls `org/name[:<file-or-quant>][@<revision>]` into the Hugging Face cache and returns where the files are.
 * Cached blobs are reused (also those fetched by Python tools); HF_HUB_OFFLINE=1 uses only the cache, and so does an
 * unreachable Hub when the cache has the files.
 */
export async function pull(reference: string | HubReference, options: PullOptions = {}): Promise<PullResult> {
  const parsed = typeof reference === "string" ? parseHubReference(reference) : reference;
  const { include = [], companions = true, timeoutMs = 30_000, signal, repoType = "model" } = options;
  const settings = resolveHubSettings(options);
  const revision = parsed.revision ?? DEFAULT_REVISION;
  const cache = new RepoCache(settings.cacheDir, parsed.repo, repoType);
  const request: SelectionRequest = { ...(parsed.selector ? { selector: parsed.selector } : {}), include, companions };
  if (settings.offline) return pullFromCache(parsed, revision, cache, request, "offline mode (HF_HUB_OFFLINE=1) forbids downloading");

  const client: HubClient = { settings, timeoutMs, ...(signal ? { signal } : {}) };
  let listing: RepoListing;
  try {
    listing = await fetchRepoListing(client, parsed.repo, revision, repoType);
  } catch (error) {
    if (!mayFallBackToCache(error)) throw error;
    try {
      return await pullFromCache(parsed, revision, cache, request, `the Hub could not be asked (${isDuskError(error) ? error.message : String(error)})`);
    } catch (cacheError) {
      throw cacheError instanceof HubOfflineError ? error : cacheError;
    }
  }
  const paths = selectFiles(parsed.repo, listing.files.map((file) => file.path), request);
  await cache.writeRef(revision, listing.commit);
  const files: PulledFile[] = [];
  for (const path of paths) files.push(await pullFile(client, cache, listing, path, options));
  return { repo: parsed.repo, revision, commit: listing.commit, files, snapshotPath: cache.snapshotPath(listing.commit), offline: false };
}

/** Options of pullDataset: those of pull, less the model-only ones. */
export interface PullDatasetOptions extends Omit<PullOptions, "repoType" | "companions"> {
  /** Branch, tag or commit (e.g. `refs/convert/parquet`, the Hub's parquet export). Defaults to main. */
  revision?: string;
}

/** A dataset id: `name` (canonical datasets such as `gsm8k`) or `org/name`. */
const DATASET_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

/**
 * Pulls files of a Hub dataset repository (those matching `include`, else all) into the Hugging Face cache
 * (`datasets--org--name`), with the same reuse, resume, offline and fallback rules as pull().
 */
export async function pullDataset(repo: string, options: PullDatasetOptions = {}): Promise<PullResult> {
  if (!DATASET_ID.test(repo) || repo.split("/").some((part) => part === "." || part === "..")) {
    throw new InvalidArgumentError(`expected a Hub dataset id such as gsm8k or org/name but got "${repo}"`, {
      hint: "give the dataset id as the Hub shows it, e.g. allenai/ai2_arc",
    });
  }
  const { revision, include = [], ...rest } = options;
  const reference: HubReference = { kind: "hub", repo, ...(revision !== undefined ? { revision } : {}) };
  return pull(reference, { ...rest, include: include.length > 0 ? include : ["*"], companions: false, repoType: "dataset" });
}

/** The file or folder a pull should be loaded from (see ResolvedModel.path). */
export function mainPath(result: PullResult): string {
  const ggufs = result.files.filter((file) => isModelGguf(file.path));
  const first = ggufs[0] ?? (result.files.length === 1 ? result.files[0] : undefined);
  if (first) return first.localPath;
  const folders = result.files.map((file) => file.path.split("/").slice(0, -1));
  const common = folders.reduce((shared, folder) => {
    const length = shared.findIndex((segment, i) => folder[i] !== segment);
    return length === -1 ? shared : shared.slice(0, length);
  }, folders[0] ?? []);
  return join(result.snapshotPath, ...common);
}

/**
 * Resolves what a user gave as a model to local files: a local path passes through (it must exist); a Hub reference is
 * pulled on first use (later calls find it in the cache).
 */
export async function resolveModelReference(referenceOrPath: string, options: PullOptions & { cwd?: string } = {}): Promise<ResolvedModel> {
  const { cwd = process.cwd(), ...pullOptions } = options;
  const reference = parseModelReference(referenceOrPath, { cwd });
  if (reference.kind === "local") {
    const info = await stat(reference.path).catch(() => undefined);
    if (!info) {
      throw new FileNotFoundError(reference.path, {
        hint: "give the path of a .gguf or .safetensors file or a checkpoint folder, or a Hub id such as org/name:Q4_K_M",
      });
    }
    return { source: "local", path: reference.path, files: [reference.path] };
  }
  const result = await pull(reference, pullOptions);
  return { source: "hub", path: mainPath(result), files: result.files.map((file) => file.localPath), pull: result };
}

