// The context/continuation split rule (trailing whitespace moved; whole string encoded, then split at len(context
// tokens) with no prefix check; BOS per profile; empty context; left truncation), and llama.cpp's spans, replayed
// against a literal transcription of its batch layout and loops.
import { describe, expect, it } from "vitest";
import { BOS, EOS, ToyBackend, toyTokenLogprobs, toyTokenString, toyTokenize } from "../../test/eval/toy-model.js";
import { commonPrefixLength, encodeLlamaCppHellaswag, encodeLlamaCppWinogrande } from "./tokenize-llamacpp.js";
import { encodePair, moveTrailingWhitespace, truncateGenerationContext, truncateSpan } from "./tokenize.js";

const toy = new ToyBackend();
const strings = (tokens: number[]): string[] => tokens.map(toyTokenString);

describe("encodePair (the 2023 harness's _encode_pair)", () => {
  it("encodes the whole string and takes the tokens after len(context tokens)", async () => {
    const span = await encodePair(toy, "Question: X\nAnswer:", " A", false);
    expect(strings(span.context)).toEqual(["Question:", " ", "X", "\n", "Answer:"]);
    expect(strings(span.continuation)).toEqual([" A"]);
  });

  it("moves the context's trailing whitespace to the front of the continuation", async () => {
    expect(moveTrailingWhitespace("abc \n", "def")).toEqual(["abc", " \ndef"]);
    expect(moveTrailingWhitespace("abc", " def")).toEqual(["abc", " def"]);
    const span = await encodePair(toy, "abc ", "def", false);
    expect(strings(span.context)).toEqual(["a", "b", "c"]);
    expect(strings(span.continuation)).toEqual([" ", "d", "e", "f"]);
  });

  it("does not check that the context's tokens are a prefix of the whole encoding", async () => {
    // "Answer" is 5 tokens alone, but "Answer:" is one token: the continuation comes out empty, as it did in the harness.
    const span = await encodePair(toy, "Answer", ":", false);
    expect(strings(span.context)).toEqual(["A", "n", "s", "w", "er"]);
    expect(span.continuation).toEqual([]);
  });

  it("adds BOS to both encodings when asked; an empty context becomes one end-of-text (or BOS) token", async () => {
    const span = await encodePair(toy, "Question: X\nAnswer:", " A", true);
    expect(span.context[0]).toBe(BOS);
    expect(strings(span.continuation)).toEqual([" A"]);
    expect(await encodePair(toy, "", "abc", false)).toEqual({ context: [EOS], continuation: toyTokenize("abc") });
    expect(await encodePair(toy, "", "abc", true)).toEqual({ context: [BOS], continuation: toyTokenize("abc") });
  });

  it("cuts from the left so that the model sees at most maxLength tokens", () => {
    const span = { context: [1, 2, 3, 4, 5, 6], continuation: [7, 8] };
    expect(truncateSpan(span, 5)).toEqual({ context: [3, 4, 5, 6], continuation: [7, 8] });
    expect(truncateSpan(span, 100)).toBe(span);
    expect(truncateGenerationContext([1, 2, 3, 4, 5], 2, 5)).toEqual([3, 4, 5]);
  });
});

/**
 * llama.cpp's scores written out as its perplexity tool computes them: one batch per task holding the common prefix
 * once (logits kept for its last token) and then every sequence's tokens from the prefix on, each with logits;
 * eval pairs (logits row, token) exactly as its loops build them; mean log-probability per choice.
 */
function llamaCppReference(sequences: number[][], pairsFor: (prefix: number) => [number, number][][]): number[] {
  const prefix = commonPrefixLength(sequences);
  const rows: { seq: number; pos: number }[] = [{ seq: 0, pos: prefix - 1 }];
  sequences.forEach((s, i) => {
    for (let p = prefix; p < s.length; p++) rows.push({ seq: i, pos: p });
  });
  const logprobAt = (row: number, token: number): number => {
    const { seq, pos } = rows[row]!;
    const context = sequences[seq]!.slice(0, pos + 1);
    return toyTokenLogprobs([context.at(-1)!, token])[1]!.logprob;
  };
  return pairsFor(prefix).map((pairs) => pairs.reduce((sum, [row, token]) => sum + logprobAt(row, token), 0) / pairs.length);
}

async function meansOf(spansPerChoice: { spans: { context: number[]; continuation: number[] }[] }[]): Promise<number[]> {
  return Promise.all(
    spansPerChoice.map(async ({ spans }) => {
      const results = await toy.loglikelihood(spans);
      const count = spans.reduce((n, s) => n + s.continuation.length, 0);
      return results.reduce((sum, r) => sum + r.logprob, 0) / count;
    }),
  );
}

describe("llama.cpp's scoring as token spans", () => {
  it("HellaSwag: the mean over each ending's tokens from the common prefix on", async () => {
    const context = "A man is sitting on a roof. he";
    const endings = ["is using wrap.", "is ripping tiles off.", "is holding a cube.", "starts pulling up roofing."];
    const requests = endings.map((e) => ({ kind: "loglikelihood" as const, context, continuation: ` ${e}` }));
    const encoded = await encodeLlamaCppHellaswag(toy, requests, true);
    const sequences = endings.map((e) => [BOS, ...toyTokenize(`${context} ${e}`)]);
    const expected = llamaCppReference(sequences, (prefix) =>
      sequences.map((seq, s) => {
        // first token from the prefix's last logits (row 0), then li = 1.. over the batch (li runs on across endings)
        const offset = 1 + sequences.slice(0, s).reduce((n, q) => n + q.length - prefix, 0);
        const pairs: [number, number][] = [[0, seq[prefix]!]];
        for (let j = prefix; j < seq.length - 1; j++) pairs.push([offset + (j - prefix), seq[j + 1]!]);
        return pairs;
      }),
    );
    expect(await meansOf(encoded)).toEqual(expected.map((v) => expect.closeTo(v, 12) as unknown as number));
  });

  for (const [label, sentence, options] of [
    ["skips the choice word when both endings are long", "Sam beat Max because _ trained much harder than him.", ["Sam", "Max"]],
    ["replays the FIXME logits row when an ending is short", "In the end I chose the _.", ["red", "blue"]],
  ] as const) {
    it(`Winogrande: ${label}`, async () => {
      const blank = sentence.indexOf("_");
      const first = sentence.slice(0, blank);
      const second = sentence.slice(blank + 1);
      const requests = options.map((o) => ({ kind: "loglikelihood" as const, context: first + o, continuation: second }));
      const encoded = await encodeLlamaCppWinogrande(toy, requests, true);
      const sequences = options.map((o) => [BOS, ...toyTokenize(first + o + second)]);
      const bases = options.map((o) => [BOS, ...toyTokenize(first + o)].length);
      const expected = llamaCppReference(sequences, (prefix) => {
        const [s0, s1] = sequences as [number[], number[]];
        const skip = s0.length - prefix > 3 && s1.length - prefix > 3;
        const pairs: [number, number][][] = [[], []];
        const n1 = skip ? bases[0]! : prefix;
        const last1 = s0.length - n1 > 1 ? 1 : 0;
        let li = n1 - prefix;
        for (let j = n1 - 1; j < s0.length - 1 - last1; j++) pairs[0]!.push([li++, s0[j + 1]!]);
        const n2 = skip ? bases[1]! : prefix;
        const last2 = s1.length - n2 > 1 ? 1 : 0;
        li = s0.length - prefix + n2 - prefix;
        for (let j = n2 - 1; j < s1.length - 1 - last2; j++) pairs[1]!.push([li++, s1[j + 1]!]);
        return pairs;
      });
      const skip = encoded[1]!.spans.length === 1;
      expect(skip).toBe(label.startsWith("skips"));
      expect(await meansOf(encoded)).toEqual(expected.map((v) => expect.closeTo(v, 12) as unknown as number));
    });
  }
});
