// Tests of the cache settings (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE) and the cache layout.
import { mkdtemp, readFile, readlink, rm, writeFile, mkdir } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeEtag } from "./api.js";
import { RepoCache, repoFolderName, resolveHubSettings } from "./cache.js";

describe("resolveHubSettings", () => {
  it("follows huggingface_hub's environment variables and defaults", () => {
    expect(resolveHubSettings({ env: {} })).toEqual({
      endpoint: "https://huggingface.co",
      token: undefined,
      cacheDir: join(homedir(), ".cache", "huggingface", "hub"),
      offline: false,
    });
    expect(resolveHubSettings({ env: { HF_HOME: "/h", HF_ENDPOINT: "http://mirror:8080/", HF_TOKEN: "t", HF_HUB_OFFLINE: "yes" } })).toEqual({
      endpoint: "http://mirror:8080",
      token: "t",
      cacheDir: "/h/hub",
      offline: true,
    });
    expect(resolveHubSettings({ env: { HF_HOME: "/h", HF_HUB_CACHE: "/c", XDG_CACHE_HOME: "/x" } }).cacheDir).toBe("/c");
    expect(resolveHubSettings({ env: { XDG_CACHE_HOME: "/x" } }).cacheDir).toBe("/x/huggingface/hub");
    expect(resolveHubSettings({ env: { HF_HUB_OFFLINE: "0" } }).offline).toBe(false);
    expect(resolveHubSettings({ env: { HF_HUB_CACHE: "/c" }, cacheDir: "/o", offline: true })).toMatchObject({ cacheDir: "/o", offline: true });
    expect(() => resolveHubSettings({ env: { HF_ENDPOINT: "huggingface.co" } })).toThrow(/HF_ENDPOINT/);
  });

  it("reads the token file huggingface-cli login writes", async () => {
    const home = await mkdtemp(join(tmpdir(), "dusk-hf-home-"));
    await writeFile(join(home, "token"), "hf_from_file\n");
    expect(resolveHubSettings({ env: { HF_HOME: home } }).token).toBe("hf_from_file");
    expect(resolveHubSettings({ env: { HF_HOME: home, HF_TOKEN: "hf_env" } }).token).toBe("hf_env");
    await rm(home, { recursive: true });
  });
});

describe("normalizeEtag", () => {
  it("strips quotes and the weak marker", () => {
    expect(normalizeEtag('"abc"')).toBe("abc");
    expect(normalizeEtag('W/"abc"')).toBe("abc");
    expect(normalizeEtag("abc")).toBe("abc");
    expect(normalizeEtag(undefined)).toBeUndefined();
  });
});

describe("RepoCache", () => {
  let cacheDir: string;
  const commit = "0123456789abcdef0123456789abcdef01234567";
  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), "dusk-cache-"));
  });
  afterAll(() => rm(cacheDir, { recursive: true, force: true }));

  it("names folders and links like huggingface_hub", async () => {
    expect(repoFolderName("TheBloke/SOLAR-10.7B-Instruct-v1.0-GGUF")).toBe("models--TheBloke--SOLAR-10.7B-Instruct-v1.0-GGUF");
    const cache = new RepoCache(cacheDir, "org/name");
    await mkdir(join(cache.folder, "blobs"), { recursive: true });
    await writeFile(cache.blobPath("e1"), "one");
    expect(await readlink(await cache.link("e1", commit, "a.json"))).toBe("../../blobs/e1");
    expect(await readlink(await cache.link("e1", commit, "deep/er/a.json"))).toBe("../../../../blobs/e1");
    await writeFile(cache.blobPath("e2"), "two");
    expect(await readFile(await cache.link("e2", commit, "a.json"), "utf8")).toBe("two");
    expect(await cache.listSnapshot(commit)).toEqual(["a.json", "deep/er/a.json"]);
  });

  it("records refs, nested ones too, and reads them back", async () => {
    const cache = new RepoCache(cacheDir, "org/name");
    await cache.writeRef("main", commit);
    await cache.writeRef("refs/pr/1", commit);
    await cache.writeRef(commit, commit);
    expect(await readFile(join(cache.folder, "refs", "main"), "utf8")).toBe(commit);
    expect(await cache.commitFor("refs/pr/1")).toBe(commit);
    expect(await cache.commitFor(commit)).toBe(commit);
    expect(await cache.commitFor("dev")).toBeUndefined();
  });
});
