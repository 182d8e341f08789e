// `dusk convert` refusing what it cannot convert, before writing anything: a non-Llama config or GGUF, a tokenizer
// it cannot read (or none), quantized GGUF types other than Q8_0, Q8_0 rows that do not fit its blocks, tensors
// that do not match the config, and output paths of the wrong kind; plus the command line's output.
import { readdir, readFile, rm, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register as registerConvert } from "../src/cli/commands/convert.js";
import { DuskError } from "../src/common/index.js";
import { convertModel, vocabFromGgufMetadata } from "../src/convert/index.js";
import { gguf, saveSafetensors, writeGguf } from "../src/formats/index.js";
import { makeTinyModel } from "../src/tiny/index.js";
import { ggufMetadata } from "./support/convert-check.js";
import { runCommand } from "./support/cli.js";

let dir: string;
let folder: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-convert-errors-"));
  folder = join(dir, "tiny");
  await makeTinyModel({ output: folder, layers: 1, seed: 1 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the tiny checkpoint with some files replaced (undefined removes a file). */
async function variant(name: string, files: Record<string, string | undefined>): Promise<string> {
  const copy = join(dir, name);
  await rm(copy, { recursive: true, force: true });
  await (await import("node:fs/promises")).cp(folder, copy, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    if (text === undefined) await rm(join(copy, file));
    else await writeFile(join(copy, file), text);
  }
  return copy;
}

async function expectRefused(input: string, code: string, message: string | RegExp, options: { type?: string } = {}): Promise<void> {
  const output = join(dir, `out-${code}-${Math.random().toString(36).slice(2)}${/\.gguf$/.test(input) ? "" : ".gguf"}`);
  const error = await convertModel({ input, output, ...options }).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DuskError);
  expect((error as DuskError).code).toBe(code);
  expect((error as DuskError).message).toMatch(message);
  expect((error as DuskError).hint).toBeTruthy();
  expect((await readdir(dir)).filter((f) => f.startsWith(`out-${code}`) || f.includes(".tmp"))).toEqual([]);
}

describe("dusk convert refuses", () => {
  it("a config that is not a Llama model", async () => {
    const config = JSON.parse(await readFile(join(folder, "config.json"), "utf8")) as Record<string, unknown>;
    const neox = await variant("neox", { "config.json": JSON.stringify({ ...config, model_type: "gpt_neox", architectures: ["GPTNeoXForCausalLM"] }) });
    await expectRefused(neox, "CONVERT_ARCHITECTURE", 'found model_type "gpt_neox"');
    const scaled = await variant("scaled", { "config.json": JSON.stringify({ ...config, rope_scaling: { rope_type: "llama3", factor: 8 } }) });
    await expectRefused(scaled, "CONVERT_CONFIG", "expected rope_scaling to be null or linear");
  });

  it("a tokenizer it cannot read, or none", async () => {
    await expectRefused(await variant("no-tokenizer", { "tokenizer.gguf": undefined }), "CONVERT_TOKENIZER", "expected tokenizer.gguf or tokenizer.json");
    const wordpiece = await variant("wordpiece", { "tokenizer.gguf": undefined, "tokenizer.json": JSON.stringify({ model: { type: "WordPiece", vocab: { a: 0 } } }) });
    await expectRefused(wordpiece, "CONVERT_TOKENIZER", 'found model type "WordPiece"');
  });

  it("a vocab_size that disagrees with the embedding, a tokenizer larger than it; pads a smaller one as llama.cpp does", async () => {
    const config = JSON.parse(await readFile(join(folder, "config.json"), "utf8")) as { vocab_size: number };
    const small = await variant("small-vocab", { "config.json": JSON.stringify({ ...config, vocab_size: 10 }) });
    await expectRefused(small, "CONVERT_TENSORS", "model.embed_tokens.weight");
    // The same tokenizer with fewer tokens than the embedding's rows: padded with unused tokens.
    const original = vocabFromGgufMetadata(await ggufMetadata(join(folder, "tokenizer.gguf")));
    const fewer = await variant("fewer-tokens", {});
    const { vocabOnlyGguf, vocabToGgufMetadata } = await import("../src/convert/index.js");
    await writeFile(join(fewer, "tokenizer.gguf"), vocabOnlyGguf(vocabToGgufMetadata({ ...original, tokens: original.tokens.slice(0, -3), types: original.types.slice(0, -3), scores: original.scores?.slice(0, -3) })));
    const output = join(dir, "padded.gguf");
    await convertModel({ input: fewer, output });
    const padded = vocabFromGgufMetadata(await ggufMetadata(output));
    expect(padded.tokens.slice(-3)).toEqual([`[PAD${config.vocab_size - 3}]`, `[PAD${config.vocab_size - 2}]`, `[PAD${config.vocab_size - 1}]`]);
    expect(padded.types.slice(-3)).toEqual([5, 5, 5]);
    const tooMany = await variant("too-many", {});
    await writeFile(join(tooMany, "tokenizer.gguf"), vocabOnlyGguf(vocabToGgufMetadata({ ...original, tokens: [...original.tokens, "extra"], types: [...original.types, 1], scores: original.scores ? [...original.scores, 0] : undefined })));
    await expectRefused(tooMany, "CONVERT_TOKENIZER", `at most ${config.vocab_size} tokens`);
  });

  it("tensors that do not belong to the config", async () => {
    const extra = await variant("extra-tensor", {});
    await saveSafetensors(join(extra, "model.safetensors"), [{ name: "model.layers.0.mlp.gate_proj.bias", dtype: "F32", shape: [2], data: new Uint8Array(8) }]);
    await expectRefused(extra, "CONVERT_TENSORS", "found 1 others: model.layers.0.mlp.gate_proj.bias");
    const missing = await variant("missing-tensor", {});
    await saveSafetensors(join(missing, "model.safetensors"), [{ name: "model.embed_tokens.weight", dtype: "F32", shape: [2], data: new Uint8Array(8) }]);
    await expectRefused(missing, "CONVERT_TENSORS", /expected tensor "model.embed_tokens.weight" of shape \[\d+, 64\] \(from config.json\) but found \[2\]/);
  });

  it("quantized GGUF types other than Q8_0, and non-Llama GGUFs", async () => {
    const q4k = join(dir, "q4k.gguf");
    await makeTinyModel({ output: q4k, type: "Q4_K", layers: 1 });
    await expectRefused(q4k, "CONVERT_TENSOR_TYPE", /expected F32, F16, BF16 or Q8_0 but found Q4_K/);
    const falcon = join(dir, "falcon.gguf");
    await writeGguf(falcon, { metadata: new Map([["general.architecture", gguf.str("falcon")]]), tensors: [{ name: "token_embd.weight", type: "F32", dims: [4, 2], data: new Uint8Array(32) }] });
    await expectRefused(falcon, "CONVERT_ARCHITECTURE", 'general.architecture "falcon"');
  });

  it("Q8_0 for rows that are not a multiple of its 32-value blocks", async () => {
    const odd = join(dir, "hidden48");
    await makeTinyModel({ output: odd, layers: 1, hidden: 48, heads: 4, kvHeads: 2 });
    await expectRefused(odd, "CONVERT_BLOCK_SIZE", "rows of 48 values but Q8_0 expected a multiple of 32", { type: "Q8_0" });
  });

  it("outputs of the wrong kind and unknown types", async () => {
    await expect(convertModel({ input: folder, output: join(dir, "not-a-gguf") })).rejects.toMatchObject({ code: "CONVERT_OUTPUT" });
    const file = join(dir, "ok.gguf");
    await convertModel({ input: folder, output: file });
    await expect(convertModel({ input: file, output: join(dir, "again.gguf") })).rejects.toMatchObject({ code: "CONVERT_OUTPUT" });
    await expect(convertModel({ input: folder, output: join(dir, "x.gguf"), type: "Q4_K" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(convertModel({ input: file, output: join(dir, "ck"), type: "Q8_0" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(convertModel({ input: join(dir, "absent"), output: join(dir, "y.gguf") })).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
  });
});

/** Runs `dusk ...` in-process with only this command registered. */
const dusk = (...args: string[]): ReturnType<typeof runCommand> => runCommand(registerConvert, ...args);

describe("dusk convert (command line)", () => {
  it("prints what it converted, for people and as JSON", async () => {
    const human = await dusk("convert", folder, "-o", join(dir, "cli.gguf"), "--type", "F16");
    expect(human.error).toBeUndefined();
    expect(human.stdout).toContain("converted checkpoint → GGUF: 12 tensors (9 F16, 3 F32)");
    expect(human.stdout).toContain("2 q/k tensors permuted");
    expect(human.stdout).toContain("tokenizer: llama (from tokenizer.gguf)");
    const json = await dusk("convert", join(dir, "cli.gguf"), "-o", join(dir, "cli-back"), "--json");
    expect(json.error).toBeUndefined();
    expect(JSON.parse(json.stdout)).toMatchObject({ direction: "gguf-to-checkpoint", tensors: 12, types: { F32: 3, F16: 9 }, tokenizer: { model: "llama" }, warnings: [] });
  });

  it("passes typed errors to the CLI's error printer", async () => {
    const { error } = await dusk("convert", folder, "-o", join(dir, "bad.gguf"), "--type", "Q2_K");
    expect(error).toBeInstanceOf(DuskError);
  });
});
