// GGUF files written by llama.cpp itself (../shared/data/gguf): they read correctly (known values, and llama.cpp's
// own token ids for its test strings decode back to those strings through the vocabulary we read) and round-trip
// byte-identically through dusk's writer. Skipped, with a note, when ../shared/data is absent.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GgufValueType } from "./constants.js";
import { openGguf, type GgufModel } from "./reader.js";
import { metadataArray, metadataNumber, metadataString, type GgufArray } from "./values.js";
import { writeGguf } from "./writer.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const dataDir = join(resolve(repoRoot, "../shared/data"), "gguf");
const present = existsSync(dataDir);
if (!present) console.warn(`[real-files.test] skipped: ${dataDir} is absent (the real llama.cpp GGUF files live in ../shared/data)`);

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "dusk-gguf-real-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** llama.cpp's tokenizer test cases: inputs separated by "\n__ggml_vocab_test__\n", one line of ids each. */
async function vocabTests(file: string): Promise<{ text: string; ids: number[] }[]> {
  const inputs = (await readFile(`${file}.inp`, "utf8")).split("\n__ggml_vocab_test__\n").slice(0, -1);
  const lines = (await readFile(`${file}.out`, "utf8")).split("\n").slice(0, -1);
  expect(lines).toHaveLength(inputs.length);
  return inputs.map((text, i) => ({ text, ids: lines[i]!.trim() === "" ? [] : lines[i]!.trim().split(" ").map(Number) }));
}

function stringItems(array: GgufArray | undefined): string[] {
  expect(array?.itemType).toBe(GgufValueType.STRING);
  const items = array!.items as unknown[];
  expect(items.every((item) => typeof item === "string")).toBe(true);
  return items as string[];
}

/** GPT-2's byte-level alphabet: printable Latin-1 bytes map to themselves, the others to U+0100 onwards in order. */
function gpt2ByteDecoder(): Map<string, number> {
  const decoder = new Map<string, number>();
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    decoder.set(String.fromCharCode(printable ? byte : next++), byte);
  }
  return decoder;
}

async function roundTrip(model: GgufModel, original: string): Promise<void> {
  const copy = join(tmp, "copy.gguf");
  await writeGguf(copy, {
    version: model.version,
    metadata: model.metadata,
    tensors: model.tensors.map((t) => ({ name: t.name, type: t.ggmlType, dims: t.dims, data: () => model.streamTensor(t.name) })),
  });
  const [a, b] = await Promise.all([readFile(original), readFile(copy)]);
  expect(b.length).toBe(a.length);
  expect(b.equals(a)).toBe(true);
}

describe.skipIf(!present)("GGUF files written by llama.cpp", () => {
  it("reads ggml-vocab-llama-spm.gguf (the Llama 2 / SOLAR tokenizer) and round-trips it byte-identically", async () => {
    const path = join(dataDir, "ggml-vocab-llama-spm.gguf");
    const model = await openGguf(path);
    try {
      expect(model.version).toBe(3);
      expect(model.architecture).toBe("llama");
      expect(model.tensors).toHaveLength(0);
      expect(metadataString(model.metadata, "tokenizer.ggml.model")).toBe("llama");
      expect(metadataNumber(model.metadata, "llama.block_count")).toBe(32);
      expect(metadataNumber(model.metadata, "tokenizer.ggml.bos_token_id")).toBe(1);
      expect(metadataNumber(model.metadata, "tokenizer.ggml.eos_token_id")).toBe(2);
      const tokens = stringItems(metadataArray(model.metadata, "tokenizer.ggml.tokens"));
      expect(tokens).toHaveLength(32000);
      expect([tokens[0], tokens[1], tokens[2], tokens[13], tokens[15043], tokens[3186], tokens[29871]]).toEqual(["<unk>", "<s>", "</s>", "<0x0A>", "▁Hello", "▁world", "▁"]);
      expect(metadataArray(model.metadata, "tokenizer.ggml.scores")?.items).toHaveLength(32000);
      const types = metadataArray(model.metadata, "tokenizer.ggml.token_type");
      expect(types?.itemType).toBe(GgufValueType.INT32);
      expect([types!.items[0], types!.items[1], types!.items[13], types!.items[15043]]).toEqual([2, 3, 6, 1]);

      // llama.cpp's ids for its own test strings decode back to " " + text through the vocabulary we read.
      for (const { text, ids } of await vocabTests(path)) {
        const bytes: number[] = [];
        for (const id of ids) {
          const piece = tokens[id]!;
          const byte = /^<0x([0-9A-F]{2})>$/.exec(piece);
          if (byte) bytes.push(parseInt(byte[1]!, 16));
          else bytes.push(...Buffer.from(piece.replaceAll("▁", " "), "utf8"));
        }
        expect(Buffer.from(bytes).toString("utf8")).toBe(text === "" ? "" : ` ${text}`);
      }
      await roundTrip(model, path);
    } finally {
      await model.close();
    }
  });

  it("reads ggml-vocab-gpt-2.gguf (50257 tokens, 50000 merges) and round-trips it byte-identically", async () => {
    const path = join(dataDir, "ggml-vocab-gpt-2.gguf");
    const model = await openGguf(path);
    try {
      expect(model.architecture).toBe("gpt2");
      expect(metadataString(model.metadata, "tokenizer.ggml.model")).toBe("gpt2");
      expect(metadataNumber(model.metadata, "gpt2.context_length")).toBe(1024);
      expect(metadataNumber(model.metadata, "tokenizer.ggml.eos_token_id")).toBe(50256);
      const tokens = stringItems(metadataArray(model.metadata, "tokenizer.ggml.tokens"));
      expect(tokens).toHaveLength(50257);
      expect([tokens[0], tokens[11], tokens[995], tokens[15496], tokens[50256]]).toEqual(["!", ",", "Ġworld", "Hello", "<|endoftext|>"]);
      const merges = stringItems(metadataArray(model.metadata, "tokenizer.ggml.merges"));
      expect(merges).toHaveLength(50000);
      expect(merges.slice(0, 2)).toEqual(["Ġ t", "Ġ a"]);

      const byteOf = gpt2ByteDecoder();
      for (const { text, ids } of await vocabTests(path)) {
        const bytes = ids.flatMap((id) => [...tokens[id]!].map((char) => byteOf.get(char)!));
        expect(Buffer.from(bytes).toString("utf8")).toBe(text);
      }
      await roundTrip(model, path);
    } finally {
      await model.close();
    }
  });
});
