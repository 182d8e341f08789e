// llama.cpp server's tokenizer endpoints: POST /tokenize ({content, add_special, parse_special, with_pieces} →
// {tokens}) and POST /detokenize ({tokens} → {content}), plus the vocabulary size that bounds token ids.
import type { ServerResponse } from "node:http";
import type { Token } from "node-llama-cpp";
import { tokenizePrompt, tokensBefore, type InferenceModel } from "../infer/index.js";
import { ApiError } from "./errors.js";
import { sendJson } from "./handlers.js";
import { checkTokenIds, type DetokenizeRequest, type TokenizeRequest } from "./schemas.js";

const vocabularySizes = new WeakMap<InferenceModel, number>();

/** Tokens in the model's vocabulary (valid ids are 0 .. size - 1), from the GGUF's tokenizer metadata. */
export function vocabularySize(model: InferenceModel): number {
  let size = vocabularySizes.get(model);
  if (size === undefined) {
    const metadata = model.model.fileInfo.metadata;
    const tokens = metadata.tokenizer?.ggml?.tokens?.length;
    const declared = (metadata as unknown as Record<string, { vocab_size?: unknown } | undefined>)[metadata.general.architecture ?? ""]?.vocab_size;
    size = tokens ?? (typeof declared === "number" ? declared : 0);
    vocabularySizes.set(model, size);
  }
  return size;
}

/** Throws a 400 naming the first token id outside the vocabulary. */
export function assertTokenIds(ids: Parameters<typeof checkTokenIds>[0], model: InferenceModel, param: string): void {
  const bad = checkTokenIds(ids, vocabularySize(model));
  if (bad) {
    const at = bad.path ? `${param}.${bad.path}` : param;
    throw new ApiError(400, `invalid value for ${at}: ${bad.message}`, { param: at, code: "invalid_value" });
  }
}

/** POST /tokenize */
export function handleTokenize(body: TokenizeRequest, model: InferenceModel, res: ServerResponse): void {
  const addSpecial = body.add_special ?? false;
  const tokens = tokenizePrompt(model, body.content, { addBos: addSpecial && model.model.tokens.shouldPrependBosToken, specialTokens: body.parse_special ?? true });
  const eos = model.model.tokens.eos;
  if (addSpecial && model.model.tokens.shouldAppendEosToken && eos !== null && tokens.at(-1) !== eos) tokens.push(eos);
  if (!body.with_pieces) {
    sendJson(res, { tokens });
    return;
  }
  const pieces = tokens.map((id, i) => ({ id, piece: model.model.detokenize([id], true, tokensBefore(tokens, i)) }));
  sendJson(res, { tokens: pieces });
}

/** POST /detokenize */
export function handleDetokenize(body: DetokenizeRequest, model: InferenceModel, res: ServerResponse): void {
  assertTokenIds(body.tokens, model, "tokens");
  sendJson(res, { content: model.model.detokenize(body.tokens as Token[], true) });
}
