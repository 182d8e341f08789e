// The results store: keyed round trips, replacement, model hashes remembered by (path, size, mtime).
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ResultsStore, defaultStorePath, requestHash } from "./store.js";

const dir = mkdtempSync(join(tmpdir(), "dusk-eval-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ResultsStore", () => {
  it("stores and finds results by model, profile, task, doc and request; survives reopening", async () => {
    const path = join(dir, "results.sqlite");
    const key = { model: "abc", profile: "leaderboard-v1", task: "arc_challenge", docId: 3, request: requestHash({ context: "Q", continuation: " A" }) };
    let store = await ResultsStore.open(path);
    expect(store.get(key)).toBeUndefined();
    store.putMany([{ key, result: { kind: "loglikelihood", logprob: -1.5, isGreedy: false, tokenCount: 2 } }]);
    store.putMany([{ key: { ...key, docId: 4 }, result: { kind: "generate", text: "#### 4" } }]);
    store.close();
    store = await ResultsStore.open(path);
    expect(store.get(key)).toEqual({ kind: "loglikelihood", logprob: -1.5, isGreedy: false, tokenCount: 2 });
    expect(store.get({ ...key, docId: 4 })).toEqual({ kind: "generate", text: "#### 4" });
    expect(store.get({ ...key, profile: "lm-eval-0.4" })).toBeUndefined();
    expect(store.get({ ...key, request: requestHash({ context: "Q", continuation: " B" }) })).toBeUndefined();
    expect(store.count("abc", "leaderboard-v1")).toBe(2);
    store.close();
  });

  it("hashes a model file once and again when it changes", async () => {
    const store = await ResultsStore.open(":memory:");
    const file = join(dir, "model.gguf");
    writeFileSync(file, "first");
    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    expect(await store.fileSha256(file)).toBe(sha("first"));
    writeFileSync(file, "second!");
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await store.fileSha256(file)).toBe(sha("second!"));
    store.close();
  });

  it("lives under $DUSK_CACHE_DIR, else the XDG cache", () => {
    expect(defaultStorePath({ DUSK_CACHE_DIR: "/c" })).toBe(join("/c", "eval-results.sqlite"));
    expect(defaultStorePath({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "dusk", "eval-results.sqlite"));
  });
});
