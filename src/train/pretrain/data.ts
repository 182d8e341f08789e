// Pretraining data: texts (bundled corpora or files) tokenized once into a cached token file (uint16 or uint32
// little-endian + a JSON sidecar naming the tokenizer's sha256 and the sources), a held-out split (the last
// fraction of tokens), and deterministic batches: step s, micro-batch j draws its windows from an Rng seeded by
// (seed, s, j), so a resumed run sees exactly the batches an uninterrupted one would.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeAtomically } from "../../common/index.js";
import { Rng, type ModelBatch } from "../../engine/index.js";
import { readCorpus, type ByteLevelBpeTokenizer } from "../tokenizer/index.js";
import { CorpusTooSmallError } from "./errors.js";

/** The sidecar of a cached token file. */
export interface TokenCacheInfo {
  readonly version: 1;
  readonly tokenizerSha256: string;
  readonly sources: readonly { source: string; texts: number; characters: number; sha256: string }[];
  readonly tokens: number;
  readonly dtype: "uint16" | "uint32";
}

/** A tokenized corpus. */
export interface TokenCorpus {
  readonly tokens: Uint16Array | Uint32Array;
  readonly info: TokenCacheInfo;
  /** The token file. */
  readonly path: string;
  /** Whether it was read from the cache (false: tokenized now). */
  readonly cached: boolean;
}

/** sha256 of a tokenizer's vocabulary, merges and special-token settings. */
export function tokenizerSha256(tokenizer: ByteLevelBpeTokenizer): string {
  const { tokens, types, merges, bosId, eosId, addBos, addEos } = tokenizer.vocab;
  return createHash("sha256").update(JSON.stringify({ tokens, types, merges, bosId, eosId, addBos, addEos })).digest("hex");
}

/** Options of {@link loadTokenCorpus}. */
export interface LoadTokenCorpusOptions {
  /** Bundled corpus names and text files. */
  readonly sources: readonly string[];
  readonly tokenizer: ByteLevelBpeTokenizer;
  /** Folder of cached token files. Defaults to `.dusk-cache` in the working directory. */
  readonly cacheDir?: string;
}

/**
 * Tokenizes texts once (each text as `<s> text </s>`) and caches the tokens; later calls with the same tokenizer
 * and the same texts read the cache.
 */
export async function loadTokenCorpus({ sources, tokenizer, cacheDir = ".dusk-cache" }: LoadTokenCorpusOptions): Promise<TokenCorpus> {
  const read = await readCorpus(sources);
  const tokSha = tokenizerSha256(tokenizer);
  const described = read.map(({ source, texts }) => {
    const hash = createHash("sha256");
    for (const t of texts) hash.update(t).update("\u0000");
    return { source, texts: texts.length, characters: texts.reduce((n, t) => n + t.length, 0), sha256: hash.digest("hex") };
  });
  const key = createHash("sha256").update(JSON.stringify({ tokSha, described })).digest("hex").slice(0, 16);
  const folder = join(cacheDir, "tokens");
  const path = join(folder, `${key}.bin`);
  const sidecar = join(folder, `${key}.json`);
  const existing = await readFile(sidecar, "utf8").then((t) => JSON.parse(t) as TokenCacheInfo, () => undefined);
  if (existing !== undefined && existing.tokenizerSha256 === tokSha) {
    const bytes = await readFile(path).catch(() => undefined);
    const width = existing.dtype === "uint16" ? 2 : 4;
    if (bytes !== undefined && bytes.byteLength === existing.tokens * width) {
      const copy = new Uint8Array(bytes).buffer;
      const tokens = existing.dtype === "uint16" ? new Uint16Array(copy) : new Uint32Array(copy);
      return { tokens, info: existing, path, cached: true };
    }
  }
  const eos = tokenizer.vocab.eosId;
  const parts: number[][] = [];
  let total = 0;
  for (const { texts } of read) {
    for (const text of texts) {
      const ids = tokenizer.encode(text, { addBos: true, specialTokens: false });
      if (eos !== undefined) ids.push(eos);
      parts.push(ids);
      total += ids.length;
    }
  }
  const dtype = tokenizer.vocab.tokens.length <= 65536 ? "uint16" : "uint32";
  const tokens = dtype === "uint16" ? new Uint16Array(total) : new Uint32Array(total);
  let at = 0;
  for (const ids of parts) {
    tokens.set(ids, at);
    at += ids.length;
  }
  const info: TokenCacheInfo = { version: 1, tokenizerSha256: tokSha, sources: described, tokens: total, dtype };
  await mkdir(folder, { recursive: true });
  await writeAtomically(path, (tmp) => writeFile(tmp, new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength)));
  await writeAtomically(sidecar, (tmp) => writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`));
  return { tokens, info, path, cached: false };
}

/** Options of {@link TokenDataset}. */
export interface TokenDatasetOptions {
  /** Fraction of tokens (the last ones) held out for evaluation. Defaults to 0.05. */
  readonly heldOut?: number;
  readonly batchSize: number;
  readonly seqLen: number;
  /** Seed of the batch order. Defaults to 0. */
  readonly seed?: number;
}

/** Training and held-out windows over a token array. */
export class TokenDataset {
  readonly train: Uint16Array | Uint32Array;
  readonly heldOut: Uint16Array | Uint32Array;
  readonly batchSize: number;
  readonly seqLen: number;
  readonly seed: number;

  constructor(tokens: Uint16Array | Uint32Array, { heldOut = 0.05, batchSize, seqLen, seed = 0 }: TokenDatasetOptions) {
    const held = Math.floor(tokens.length * heldOut);
    this.train = tokens.subarray(0, tokens.length - held);
    this.heldOut = tokens.subarray(tokens.length - held);
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.seed = seed;
    if (this.train.length < seqLen + 2) {
      throw new CorpusTooSmallError(`expected at least ${seqLen + 2} training tokens for --seq-len ${seqLen} but the corpus has ${this.train.length}`);
    }
    if (heldOut > 0 && this.heldOut.length < seqLen + 1) {
      throw new CorpusTooSmallError(`expected at least ${seqLen + 1} held-out tokens but ${heldOut} of the corpus is ${this.heldOut.length}`);
    }
  }

  /** The training batch of micro-batch `micro` of optimizer step `step` (random windows, seeded by both). */
  batch(step: number, micro = 0): ModelBatch {
    const { batchSize: B, seqLen: T } = this;
    const rng = new Rng((((this.seed * 1_000_003) ^ (step * 8191 + micro * 131 + 17)) >>> 0) + 1);
    const tokens = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const span = this.train.length - T - 1;
    for (let b = 0; b < B; b++) {
      const start = rng.int(span + 1);
      for (let t = 0; t < T; t++) {
        tokens[b * T + t] = this.train[start + t] as number;
        targets[b * T + t] = this.train[start + t + 1] as number;
      }
    }
    return { tokens, targets, batchSize: B, seqLen: T };
  }

  /** Held-out batches: consecutive non-overlapping windows from the start of the held-out split, at most `maxBatches`. */
  evalBatches(maxBatches = 8): ModelBatch[] {
    const { batchSize: B, seqLen: T } = this;
    const windows = Math.floor((this.heldOut.length - 1) / T);
    const out: ModelBatch[] = [];
    for (let w = 0; w < windows && out.length < maxBatches; w += B) {
      const rows = Math.min(B, windows - w);
      const tokens = new Int32Array(rows * T);
      const targets = new Int32Array(rows * T);
      for (let r = 0; r < rows; r++) {
        const start = (w + r) * T;
        for (let t = 0; t < T; t++) {
          tokens[r * T + t] = this.heldOut[start + t] as number;
          targets[r * T + t] = this.heldOut[start + t + 1] as number;
        }
      }
      out.push({ tokens, targets, batchSize: rows, seqLen: T });
    }
    return out;
  }
}
