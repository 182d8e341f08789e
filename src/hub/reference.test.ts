// Tests of model-reference parsing: Hub ids with file, quantization and revision; URLs; local paths.
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidHubReferenceError } from "./errors.js";
import { formatHubReference, isHubReference, isSafeRepoPath, parseHubReference, parseModelReference } from "./reference.js";

describe("parseHubReference", () => {
  it("reads org/name with a quantization, a file and a revision in either order", () => {
    expect(parseHubReference("TheBloke/SOLAR-10.7B-Instruct-v1.0-GGUF")).toEqual({ kind: "hub", repo: "TheBloke/SOLAR-10.7B-Instruct-v1.0-GGUF" });
    expect(parseHubReference("org/name:Q4_K_M")).toEqual({ kind: "hub", repo: "org/name", selector: { kind: "quant", quant: "Q4_K_M" } });
    expect(parseHubReference("org/name:solar.Q2_K.gguf@v1.0")).toEqual({
      kind: "hub",
      repo: "org/name",
      selector: { kind: "file", path: "solar.Q2_K.gguf" },
      revision: "v1.0",
    });
    expect(parseHubReference("org/name@refs/pr/3:sub/x.gguf")).toEqual({
      kind: "hub",
      repo: "org/name",
      selector: { kind: "file", path: "sub/x.gguf" },
      revision: "refs/pr/3",
    });
    expect(parseHubReference("org/name:UD-Q4_K_XL").selector).toEqual({ kind: "quant", quant: "UD-Q4_K_XL" });
  });

  it("reads Hub URLs and hf.co prefixes", () => {
    expect(parseHubReference("https://huggingface.co/org/name/resolve/main/a%20b.gguf?download=true")).toEqual({
      kind: "hub",
      repo: "org/name",
      revision: "main",
      selector: { kind: "file", path: "a b.gguf" },
    });
    expect(parseHubReference("hf.co/org/name:Q8_0")).toMatchObject({ repo: "org/name", selector: { kind: "quant", quant: "Q8_0" } });
    expect(parseHubReference("https://huggingface.co/org/name/tree/dev")).toEqual({ kind: "hub", repo: "org/name", revision: "dev" });
  });

  it("refuses malformed ids, unsafe paths and revisions with a typed error", () => {
    for (const bad of ["name-only", "org/na--me", "-org/name", "org/name:", "org/name@", "org/name:../x.gguf", "org/name@../../etc", "org/name:Q4 K", "org/name:a:b", "org/name@x@y:f.gguf@z"]) {
      expect(() => parseHubReference(bad), bad).toThrow(InvalidHubReferenceError);
    }
  });

  it("formats back to the same text", () => {
    for (const text of ["org/name", "org/name:Q4_K_M", "org/name:dir/f.gguf@abc"]) expect(formatHubReference(parseHubReference(text))).toBe(text);
  });
});

describe("parseModelReference", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "dusk-ref-"));
    await mkdir(join(folder, "org", "name"), { recursive: true });
    await writeFile(join(folder, "org", "name", "config.json"), "{}");
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it("treats paths as local and org/name as the Hub", () => {
    const cwd = folder;
    expect(parseModelReference("./model.gguf", { cwd })).toEqual({ kind: "local", path: join(folder, "model.gguf") });
    expect(parseModelReference("models/tiny.gguf", { cwd })).toEqual({ kind: "local", path: join(folder, "models", "tiny.gguf") });
    expect(parseModelReference("~/m.gguf", { cwd })).toEqual({ kind: "local", path: join(homedir(), "m.gguf") });
    expect(parseModelReference("/abs/ckpt", { cwd })).toEqual({ kind: "local", path: "/abs/ckpt" });
    expect(parseModelReference("org/other:x.gguf", { cwd })).toMatchObject({ kind: "hub", repo: "org/other" });
    expect(parseModelReference("plainname", { cwd })).toEqual({ kind: "local", path: join(folder, "plainname") });
  });

  it("prefers an existing folder over a Hub id of the same spelling", () => {
    expect(parseModelReference("org/name", { cwd: folder })).toEqual({ kind: "local", path: join(folder, "org", "name") });
    expect(isHubReference("org/name", { cwd: folder })).toBe(false);
    expect(isHubReference("org/absent", { cwd: folder })).toBe(true);
  });
});

describe("isSafeRepoPath", () => {
  it("accepts nested relative paths and refuses climbing, absolute and empty segments", () => {
    expect(isSafeRepoPath("a/b/c.gguf")).toBe(true);
    for (const bad of ["", "/a", "a/../b", "./a", "a//b", "a\\b"]) expect(isSafeRepoPath(bad), bad).toBe(false);
  });
});
