// `dusk train tokenizer` as a library function: read the corpora, count words, train the byte-level BPE and write
// its files (tokenizer.json, tokenizer_config.json, special_tokens_map.json, tokenizer.gguf) into a folder.
import { Progress } from "../../common/index.js";
import { writeTokenizerFiles, type TokenizerVocab } from "../../convert/index.js";
import { readCorpus } from "./corpus.js";
import { WordCounter, specialTokenStrings, trainByteLevelBpe } from "./trainer.js";
import { DEFAULT_CHAT_MARKERS } from "./specials.js";

/** Options of {@link trainTokenizer}. */
export interface TrainTokenizerOptions {
  /** Bundled corpus names (brown, sotu, moby-dick) and text file paths. Defaults to ["brown"]. */
  readonly corpus?: readonly string[];
  /** Vocabulary size in all (special tokens + 256 bytes + merges). Defaults to 4096. */
  readonly vocabSize?: number;
  /** Folder to write the tokenizer files into (created when missing). */
  readonly output: string;
  /** Chat markers after <unk>, <s>, </s>, <pad>. Defaults to `<|im_start|>`, `<|im_end|>`. */
  readonly chatMarkers?: readonly string[];
  /** Pairs seen fewer times are never merged. Defaults to 2. */
  readonly minFrequency?: number;
  /** Show progress on stderr. Defaults to false. */
  readonly progress?: boolean;
}

/** What {@link trainTokenizer} did. */
export interface TrainTokenizerResult {
  readonly output: string;
  readonly files: readonly string[];
  readonly vocab: TokenizerVocab;
  readonly vocabSize: number;
  readonly requestedVocabSize: number;
  readonly merges: number;
  readonly specialTokens: readonly string[];
  readonly sources: readonly { source: string; texts: number; characters: number }[];
  /** Pre-tokenized words in the corpus, and distinct ones. */
  readonly words: number;
  readonly distinctWords: number;
  readonly seconds: number;
}

/** Trains a byte-level BPE tokenizer on corpora and writes its files. */
export async function trainTokenizer({ corpus = ["brown"], vocabSize = 4096, output, chatMarkers = DEFAULT_CHAT_MARKERS, minFrequency = 2, progress = false }: TrainTokenizerOptions): Promise<TrainTokenizerResult> {
  const started = performance.now();
  const sources = await readCorpus(corpus);
  const specials = specialTokenStrings(chatMarkers);
  const counter = new WordCounter(specials);
  for (const { texts } of sources) for (const text of texts) counter.add(text);
  const bar = new Progress({ label: "merges", total: vocabSize - specials.length - 256, unit: "merges", silent: !progress });
  const vocab = trainByteLevelBpe(counter.counts, { vocabSize, chatMarkers, minFrequency, onProgress: (done) => bar.set(done) });
  bar.finish();
  const files = await writeTokenizerFiles(output, vocab);
  return {
    output,
    files,
    vocab,
    vocabSize: vocab.tokens.length,
    requestedVocabSize: vocabSize,
    merges: vocab.merges?.length ?? 0,
    specialTokens: specials,
    sources: sources.map(({ source, texts }) => ({ source, texts: texts.length, characters: texts.reduce((sum, t) => sum + t.length, 0) })),
    words: counter.total,
    distinctWords: counter.counts.size,
    seconds: (performance.now() - started) / 1000,
  };
}
