// The Hugging Face cache layout, exactly as huggingface_hub writes it, and the settings that locate it
// (dataset repositories live in `datasets--{org}--{name}` with the same layout):
//   <cache>/models--{org}--{name}/blobs/<etag>                 file contents (etag: LFS sha256 or git blob sha1)
//   <cache>/models--{org}--{name}/snapshots/<commit>/<path>    relative symlinks to ../../blobs/<etag> (deeper for subfolders)
//   <cache>/models--{org}--{name}/refs/<revision>              the commit hash a branch or tag pointed at
// so that files fetched by Python tools are reused here and ours are reused by them.
import { readFileSync } from "node:fs";
import { copyFile, lstat, mkdir, readFile, readdir, readlink, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { InvalidArgumentError, writeAtomically } from "../common/index.js";

/** Where the Hub is and how to talk to it, resolved from options and the environment. */
export interface HubSettings {
  /** The Hub's base URL without a trailing slash (HF_ENDPOINT). */
  endpoint: string;
  /** Bearer token (HF_TOKEN, or the token file `huggingface-cli login` writes). */
  token: string | undefined;
  /** The hub cache folder (HF_HUB_CACHE, or HF_HOME/hub, or ~/.cache/huggingface/hub). */
  cacheDir: string;
  /** Use only the cache (HF_HUB_OFFLINE=1). */
  offline: boolean;
}

/** Overrides for resolveHubSettings; anything absent comes from the environment. */
export interface HubSettingsOptions {
  /** Environment to read. Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Cache folder. Defaults to $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Hub URL. Defaults to $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Access token. Defaults to $HF_TOKEN, else the token file in $HF_HOME. */
  token?: string;
  /** Cache only. Defaults to $HF_HUB_OFFLINE being 1/ON/YES/TRUE. */
  offline?: boolean;
}

/** The public Hub. */
export const DEFAULT_ENDPOINT = "https://huggingface.co";

/** A commit hash as the Hub reports it. */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ["1", "ON", "YES", "TRUE"].includes(value.trim().toUpperCase());
}

function readTokenFile(path: string): string | undefined {
  try {
    const token = readFileSync(path, "utf8").trim();
    return token === "" ? undefined : token;
  } catch {
    return undefined;
  }
}

/** Resolves endpoint, token, cache folder and offline mode the way huggingface_hub does. */
export function resolveHubSettings(options: HubSettingsOptions = {}): HubSettings {
  const { env = process.env } = options;
  const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : value.trim());
  const hfHome = expandHome(nonEmpty(env.HF_HOME) ?? join(nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), ".cache"), "huggingface"));
  const cacheDir = expandHome(options.cacheDir ?? nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE) ?? join(hfHome, "hub"));
  const endpoint = (options.endpoint ?? nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+/i.test(endpoint)) {
    throw new InvalidArgumentError(`expected HF_ENDPOINT to be an http(s) URL such as ${DEFAULT_ENDPOINT} but got "${endpoint}"`, {
      hint: "unset HF_ENDPOINT to use the public Hub, or set it to a mirror's base URL",
    });
  }
  const token =
    nonEmpty(options.token) ??
    nonEmpty(env.HF_TOKEN) ??
    nonEmpty(env.HUGGING_FACE_HUB_TOKEN) ??
    readTokenFile(expandHome(nonEmpty(env.HF_TOKEN_PATH) ?? join(hfHome, "token")));
  return { endpoint, token, cacheDir, offline: options.offline ?? isTruthy(env.HF_HUB_OFFLINE) };
}

/** The kinds of Hub repository dusk reads. */
export type RepoType = "model" | "dataset";

/** `models--org--name` (or `datasets--org--name`): the repository's folder in the cache. */
export function repoFolderName(repo: string, repoType: RepoType = "model"): string {
  return [`${repoType}s`, ...repo.split("/")].join("--");
}

/** Paths and operations of one repository's folder in the cache. */
export class RepoCache {
  /** `<cache>/models--org--name` (`datasets--org--name` for a dataset). */
  readonly folder: string;

  constructor(
    readonly cacheDir: string,
    readonly repo: string,
    readonly repoType: RepoType = "model",
  ) {
    this.folder = join(cacheDir, repoFolderName(repo, repoType));
  }

  blobPath(etag: string): string {
    return join(this.folder, "blobs", etag);
  }

  /** Where a download in progress lives (huggingface_hub's name, so either tool resumes the other's partial file). */
  incompletePath(etag: string): string {
    return `${this.blobPath(etag)}.incomplete`;
  }

  /** dusk's own lock file beside huggingface_hub's (`.locks/<repo folder>/<etag>.lock`). */
  lockPath(etag: string): string {
    return join(this.cacheDir, ".locks", repoFolderName(this.repo, this.repoType), `${etag}.dusk.lock`);
  }

  snapshotPath(commit: string): string {
    return join(this.folder, "snapshots", commit);
  }

  pointerPath(commit: string, repoPath: string): string {
    return join(this.snapshotPath(commit), ...repoPath.split("/"));
  }

  refPath(revision: string): string {
    return join(this.folder, "refs", ...revision.split("/"));
  }

  /** The commit a revision resolves to from the cache alone: itself when it is a commit hash, else refs/<revision>. */
  async commitFor(revision: string): Promise<string | undefined> {
    if (COMMIT_HASH.test(revision)) return revision;
    try {
      const commit = (await readFile(this.refPath(revision), "utf8")).trim();
      return COMMIT_HASH.test(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records that `revision` points at `commit` (no file for a revision that is itself the commit). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const path = this.refPath(revision);
    if ((await readFile(path, "utf8").catch(() => undefined)) === commit) return;
    await mkdir(dirname(path), { recursive: true });
    await writeAtomically(path, (temporary) => writeFile(temporary, commit));
  }

  /** The size of the blob when it is present, else undefined. */
  async blobSize(etag: string): Promise<number | undefined> {
    try {
      const info = await stat(this.blobPath(etag));
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  }

  /** Makes `snapshots/<commit>/<path>` a relative symlink to `blobs/<etag>` (a copy where symlinks are refused). */
  async link(etag: string, commit: string, repoPath: string): Promise<string> {
    const pointer = this.pointerPath(commit, repoPath);
    const blob = this.blobPath(etag);
    const target = relative(dirname(pointer), blob);
    await mkdir(dirname(pointer), { recursive: true });
    const existing = await lstat(pointer).catch(() => undefined);
    if (existing?.isSymbolicLink() && (await readlink(pointer)) === target) return pointer;
    if (existing) await unlink(pointer);
    try {
      await symlink(target, pointer);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EPERM" && code !== "EACCES" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
      await copyFile(blob, pointer);
    }
    return pointer;
  }

  /** Paths (with `/`) of the files a cached snapshot holds whose blobs are present; broken links are left out. */
  async listSnapshot(commit: string): Promise<string[]> {
    const root = this.snapshotPath(commit);
    const found: string[] = [];
    const walk = async (folder: string, prefix: string): Promise<void> => {
      const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const path = join(folder, entry.name);
        const info = await stat(path).catch(() => undefined);
        if (info?.isDirectory()) await walk(path, `${prefix}${entry.name}/`);
        else if (info?.isFile()) found.push(`${prefix}${entry.name}`);
      }
    };
    await walk(root, "");
    return found.sort();
  }
}
