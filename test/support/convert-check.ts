// Helpers for conversion tests: a GGUF's tensors as bytes, its tokenizer.* entries, and next-token
// log-probabilities from node-llama-cpp (teacher-forced, every vocabulary token at every position).
import type { LlamaModel, Token } from "node-llama-cpp";
import { openGguf, type GgufMetadata, type GgufValue } from "../../src/formats/index.js";

/** Every tensor of a GGUF, by name, in file order. */
export async function ggufTensors(path: string): Promise<{ names: string[]; bytes: Map<string, Uint8Array> }> {
  const model = await openGguf(path);
  try {
    const bytes = new Map<string, Uint8Array>();
    for (const tensor of model.tensors) bytes.set(tensor.name, await model.readTensor(tensor.name));
    return { names: model.tensors.map((t) => t.name), bytes };
  } finally {
    await model.close();
  }
}

/** A GGUF's metadata (the file closed again). */
export async function ggufMetadata(path: string): Promise<GgufMetadata> {
  const model = await openGguf(path);
  try {
    return model.metadata;
  } finally {
    await model.close();
  }
}

/** The tokenizer.* entries of GGUF metadata, in order. */
export function tokenizerEntries(meta: GgufMetadata): [string, GgufValue][] {
  return [...meta].filter(([key]) => key.startsWith("tokenizer."));
}

/** The number of tokens in a loaded model's vocabulary. */
export function vocabularySize(model: LlamaModel): number {
  return (model.fileInfo.metadata as unknown as { tokenizer: { ggml: { tokens: readonly string[] } } }).tokenizer.ggml.tokens.length;
}

/** Log-probabilities of every vocabulary token as the next token at each position of `tokens`. */
export async function logProbs(model: LlamaModel, tokens: Token[]): Promise<Float64Array[]> {
  const context = await model.createContext({ contextSize: 128, threads: 1 });
  try {
    const sequence = context.getSequence();
    const results = await sequence.controlledEvaluate(tokens.map((token) => [token, { generateNext: { probabilities: true } }] as [Token, { generateNext: { probabilities: boolean } }]));
    return results.map((result, position) => {
      const probabilities = result?.next.probabilities;
      if (!probabilities) throw new Error(`no probabilities at position ${position}`);
      const logs = new Float64Array(vocabularySize(model)).fill(Number.NaN);
      for (const [token, p] of probabilities) logs[token] = Math.log(p);
      return logs;
    });
  } finally {
    await context.dispose();
  }
}

/** Largest absolute difference between two sets of log-probabilities of the same shape. */
export function maxAbsDifference(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  if (a.length !== b.length) throw new Error(`expected ${a.length} positions but got ${b.length}`);
  let max = 0;
  a.forEach((row, position) => {
    const other = b[position]!;
    for (let i = 0; i < row.length; i++) {
      const d = Math.abs(row[i]! - other[i]!);
      if (!Number.isFinite(d)) throw new Error(`log p(token ${i}) at position ${position} is not finite`);
      max = Math.max(max, d);
    }
  });
  return max;
}
