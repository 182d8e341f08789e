// The Hub test suite: `pull` against a local fake Hub (test/support/fake-hub.ts), checking the cache layout on disk
// byte for byte, cached hits, resume after a cut connection, checksum and size mismatches, offline mode, gated repos
// with and without HF_TOKEN, and quantization and split-GGUF selection. No real network anywhere.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ChecksumMismatchError,
  DownloadInterruptedError,
  HubAuthError,
  HubNotFoundError,
  HubOfflineError,
  HubUnreachableError,
  NoMatchingFilesError,
  SizeMismatchError,
  pull,
  resolveModelReference,
  type PullOptions,
} from "../src/hub/index.js";
import { FakeHub, gitBlobSha1, sha256 } from "./support/fake-hub.js";

/** A GGUF-looking file: the magic, a version, then random bytes. */
function ggufBytes(size: number): Buffer {
  const bytes = randomBytes(size);
  bytes.write("GGUF", 0, "latin1");
  bytes.writeUInt32LE(3, 4);
  return bytes;
}

const GGUF_REPO = "test-org/tiny-GGUF";
const CHECKPOINT_REPO = "test-org/tiny-checkpoint";
const GATED_REPO = "test-org/gated-GGUF";
const TOKEN = "hf_fake_token_for_tests";

const gguf = {
  q4km: ggufBytes(300_000),
  q4kml: ggufBytes(2_000),
  q8: ggufBytes(5_000),
  iq4: ggufBytes(1_000),
  f16: [ggufBytes(3_000), ggufBytes(3_000), ggufBytes(1_500)],
  mmproj: ggufBytes(800),
};
const checkpoint = {
  config: Buffer.from(JSON.stringify({ architectures: ["LlamaForCausalLM"], hidden_size: 8, num_hidden_layers: 2 })),
  tokenizer: Buffer.from(JSON.stringify({ version: "1.0", model: { type: "BPE", vocab: { a: 0, b: 1 } } })),
  tokenizerConfig: Buffer.from(JSON.stringify({ bos_token: "<s>" })),
  index: Buffer.from(JSON.stringify({ weight_map: { "a.weight": "model-00001-of-00002.safetensors" } })),
  shard1: randomBytes(4_000),
  shard2: randomBytes(3_000),
  original: randomBytes(2_500),
  bin: randomBytes(1_000),
};

/** Byte equality through digests: vitest's deep equality walks a Buffer element by element, which is slow. */
function expectBytes(actual: Buffer, expected: Buffer | undefined): void {
  expect(actual.length).toBe(expected?.length);
  expect(sha256(actual)).toBe(sha256(expected ?? Buffer.alloc(0)));
}

let hub: FakeHub;
let cacheDir: string;
let scratch: string;

/** Options for a pull against the fake Hub into this test's cache, with an empty environment (no real HF_TOKEN etc.). */
function options(extra: PullOptions = {}, env: NodeJS.ProcessEnv = {}): PullOptions {
  return { env: { HF_ENDPOINT: hub.endpoint, HF_HOME: join(scratch, "hf-home"), ...env }, cacheDir, quiet: true, retryDelayMs: 5, ...extra };
}

function repoFolder(repo: string): string {
  return join(cacheDir, `models--${repo.replace("/", "--")}`);
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dusk-hub-"));
  hub = await FakeHub.start([
    {
      id: GGUF_REPO,
      files: [
        { path: "README.md", bytes: Buffer.from("# tiny\nA tiny GGUF repository for tests.\n") },
        { path: "tiny.Q4_K_M.gguf", bytes: gguf.q4km },
        { path: "tiny.Q4_K_M_L.gguf", bytes: gguf.q4kml },
        { path: "tiny.Q8_0.gguf", bytes: gguf.q8 },
        { path: "tiny.IQ4_XS.gguf", bytes: gguf.iq4 },
        { path: "tiny-F16-00001-of-00003.gguf", bytes: gguf.f16[0] ?? Buffer.alloc(0) },
        { path: "tiny-F16-00002-of-00003.gguf", bytes: gguf.f16[1] ?? Buffer.alloc(0) },
        { path: "tiny-F16-00003-of-00003.gguf", bytes: gguf.f16[2] ?? Buffer.alloc(0) },
        { path: "mmproj-tiny-F16.gguf", bytes: gguf.mmproj },
      ],
    },
    {
      id: CHECKPOINT_REPO,
      files: [
        { path: "README.md", bytes: Buffer.from("# checkpoint\n") },
        { path: "config.json", bytes: checkpoint.config },
        { path: "tokenizer.json", bytes: checkpoint.tokenizer },
        { path: "tokenizer_config.json", bytes: checkpoint.tokenizerConfig },
        { path: "model.safetensors.index.json", bytes: checkpoint.index },
        { path: "model-00001-of-00002.safetensors", bytes: checkpoint.shard1 },
        { path: "model-00002-of-00002.safetensors", bytes: checkpoint.shard2 },
        { path: "original/consolidated.safetensors", bytes: checkpoint.original },
        { path: "pytorch_model.bin", bytes: checkpoint.bin },
      ],
    },
    { id: GATED_REPO, access: "gated", token: TOKEN, files: [{ path: "gated.Q4_K_M.gguf", bytes: gguf.q8 }] },
  ]);
});

afterAll(async () => {
  await hub.close();
  await rm(scratch, { recursive: true, force: true });
});

beforeEach(async () => {
  cacheDir = await mkdtemp(join(scratch, "cache-"));
  hub.requests.length = 0;
  hub.faults.cutOnce.clear();
  hub.faults.corrupt.clear();
  hub.faults.truncate.clear();
  hub.faults.ignoreRange = false;
  hub.faults.listWithoutBlobs = false;
});

describe("fresh download", () => {
  it("writes blobs, relative snapshot links and refs/main exactly as huggingface_hub does", async () => {
    const result = await pull(`${GGUF_REPO}:Q4_K_M`, options());
    const commit = hub.commitOf(GGUF_REPO);
    const etag = sha256(gguf.q4km);
    expect(etag).toBe(hub.etagOf(GGUF_REPO, "tiny.Q4_K_M.gguf"));
    expect(result).toMatchObject({ repo: GGUF_REPO, revision: "main", commit, offline: false });
    expect(result.files.map((file) => [file.path, file.size, file.downloaded])).toEqual([["tiny.Q4_K_M.gguf", gguf.q4km.length, true]]);

    const folder = repoFolder(GGUF_REPO);
    expect(await readFile(join(folder, "refs", "main"), "utf8")).toBe(commit);
    expect(await readdir(join(folder, "blobs"))).toEqual([etag]);
    expectBytes(await readFile(join(folder, "blobs", etag)), gguf.q4km);
    const pointer = join(folder, "snapshots", commit, "tiny.Q4_K_M.gguf");
    expect(result.files[0]?.localPath).toBe(pointer);
    expect(result.snapshotPath).toBe(join(folder, "snapshots", commit));
    expect(await readlink(pointer)).toBe(`../../blobs/${etag}`);
    expectBytes(await readFile(pointer), gguf.q4km);
    expect(hub.downloads("tiny.Q4_K_M.gguf")).toBe(1);
    // The LFS file came from the CDN origin after a 302, and the Hub's resolve URL was asked by commit.
    expect(hub.requests.some((request) => request.server === "cdn" && request.servedFile === "tiny.Q4_K_M.gguf")).toBe(true);
    expect(hub.requests.some((request) => request.path === `/${GGUF_REPO}/resolve/${commit}/tiny.Q4_K_M.gguf` && request.status === 302)).toBe(true);
  });

  it("pulls a safetensors checkpoint folder with its config and tokenizer files (git-sha1 blobs for small files)", async () => {
    const result = await pull(CHECKPOINT_REPO, options());
    expect(result.files.map((file) => file.path)).toEqual([
      "config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "original/consolidated.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    const folder = repoFolder(CHECKPOINT_REPO);
    const configEtag = gitBlobSha1(checkpoint.config);
    expect(configEtag).toMatch(/^[0-9a-f]{40}$/);
    expectBytes(await readFile(join(folder, "blobs", configEtag)), checkpoint.config);
    const snapshot = result.snapshotPath;
    expect(await readlink(join(snapshot, "config.json"))).toBe(`../../blobs/${configEtag}`);
    expect(await readlink(join(snapshot, "original", "consolidated.safetensors"))).toBe(`../../../blobs/${sha256(checkpoint.original)}`);
    expectBytes(await readFile(join(snapshot, "model-00002-of-00002.safetensors")), checkpoint.shard2);
    expect(existsSync(join(snapshot, "pytorch_model.bin"))).toBe(false);
    expect(existsSync(join(snapshot, "README.md"))).toBe(false);

    const resolved = await resolveModelReference(CHECKPOINT_REPO, options());
    expect(resolved.path).toBe(snapshot);
  });

  it("uses HEAD metadata (X-Linked-Etag, X-Linked-Size) when the file list has no blob ids", async () => {
    hub.faults.listWithoutBlobs = true;
    const result = await pull(`${GGUF_REPO}:tiny.Q8_0.gguf`, options());
    expect(hub.requests.filter((request) => request.method === "HEAD")).toHaveLength(1);
    expect(await readlink(result.files[0]?.localPath ?? "")).toBe(`../../blobs/${sha256(gguf.q8)}`);
    expect(result.files[0]?.size).toBe(gguf.q8.length);
  });
});

describe("cached hit", () => {
  it("downloads nothing the second time", async () => {
    await pull(`${GGUF_REPO}:Q4_K_M`, options());
    hub.requests.length = 0;
    const again = await pull(`${GGUF_REPO}:Q4_K_M`, options());
    expect(again.files[0]?.downloaded).toBe(false);
    expect(hub.downloads()).toBe(0);
  });

  it("downloads a blob once when two pulls of the same file run at the same time", async () => {
    const [first, second] = await Promise.all([pull(`${GGUF_REPO}:Q4_K_M`, options()), pull(`${GGUF_REPO}:tiny.Q4_K_M.gguf`, options())]);
    expect(hub.downloads("tiny.Q4_K_M.gguf")).toBe(1);
    expect(first.files[0]?.localPath).toBe(second.files[0]?.localPath);
    expect([first.files[0]?.downloaded, second.files[0]?.downloaded].sort()).toEqual([false, true]);
    expect(existsSync(join(cacheDir, ".locks", `models--${GGUF_REPO.replace("/", "--")}`, `${sha256(gguf.q4km)}.dusk.lock`))).toBe(false);
  });

  it("pulls by commit without writing a ref for it", async () => {
    const commit = hub.commitOf(GGUF_REPO);
    const result = await pull(`${GGUF_REPO}:Q8_0@${commit}`, options());
    expect(result).toMatchObject({ revision: commit, commit });
    expect(existsSync(join(repoFolder(GGUF_REPO), "refs"))).toBe(false);
    expect(existsSync(result.files[0]?.localPath ?? "")).toBe(true);
  });

  it("reuses a cache written by another tool (hand-made huggingface_hub layout) without downloading", async () => {
    const commit = hub.commitOf(GGUF_REPO);
    const etag = sha256(gguf.q8);
    const folder = repoFolder(GGUF_REPO);
    await mkdir(join(folder, "blobs"), { recursive: true });
    await mkdir(join(folder, "snapshots", commit), { recursive: true });
    await mkdir(join(folder, "refs"), { recursive: true });
    await writeFile(join(folder, "blobs", etag), gguf.q8);
    await symlink(`../../blobs/${etag}`, join(folder, "snapshots", commit, "tiny.Q8_0.gguf"));
    await writeFile(join(folder, "refs", "main"), commit);

    const resolved = await resolveModelReference(`${GGUF_REPO}:Q8_0`, options());
    expect(resolved.path).toBe(join(folder, "snapshots", commit, "tiny.Q8_0.gguf"));
    expect(hub.downloads()).toBe(0);
  });
});

describe("resume and verification", () => {
  it("resumes with Range after the server cuts the connection mid-body", async () => {
    hub.faults.cutOnce.add("tiny.Q4_K_M.gguf");
    const result = await pull(`${GGUF_REPO}:Q4_K_M`, options());
    const served = hub.requests.filter((request) => request.servedFile === "tiny.Q4_K_M.gguf");
    expect(served).toHaveLength(2);
    expect(served[0]?.headers.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(served[1]?.headers.range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(gguf.q4km.length);
    expect(served[1]?.status).toBe(206);
    expectBytes(await readFile(result.files[0]?.localPath ?? ""), gguf.q4km);
  });

  it("keeps the partial blob when retries run out, and the next pull resumes it", async () => {
    hub.faults.cutOnce.add("tiny.Q4_K_M.gguf");
    const error = await pull(`${GGUF_REPO}:Q4_K_M`, options({ retries: 0 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownloadInterruptedError);
    const incomplete = join(repoFolder(GGUF_REPO), "blobs", `${sha256(gguf.q4km)}.incomplete`);
    const partial = await readFile(incomplete);
    expect(partial.length).toBeGreaterThan(0);
    expectBytes(partial, gguf.q4km.subarray(0, partial.length));

    const result = await pull(`${GGUF_REPO}:Q4_K_M`, options());
    const last = hub.requests.filter((request) => request.servedFile === "tiny.Q4_K_M.gguf").at(-1);
    expect(last?.headers.range).toBe(`bytes=${partial.length}-`);
    expectBytes(await readFile(result.files[0]?.localPath ?? ""), gguf.q4km);
    expect(existsSync(incomplete)).toBe(false);
  });

  it("restarts from zero when the server ignores Range and answers 200", async () => {
    const incomplete = join(repoFolder(GGUF_REPO), "blobs", `${sha256(gguf.q8)}.incomplete`);
    await mkdir(join(repoFolder(GGUF_REPO), "blobs"), { recursive: true });
    await writeFile(incomplete, Buffer.from("these are not the right bytes"));
    hub.faults.ignoreRange = true;
    const result = await pull(`${GGUF_REPO}:Q8_0`, options());
    expect(hub.requests.find((request) => request.servedFile === "tiny.Q8_0.gguf")?.headers.range).toBe("bytes=29-");
    expectBytes(await readFile(result.files[0]?.localPath ?? ""), gguf.q8);
  });

  it("deletes the partial and throws a typed error when the sha256 does not match", async () => {
    hub.faults.corrupt.add("tiny.Q8_0.gguf");
    const error = await pull(`${GGUF_REPO}:Q8_0`, options()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as ChecksumMismatchError).message).toContain("the partial download was deleted");
    expect((error as ChecksumMismatchError).expected).toBe(sha256(gguf.q8));
    const blobs = join(repoFolder(GGUF_REPO), "blobs");
    expect(await readdir(blobs)).toEqual([]);
    expect(existsSync(join(repoFolder(GGUF_REPO), "snapshots", hub.commitOf(GGUF_REPO), "tiny.Q8_0.gguf"))).toBe(false);
  });

  it("checks small files against their git blob sha1 too", async () => {
    hub.faults.corrupt.add("config.json");
    await expect(pull(`${CHECKPOINT_REPO}:config.json`, options())).rejects.toMatchObject({ code: "HUB_CHECKSUM_MISMATCH", algorithm: "git-sha1" });
  });

  it("deletes the partial and throws a typed error when the size does not match", async () => {
    hub.faults.truncate.add("tiny.Q8_0.gguf");
    const error = await pull(`${GGUF_REPO}:Q8_0`, options()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SizeMismatchError);
    expect(error).toMatchObject({ expected: gguf.q8.length, actual: gguf.q8.length - 1 });
    expect(await readdir(join(repoFolder(GGUF_REPO), "blobs"))).toEqual([]);
  });
});

describe("offline mode", () => {
  it("serves a cached file with HF_HUB_OFFLINE=1 and sends no request", async () => {
    const online = await pull(`${GGUF_REPO}:Q4_K_M`, options());
    hub.requests.length = 0;
    const offline = await pull(`${GGUF_REPO}:Q4_K_M`, options({}, { HF_HUB_OFFLINE: "1" }));
    expect(offline).toMatchObject({ offline: true, commit: online.commit });
    expect(offline.files.map((file) => [file.path, file.localPath, file.size])).toEqual(online.files.map((file) => [file.path, file.localPath, file.size]));
    expect(hub.requests).toHaveLength(0);
  });

  it("says which file is missing when it is not cached", async () => {
    await pull(`${GGUF_REPO}:Q4_K_M`, options());
    hub.requests.length = 0;
    const missingFile = await pull(`${GGUF_REPO}:tiny.Q8_0.gguf`, options({}, { HF_HUB_OFFLINE: "1" })).catch((caught: unknown) => caught);
    expect(missingFile).toBeInstanceOf(HubOfflineError);
    expect((missingFile as HubOfflineError).message).toContain("tiny.Q8_0.gguf");
    expect((missingFile as HubOfflineError).message).toContain("HF_HUB_OFFLINE=1");

    const neverPulled = await pull(`${CHECKPOINT_REPO}`, options({}, { HF_HUB_OFFLINE: "1" })).catch((caught: unknown) => caught);
    expect(neverPulled).toBeInstanceOf(HubOfflineError);
    expect((neverPulled as HubOfflineError).message).toContain("refs/main");
    expect(hub.requests).toHaveLength(0);
  });

  it("falls back to the cache when the Hub is unreachable, and says so when the cache lacks the file", async () => {
    await pull(`${GGUF_REPO}:Q4_K_M`, options());
    const closed = { HF_ENDPOINT: "http://127.0.0.1:9" };
    const fromCache = await pull(`${GGUF_REPO}:Q4_K_M`, options({}, closed));
    expect(fromCache.offline).toBe(true);
    await expect(pull(`${GGUF_REPO}:Q8_0`, options({}, closed))).rejects.toBeInstanceOf(HubUnreachableError);
  });
});

describe("gated repositories", () => {
  it("fails with a typed 401 error without a token and succeeds with HF_TOKEN (not sent to the CDN)", async () => {
    const denied = await pull(GATED_REPO, options()).catch((caught: unknown) => caught);
    expect(denied).toBeInstanceOf(HubAuthError);
    expect(denied).toMatchObject({ status: 401, tokenSent: false });
    expect((denied as HubAuthError).hint).toContain("HF_TOKEN");

    const wrong = await pull(GATED_REPO, options({}, { HF_TOKEN: "hf_wrong" })).catch((caught: unknown) => caught);
    expect(wrong).toMatchObject({ code: "HUB_UNAUTHORIZED", tokenSent: true });

    hub.requests.length = 0;
    const result = await pull(GATED_REPO, options({}, { HF_TOKEN: TOKEN }));
    expectBytes(await readFile(result.files[0]?.localPath ?? ""), gguf.q8);
    const resolve = hub.requests.find((request) => request.server === "hub" && request.path.includes("/resolve/"));
    expect(resolve?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const cdn = hub.requests.filter((request) => request.server === "cdn");
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((request) => request.headers.authorization === undefined)).toBe(true);
  });
});

describe("selection", () => {
  it(":Q4_K_M picks the whole-token match only", async () => {
    const result = await pull(`${GGUF_REPO}:q4_k_m`, options());
    expect(result.files.map((file) => file.path)).toEqual(["tiny.Q4_K_M.gguf"]);
  });

  it(":F16 picks every part of the split GGUF (not the mmproj) and resolves to the first part", async () => {
    const resolved = await resolveModelReference(`${GGUF_REPO}:F16`, options());
    const paths = resolved.pull?.files.map((file) => file.path);
    expect(paths).toEqual(["tiny-F16-00001-of-00003.gguf", "tiny-F16-00002-of-00003.gguf", "tiny-F16-00003-of-00003.gguf"]);
    expect(resolved.path).toBe(resolved.pull?.files[0]?.localPath);
    for (const [index, file] of (resolved.pull?.files ?? []).entries()) expectBytes(await readFile(file.localPath), gguf.f16[index]);
  });

  it("naming one part of a split GGUF brings all parts", async () => {
    const result = await pull(`${GGUF_REPO}:tiny-F16-00002-of-00003.gguf`, options());
    expect(result.files).toHaveLength(3);
  });

  it("--include globs add files (fnmatch, * crosses folders)", async () => {
    const result = await pull(CHECKPOINT_REPO, options({ include: ["*.bin"] }));
    expect(result.files.map((file) => file.path)).toEqual(["pytorch_model.bin"]);
  });

  it("reports unknown quantizations, files, repositories and revisions with typed errors", async () => {
    const quant = await pull(`${GGUF_REPO}:Q5_K_S`, options()).catch((caught: unknown) => caught);
    expect(quant).toBeInstanceOf(NoMatchingFilesError);
    expect((quant as Error).message).toContain("Q4_K_M");
    const file = await pull(`${GGUF_REPO}:tiny.Q4_K_S.gguf`, options()).catch((caught: unknown) => caught);
    expect(file).toBeInstanceOf(HubNotFoundError);
    expect((file as HubNotFoundError).closeMatches).toContain("tiny.Q4_K_M.gguf");
    await expect(pull("test-org/no-such-repo", options())).rejects.toMatchObject({ code: "HUB_NOT_FOUND", kind: "repo" });
    await expect(pull(`${GGUF_REPO}:Q4_K_M@v9`, options())).rejects.toMatchObject({ code: "HUB_NOT_FOUND", kind: "revision" });
  });

  it("passes local paths through and reports missing ones", async () => {
    const local = join(scratch, "local.gguf");
    await writeFile(local, gguf.iq4);
    expect(await resolveModelReference(local, options())).toMatchObject({ source: "local", path: local });
    await expect(resolveModelReference(join(scratch, "missing.gguf"), options())).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
    expect(hub.requests).toHaveLength(0);
  });
});

