// A local stand-in for the Hugging Face Hub (node:http on 127.0.0.1, random ports) for tests: the model and dataset
// APIs (`/api/models|datasets/{repo}/revision/{rev}?blobs=true`), resolve URLs (`/datasets/{repo}/...` for datasets) with the Hub's headers (X-Repo-Commit, ETag,
// X-Linked-Etag, X-Linked-Size; 302 to a CDN origin for LFS files) and a CDN that honours Range. Faults can be
// switched on per file: cut the connection mid-body once, serve corrupted or truncated bytes, ignore Range.
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A file of a fake repository. */
export interface FakeFile {
  path: string;
  bytes: Buffer;
  /** Stored in LFS (served through the CDN, blob named by sha256). Defaults to true for .gguf/.safetensors/.bin. */
  lfs?: boolean;
}

/** A fake repository. */
export interface FakeRepo {
  id: string;
  /** A model or a dataset repository. Defaults to "model". */
  type?: "model" | "dataset";
  /** Branches besides main that point at the same commit (e.g. refs/convert/parquet). Defaults to none. */
  branches?: string[];
  files: FakeFile[];
  /** "gated": the API is public but files need the token; "private": everything needs it. Defaults to "public". */
  access?: "public" | "gated" | "private";
  /** The token a gated or private repo accepts. */
  token?: string;
}

/** One request the fake Hub saw. */
export interface RecordedRequest {
  server: "hub" | "cdn";
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The repository file whose bytes this request was served (absent for API calls, redirects and errors). */
  servedFile?: string;
  status: number;
}

/** Fault switches, keyed by repository file path. */
export interface FakeHubFaults {
  /** Destroy the socket after half the body the next time each of these files is served (then forget the file). */
  cutOnce: Set<string>;
  /** Serve these files with one byte flipped (same length). */
  corrupt: Set<string>;
  /** Serve these files one byte short (Content-Length matching what is sent). */
  truncate: Set<string>;
  /** Answer Range requests with 200 and the whole file. */
  ignoreRange: boolean;
  /** List siblings without sizes and blob ids (as a minimal mirror would), forcing HEAD requests. */
  listWithoutBlobs: boolean;
}

/** The git blob id of content, as the Hub's ETag for non-LFS files. */
export function gitBlobSha1(bytes: Buffer): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

interface StoredFile extends FakeFile {
  lfs: boolean;
  etag: string;
  pointerSha1: string;
}

interface StoredRepo {
  spec: FakeRepo;
  commit: string;
  files: Map<string, StoredFile>;
}

function store(repo: FakeRepo): StoredRepo {
  const files = new Map<string, StoredFile>();
  const commitHash = createHash("sha1").update(repo.id);
  for (const file of repo.files) {
    const lfs = file.lfs ?? /\.(gguf|safetensors|bin)$/.test(file.path);
    const etag = lfs ? sha256(file.bytes) : gitBlobSha1(file.bytes);
    const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(file.bytes)}\nsize ${file.bytes.length}\n`);
    files.set(file.path, { ...file, lfs, etag, pointerSha1: gitBlobSha1(pointer) });
    commitHash.update(file.path).update(etag);
  }
  return { spec: repo, commit: commitHash.digest("hex"), files };
}

/** How repositories are keyed: a model by its id, a dataset as `datasets/<id>` (as in the Hub's URLs). */
function repoKey(id: string, type: "model" | "dataset" = "model"): string {
  return type === "dataset" ? `datasets/${id}` : id;
}

/** A running fake Hub: `endpoint` for HF_ENDPOINT, `requests` for assertions, `faults` to switch failures on. */
export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  readonly faults: FakeHubFaults = { cutOnce: new Set(), corrupt: new Set(), truncate: new Set(), ignoreRange: false, listWithoutBlobs: false };
  private readonly repos = new Map<string, StoredRepo>();
  private hubServer: Server | undefined;
  private cdnServer: Server | undefined;
  endpoint = "";
  cdnOrigin = "";

  constructor(repos: FakeRepo[]) {
    for (const repo of repos) this.repos.set(repoKey(repo.id, repo.type), store(repo));
  }

  /** Starts the Hub and its CDN on two random loopback ports. */
  static async start(repos: FakeRepo[]): Promise<FakeHub> {
    const hub = new FakeHub(repos);
    hub.hubServer = createServer((request, response) => hub.handle("hub", request, response));
    hub.cdnServer = createServer((request, response) => hub.handle("cdn", request, response));
    const listen = (server: Server): Promise<number> =>
      new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
    hub.endpoint = `http://127.0.0.1:${await listen(hub.hubServer)}`;
    hub.cdnOrigin = `http://127.0.0.1:${await listen(hub.cdnServer)}`;
    return hub;
  }

  async close(): Promise<void> {
    for (const server of [this.hubServer, this.cdnServer]) {
      if (!server) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** The commit a repository's main branch points at (a dataset's key is `datasets/<id>`). */
  commitOf(repo: string): string {
    return this.stored(repo).commit;
  }

  /** The cache blob name of a file: sha256 for LFS files, git blob sha1 otherwise. */
  etagOf(repo: string, path: string): string {
    const file = this.stored(repo).files.get(path);
    if (!file) throw new Error(`no ${path} in ${repo}`);
    return file.etag;
  }

  /** How many times a file's bytes were served (all files when `path` is absent). */
  downloads(path?: string): number {
    return this.requests.filter((request) => request.servedFile !== undefined && (path === undefined || request.servedFile === path)).length;
  }

  private stored(repo: string): StoredRepo {
    const stored = this.repos.get(repo);
    if (!stored) throw new Error(`no repo ${repo}`);
    return stored;
  }

  private handle(server: "hub" | "cdn", request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://fake");
    const record: RecordedRequest = { server, method: request.method ?? "GET", path: url.pathname + url.search, headers: request.headers, status: 0 };
    this.requests.push(record);
    response.on("finish", () => (record.status = response.statusCode));
    response.on("close", () => (record.status ||= response.statusCode));
    if (server === "cdn") return this.serveCdn(url, request, response, record);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname) ?? /^\/api\/(datasets\/[^/]+(?:\/[^/]+)?)\/revision\/([^/]+)$/.exec(url.pathname);
    if (api) return this.serveListing(decodeURIComponent(api[1] ?? ""), decodeURIComponent(api[2] ?? ""), url, request, response);
    const resolve = /^\/(datasets\/[^/]+(?:\/[^/]+)?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname) ?? /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const path = (resolve[3] ?? "").split("/").map(decodeURIComponent).join("/");
      return this.serveResolve(decodeURIComponent(resolve[1] ?? ""), decodeURIComponent(resolve[2] ?? ""), path, request, response, record);
    }
    this.fail(response, 404, "RepoNotFound", "Not found");
  }

  private fail(response: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
    response.writeHead(status, { "content-type": "application/json", "x-error-code": code, "x-error-message": message, ...extra });
    response.end(JSON.stringify({ error: message }));
  }

  private authorized(repo: StoredRepo, request: IncomingMessage): boolean {
    return (repo.spec.access ?? "public") === "public" || request.headers.authorization === `Bearer ${repo.spec.token ?? ""}`;
  }

  private commitFor(repo: StoredRepo, revision: string): string | undefined {
    return revision === "main" || revision === repo.commit || (repo.spec.branches ?? []).includes(revision) ? repo.commit : undefined;
  }

  private serveListing(id: string, revision: string, url: URL, request: IncomingMessage, response: ServerResponse): void {
    const repo = this.repos.get(id);
    if (!repo) return this.fail(response, 404, "RepoNotFound", `Repository ${id} not found`);
    if (repo.spec.access === "private" && !this.authorized(repo, request)) return this.fail(response, 401, "RepoNotFound", "Invalid credentials in Authorization header");
    const commit = this.commitFor(repo, revision);
    if (!commit) return this.fail(response, 404, "RevisionNotFound", `Invalid rev id: ${revision}`);
    const blobs = url.searchParams.get("blobs") === "true" && !this.faults.listWithoutBlobs;
    const siblings = [...repo.files.values()].map((file) => ({
      rfilename: file.path,
      ...(blobs
        ? { size: file.bytes.length, blobId: file.lfs ? file.pointerSha1 : file.etag, ...(file.lfs ? { lfs: { sha256: file.etag, size: file.bytes.length, pointerSize: 130 } } : {}) }
        : {}),
    }));
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ _id: "x", id: repo.spec.id, sha: commit, private: repo.spec.access === "private", gated: repo.spec.access === "gated" ? "auto" : false, siblings }));
  }

  private serveResolve(id: string, revision: string, path: string, request: IncomingMessage, response: ServerResponse, record: RecordedRequest): void {
    const repo = this.repos.get(id);
    if (!repo) return this.fail(response, 404, "RepoNotFound", `Repository ${id} not found`);
    if (!this.authorized(repo, request)) {
      return this.fail(response, 401, repo.spec.access === "gated" ? "GatedRepo" : "RepoNotFound", `Access to model ${id} is restricted. You must have access to it and be authenticated to access it.`);
    }
    const commit = this.commitFor(repo, revision);
    if (!commit) return this.fail(response, 404, "RevisionNotFound", `Invalid rev id: ${revision}`);
    const file = repo.files.get(path);
    if (!file) return this.fail(response, 404, "EntryNotFound", `${path} does not exist on "${revision}"`, { "x-repo-commit": commit });
    if (file.lfs) {
      const body = `Found. Redirecting to ${this.cdnOrigin}/cdn/${file.etag}`;
      response.writeHead(302, {
        location: `${this.cdnOrigin}/cdn/${file.etag}?file=${encodeURIComponent(path)}&repo=${encodeURIComponent(id)}&signature=fake`,
        "x-repo-commit": commit,
        "x-linked-etag": `"${file.etag}"`,
        "x-linked-size": String(file.bytes.length),
        etag: `"${file.pointerSha1}"`,
        "content-type": "text/plain; charset=utf-8",
        "content-length": String(Buffer.byteLength(body)),
      });
      response.end(request.method === "HEAD" ? undefined : body);
      return;
    }
    this.serveBytes(file, request, response, record, { "x-repo-commit": commit, etag: `"${file.etag}"` });
  }

  private serveCdn(url: URL, request: IncomingMessage, response: ServerResponse, record: RecordedRequest): void {
    // Like a presigned S3 URL: a second authentication mechanism is refused.
    if (request.headers.authorization !== undefined) return this.fail(response, 400, "InvalidArgument", "Only one auth mechanism allowed");
    const repo = this.repos.get(url.searchParams.get("repo") ?? "");
    const file = repo?.files.get(url.searchParams.get("file") ?? "");
    if (!file || url.pathname !== `/cdn/${file.etag}`) return this.fail(response, 404, "NoSuchKey", "The specified key does not exist.");
    this.serveBytes(file, request, response, record, { etag: `"${createHash("md5").update(file.bytes).digest("hex")}"` });
  }

  private serveBytes(file: StoredFile, request: IncomingMessage, response: ServerResponse, record: RecordedRequest, headers: Record<string, string>): void {
    let bytes = file.bytes;
    if (this.faults.corrupt.has(file.path)) {
      bytes = Buffer.from(bytes);
      bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    }
    if (this.faults.truncate.has(file.path)) bytes = bytes.subarray(0, bytes.length - 1);
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
    const start = range && !this.faults.ignoreRange ? Number(range[1]) : 0;
    if (start >= bytes.length && start > 0) {
      response.writeHead(416, { "content-range": `bytes */${bytes.length}`, ...headers });
      response.end();
      return;
    }
    const body = bytes.subarray(start);
    response.writeHead(start > 0 ? 206 : 200, {
      ...headers,
      "accept-ranges": "bytes",
      "content-type": "application/octet-stream",
      "content-length": String(body.length),
      ...(start > 0 ? { "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    record.servedFile = file.path;
    if (this.faults.cutOnce.delete(file.path)) {
      response.write(body.subarray(0, body.length >> 1), () => response.socket?.destroy());
      return;
    }
    response.end(body);
  }
}
