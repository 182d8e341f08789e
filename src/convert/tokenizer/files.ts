// A checkpoint folder's tokenizer as GGUF metadata (from tokenizer.gguf, else tokenizer.json with tokenizer.model
// and tokenizer_config.json), and the tokenizer files dusk writes for a GGUF tokenizer: tokenizer.json,
// tokenizer_config.json, special_tokens_map.json and tokenizer.gguf (a vocab-only GGUF that keeps it exactly).
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeAtomically } from "../../common/index.js";
import { encodeGgufHeader, gguf, openGguf, type GgufMetadata } from "../../formats/index.js";
import { UnsupportedTokenizerError } from "../errors.js";
import {
  GGUF_TOKENIZER_FILE,
  SENTENCEPIECE_MODEL_FILE,
  SPECIAL_TOKENS_MAP_FILE,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_JSON_FILE,
} from "./constants.js";
import { vocabFromHfTokenizer } from "./from-hf.js";
import { vocabToTokenizerConfig, vocabToTokenizerJson } from "./to-hf.js";
import { vocabFromGgufMetadata, vocabToGgufMetadata, type TokenizerVocab } from "./vocab.js";

/** Where a checkpoint's tokenizer was read from. */
export type CheckpointTokenizerSource = "tokenizer.gguf" | "tokenizer.json" | "tokenizer.json + tokenizer.model";

/** A checkpoint's tokenizer as GGUF `tokenizer.*` metadata. */
export interface CheckpointTokenizer {
  readonly metadata: GgufMetadata;
  readonly source: CheckpointTokenizerSource;
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, "utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UnsupportedTokenizerError(`expected ${path} to be JSON but it is not (${(error as Error).message})`, "the file is damaged; download or export the checkpoint again");
  }
}

/** The `tokenizer.*` keys of GGUF metadata. */
export function tokenizerKeysOf(meta: GgufMetadata): GgufMetadata {
  return new Map([...meta].filter(([key]) => key.startsWith("tokenizer.")));
}

/** Options of {@link readCheckpointTokenizer}. */
export interface ReadCheckpointTokenizerOptions {
  /** config.json's special token ids, the fallback when tokenizer_config.json does not name BOS/EOS. Defaults to none. */
  modelConfig?: { readonly bos_token_id?: unknown; readonly eos_token_id?: unknown };
}

/**
 * Reads a checkpoint folder's tokenizer: tokenizer.gguf when present (kept exactly), else tokenizer.json (with
 * tokenizer.model's scores for a SentencePiece vocabulary when present). Throws {@link UnsupportedTokenizerError}
 * when the folder has neither or the tokenizer cannot be converted.
 */
export async function readCheckpointTokenizer(folder: string, { modelConfig }: ReadCheckpointTokenizerOptions = {}): Promise<CheckpointTokenizer> {
  const ggufPath = join(folder, GGUF_TOKENIZER_FILE);
  if (await exists(ggufPath)) {
    const vocab = await openGguf(ggufPath);
    try {
      const metadata = tokenizerKeysOf(vocab.metadata);
      vocabFromGgufMetadata(metadata, ggufPath); // validates
      return { metadata, source: "tokenizer.gguf" };
    } finally {
      await vocab.close();
    }
  }
  const jsonPath = join(folder, TOKENIZER_JSON_FILE);
  if (!(await exists(jsonPath))) {
    throw new UnsupportedTokenizerError(`expected ${GGUF_TOKENIZER_FILE} or ${TOKENIZER_JSON_FILE} in ${folder} but found neither`, "a checkpoint needs its tokenizer to become a GGUF: copy tokenizer.json (and tokenizer_config.json) from the model it came from");
  }
  const configPath = join(folder, TOKENIZER_CONFIG_FILE);
  const tokenizerConfig = (await exists(configPath)) ? await readJson(configPath) : undefined;
  const modelPath = join(folder, SENTENCEPIECE_MODEL_FILE);
  const sentencePieceModel = (await exists(modelPath)) ? new Uint8Array(await readFile(modelPath)) : undefined;
  const vocab = vocabFromHfTokenizer(
    {
      tokenizerJson: await readJson(jsonPath),
      tokenizerConfig: typeof tokenizerConfig === "object" && tokenizerConfig !== null ? (tokenizerConfig as Record<string, unknown>) : undefined,
      sentencePieceModel,
      modelConfig,
    },
    jsonPath,
  );
  return { metadata: vocabToGgufMetadata(vocab), source: vocab.model === "llama" && sentencePieceModel ? "tokenizer.json + tokenizer.model" : "tokenizer.json" };
}

/** The bytes of a vocab-only GGUF holding `tokenizer` (the form llama.cpp ships vocabularies in). */
export function vocabOnlyGguf(tokenizer: GgufMetadata, architecture = "llama"): Uint8Array {
  return encodeGgufHeader(3, new Map([["general.architecture", gguf.str(architecture)], ...tokenizerKeysOf(tokenizer)]), []);
}

const jsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Hugging Face tokenizer files of a vocabulary (tokenizer.json, tokenizer_config.json, special_tokens_map.json). */
export function hfTokenizerFiles(vocab: TokenizerVocab): Record<string, string> {
  const { tokenizerConfig, specialTokensMap } = vocabToTokenizerConfig(vocab);
  return {
    [TOKENIZER_JSON_FILE]: jsonText(vocabToTokenizerJson(vocab)),
    [TOKENIZER_CONFIG_FILE]: jsonText(tokenizerConfig),
    [SPECIAL_TOKENS_MAP_FILE]: jsonText(specialTokensMap),
  };
}

/** The tokenizer files for a checkpoint written from a GGUF: tokenizer.gguf always, the HF files when they exist. */
export function checkpointTokenizerFiles(tokenizer: GgufMetadata, architecture = "llama"): { files: Record<string, string | Uint8Array>; warnings: string[] } {
  const files: Record<string, string | Uint8Array> = { [GGUF_TOKENIZER_FILE]: vocabOnlyGguf(tokenizer, architecture) };
  const warnings: string[] = [];
  try {
    Object.assign(files, hfTokenizerFiles(vocabFromGgufMetadata(tokenizer)));
  } catch (error) {
    if (!(error instanceof UnsupportedTokenizerError)) throw error;
    warnings.push(`no tokenizer.json written (${error.message}); the tokenizer is kept in ${GGUF_TOKENIZER_FILE}`);
  }
  return { files, warnings };
}

/**
 * Writes a vocabulary's tokenizer files into `folder` (created when missing), each file atomically:
 * tokenizer.json, tokenizer_config.json, special_tokens_map.json and tokenizer.gguf. Returns the file names.
 */
export async function writeTokenizerFiles(folder: string, vocab: TokenizerVocab): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const files: Record<string, string | Uint8Array> = { ...hfTokenizerFiles(vocab), [GGUF_TOKENIZER_FILE]: vocabOnlyGguf(vocabToGgufMetadata(vocab)) };
  for (const [name, contents] of Object.entries(files)) {
    await writeAtomically(join(folder, name), (temporary) => writeFile(temporary, contents));
  }
  return Object.keys(files).sort();
}
