// Incremental detokenization on a tiny generated model whose vocabulary spells non-ASCII characters with byte
// tokens: pieces concatenate to the whole text, a split character is never streamed as U+FFFD, and generation
// streams non-ASCII text exactly.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTinyModel } from "../tiny/index.js";
import { IncrementalDetokenizer } from "./detokenize.js";
import { generateTokens, tokenizePrompt } from "./generate.js";
import { loadModel, type InferenceModel } from "./model.js";
import { scorePrompt } from "./score.js";

const TEXT = "the é日本 🙂 wörld, naïve café";
let dir: string;
let model: InferenceModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-detok-"));
  const tiny = await makeTinyModel({ output: join(dir, "tiny.gguf"), type: "F32", layers: 1 });
  model = await loadModel(tiny.path, { contextSize: 256, threads: 1, gpuLayers: 0, gpu: false });
});

afterAll(async () => {
  await model?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function pushAll(detokenizer: IncrementalDetokenizer, tokens: readonly Token[]): string[] {
  const pieces = tokens.map((token) => detokenizer.push(token));
  pieces.push(detokenizer.flush());
  return pieces;
}

describe("IncrementalDetokenizer", () => {
  it("gives pieces that concatenate to the whole text, holding split characters back instead of U+FFFD", () => {
    const tokens = model.model.tokenize(TEXT, false);
    // the tiny vocabulary has no non-ASCII pieces: each such character is 2-4 byte tokens
    expect(tokens.length).toBeGreaterThan(TEXT.length - 8);
    expect(tokens.map((t) => model.model.detokenize([t])).filter((piece) => piece.includes("\uFFFD")).length).toBeGreaterThanOrEqual(12);
    const pieces = pushAll(new IncrementalDetokenizer(model.model), tokens);
    expect(pieces.join("")).toBe(model.model.detokenize(tokens));
    expect(pieces.join("")).toBe(TEXT);
    expect(pieces.some((piece) => piece.includes("\uFFFD"))).toBe(false);
    // 🙂 is four byte tokens: three empty pieces, then the whole character
    const smile = pieces.indexOf("🙂");
    expect(smile).toBeGreaterThan(3);
    expect(pieces.slice(smile - 3, smile)).toEqual(["", "", ""]);
  });

  it("continues after context tokens as detokenize with lastTokens does, special tokens spelled out when asked", () => {
    const context = tokenizePrompt(model, "the water is");
    const tokens = model.model.tokenize("hot café and cold water", false); // SPM: "▁hot", a space after the context
    const pieces = pushAll(new IncrementalDetokenizer(model.model, { context }), tokens);
    expect(pieces.join("")).toBe(model.model.detokenize(tokens, false, context));
    expect(pieces.join("")).toBe(" hot café and cold water");
    const bos = model.model.tokens.bos!;
    const special = pushAll(new IncrementalDetokenizer(model.model, { specialTokens: true }), [bos, ...tokens]);
    expect(special.join("")).toBe(model.model.detokenize([bos, ...tokens], true));
    expect(special[0]).toBe("<s>");
  });

  it("releases invalid bytes as U+FFFD, as detokenizing them all at once does", () => {
    const byte = (value: number): Token => model.model.tokenize(String.fromCharCode(value), false).at(-1)!;
    const ascii = model.model.tokenize("ok", false);
    const lone = [...model.model.tokenize("é", false)].slice(-1); // a continuation byte alone
    const tokens = [...ascii, ...lone, ...lone, byte(65), ...model.model.tokenize("日", false).slice(-3, -1)];
    const pieces = pushAll(new IncrementalDetokenizer(model.model), tokens);
    expect(pieces.join("")).toBe(model.model.detokenize(tokens));
    expect(pieces.at(-1)).toContain("\uFFFD"); // the incomplete character at the end comes out on flush
  });
});

describe("generation and scoring with non-ASCII text", () => {
  it("streams a grammar-forced non-ASCII answer piece by piece without U+FFFD", async () => {
    const answer = "日本 🙂 wörld";
    const streamed: string[] = [];
    const prompt = tokenizePrompt(model, "say:");
    const result = await generateTokens(model, prompt, { temperature: 0, maxTokens: 40, grammar: `root ::= ${JSON.stringify(answer)}`, onText: (text) => streamed.push(text) });
    expect(result.text).toBe(answer);
    expect(streamed.join("")).toBe(answer);
    expect(streamed.some((piece) => piece.includes("\uFFFD"))).toBe(false);
    expect(result.tokens.length).toBeGreaterThan(streamed.length); // byte tokens were held back until complete
    expect(result.text).toBe(model.model.detokenize(result.tokens));
  });

  it("stops at a non-ASCII stop string split across byte tokens", async () => {
    const prompt = tokenizePrompt(model, "say:");
    const result = await generateTokens(model, prompt, { temperature: 0, maxTokens: 40, grammar: `root ::= "ab 日本 cd"`, stop: ["本"] });
    expect(result.text).toBe("ab 日");
    expect(result.finishReason).toBe("stop");
  });

  it("scores a non-ASCII prompt with pieces that add up to its text", async () => {
    const score = await scorePrompt(model, TEXT, { topLogprobs: 1 });
    expect(score.pieces.join("")).toBe(TEXT);
    expect(score.offsets.at(-1)! + score.pieces.at(-1)!.length).toBe(TEXT.length);
    expect(score.pieces.some((piece) => piece.includes("\uFFFD"))).toBe(false);
  });
});
