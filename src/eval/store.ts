// The results store: every finished request in SQLite (better-sqlite3), keyed by model sha256, profile, task,
// doc and request, so that an interrupted run resumes and a repeated run is answered from the store. It also
// remembers model files' sha256 by (path, size, mtime) so that a 20 GB file is hashed once.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { FileNotFoundError } from "../common/index.js";
import type { RequestResult } from "./tasks/types.js";

/** The default store: $DUSK_CACHE_DIR, else $XDG_CACHE_HOME/dusk, else ~/.cache/dusk; file eval-results.sqlite. */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DUSK_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "dusk");
  return join(dir, "eval-results.sqlite");
}

/** The key of one request in the store. */
export interface StoreKey {
  model: string;
  profile: string;
  task: string;
  docId: number;
  /** A hash of the request (its strings, BOS flag and tokenization rule). */
  request: string;
}

/** A stable hash of a JSON-able description of a request. */
export function requestHash(description: unknown): string {
  return createHash("sha256").update(JSON.stringify(description)).digest("hex").slice(0, 32);
}

/** The SQLite results store. */
export class ResultsStore {
  private readonly db: Database.Database;
  private readonly getStatement: Database.Statement<[string, string, string, number, string], { result: string }>;
  private readonly putStatement: Database.Statement<[string, string, string, number, string, string, number]>;

  private constructor(db: Database.Database) {
    this.db = db;
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(`
      CREATE TABLE IF NOT EXISTS results (
        model TEXT NOT NULL, profile TEXT NOT NULL, task TEXT NOT NULL, doc_id INTEGER NOT NULL, request TEXT NOT NULL,
        result TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (model, profile, task, doc_id, request)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS model_hashes (
        path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, sha256 TEXT NOT NULL
      );`);
    this.getStatement = db.prepare("SELECT result FROM results WHERE model = ? AND profile = ? AND task = ? AND doc_id = ? AND request = ?");
    this.putStatement = db.prepare(
      "INSERT OR REPLACE INTO results (model, profile, task, doc_id, request, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
  }

  /** Opens (creating if needed) the store at `path`; ":memory:" for a throwaway store. */
  static async open(path: string = defaultStorePath()): Promise<ResultsStore> {
    if (path !== ":memory:") await mkdir(dirname(resolve(path)), { recursive: true });
    return new ResultsStore(new Database(path));
  }

  /** The stored result of a request, if any. */
  get(key: StoreKey): RequestResult | undefined {
    const row = this.getStatement.get(key.model, key.profile, key.task, key.docId, key.request);
    return row ? (JSON.parse(row.result) as RequestResult) : undefined;
  }

  /** Records finished requests in one transaction. */
  putMany(entries: readonly { key: StoreKey; result: RequestResult }[]): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const { key, result } of entries) {
        this.putStatement.run(key.model, key.profile, key.task, key.docId, key.request, JSON.stringify(result), now);
      }
    })();
  }

  /** Number of stored results for a model and profile (all tasks). */
  count(model: string, profile: string): number {
    const row = this.db.prepare("SELECT COUNT(*) AS n FROM results WHERE model = ? AND profile = ?").get(model, profile) as { n: number };
    return row.n;
  }

  /** The sha256 of a file, from the store when its size and mtime are unchanged, else computed (streamed) and stored. */
  async fileSha256(path: string): Promise<string> {
    const absolute = resolve(path);
    const info = await stat(absolute).catch((error: unknown) => {
      throw new FileNotFoundError(absolute, { cause: error });
    });
    const known = this.db.prepare("SELECT sha256 FROM model_hashes WHERE path = ? AND size = ? AND mtime_ms = ?").get(absolute, info.size, info.mtimeMs) as
      | { sha256: string }
      | undefined;
    if (known) return known.sha256;
    const sha256 = await hashFile(absolute);
    this.db.prepare("INSERT OR REPLACE INTO model_hashes (path, size, mtime_ms, sha256) VALUES (?, ?, ?, ?)").run(absolute, info.size, info.mtimeMs, sha256);
    return sha256;
  }

  close(): void {
    this.db.close();
  }
}

/** sha256 of a file's bytes, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
