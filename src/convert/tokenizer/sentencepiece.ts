// SentencePiece ("llama") vocabularies and Hugging Face's BPE view of them: reading the pieces, scores and types of
// a serialized SentencePiece model (tokenizer.model, a protobuf ModelProto), deriving BPE merges from pieces and
// scores as transformers' converter does (generate_merges in convert_slow_tokenizer.py), and deriving scores back
// from merges when only tokenizer.json is at hand.
import { UnsupportedTokenizerError } from "../errors.js";
import { GgufTokenType } from "./constants.js";

/** The pieces of a SentencePiece model. */
export interface SentencePieceModel {
  readonly pieces: readonly string[];
  readonly scores: readonly number[];
  readonly types: readonly number[];
  /** NormalizerSpec.add_dummy_prefix (defaults to true, as in SentencePiece). */
  readonly addDummyPrefix: boolean;
}

/** A cursor over protobuf wire-format bytes. */
class ProtoReader {
  at = 0;
  constructor(private readonly bytes: Uint8Array, private readonly end = bytes.length, start = 0) {
    this.at = start;
  }

  done(): boolean {
    return this.at >= this.end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new UnsupportedTokenizerError("expected a SentencePiece model (protobuf) but the file ends inside a number");
      const byte = this.bytes[this.at++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new UnsupportedTokenizerError("expected a SentencePiece model (protobuf) but found a number longer than 10 bytes");
  }

  /** Reads a field key: field number and wire type. */
  key(): { field: number; wire: number } {
    const key = this.varint();
    return { field: Math.floor(key / 8), wire: key % 8 };
  }

  /** The bounds of a length-delimited field's payload (and moves past it). */
  delimited(): { start: number; end: number } {
    const length = this.varint();
    const start = this.at;
    if (start + length > this.end) throw new UnsupportedTokenizerError(`expected ${length} bytes of a SentencePiece model field but only ${this.end - start} remain`);
    this.at += length;
    return { start, end: start + length };
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.at += 8;
    else if (wire === 2) this.delimited();
    else if (wire === 5) this.at += 4;
    else throw new UnsupportedTokenizerError(`expected a SentencePiece model (protobuf) but found wire type ${wire}`);
  }

  float32(): number {
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 4).getFloat32(0, true);
    this.at += 4;
    return value;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * Reads a serialized SentencePiece ModelProto: `pieces` (field 1: piece = 1, score = 2, type = 3) and the
 * normalizer's add_dummy_prefix (field 3, its field 3). Other fields are skipped.
 */
export function parseSentencePieceModel(bytes: Uint8Array): SentencePieceModel {
  const pieces: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  let addDummyPrefix = true;
  const reader = new ProtoReader(bytes);
  while (!reader.done()) {
    const { field, wire } = reader.key();
    if (field === 1 && wire === 2) {
      const { start, end } = reader.delimited();
      const piece = new ProtoReader(bytes, end, start);
      let text = "";
      let score = 0;
      let type: number = GgufTokenType.NORMAL;
      while (!piece.done()) {
        const inner = piece.key();
        if (inner.field === 1 && inner.wire === 2) {
          const span = piece.delimited();
          text = utf8.decode(bytes.subarray(span.start, span.end));
        } else if (inner.field === 2 && inner.wire === 5) score = piece.float32();
        else if (inner.field === 3 && inner.wire === 0) type = piece.varint();
        else piece.skip(inner.wire);
      }
      pieces.push(text);
      scores.push(score);
      types.push(type);
    } else if (field === 3 && wire === 2) {
      const { start, end } = reader.delimited();
      const normalizer = new ProtoReader(bytes, end, start);
      while (!normalizer.done()) {
        const inner = normalizer.key();
        if (inner.field === 3 && inner.wire === 0) addDummyPrefix = normalizer.varint() !== 0;
        else normalizer.skip(inner.wire);
      }
    } else reader.skip(wire);
  }
  if (pieces.length === 0) throw new UnsupportedTokenizerError("expected a SentencePiece model with pieces but found none");
  return { pieces, scores, types, addDummyPrefix };
}

/**
 * BPE merges of a SentencePiece vocabulary as transformers derives them: every split of every piece into two pieces
 * of the vocabulary, each piece's splits ordered by the ids of their halves, then all sorted (stably) by the merged
 * piece's score, then the left and right lengths, highest first. Lengths count code points.
 */
export function generateMerges(tokens: readonly string[], scores: readonly number[]): [string, string][] {
  const ids = new Map<string, number>();
  tokens.forEach((token, id) => ids.set(token, id));
  type Candidate = { left: string; right: string; score: number; leftLength: number; rightLength: number; leftId: number; rightId: number };
  const merges: Candidate[] = [];
  tokens.forEach((token, id) => {
    // Split points at code point boundaries (Python slices strings by code point).
    const local: Candidate[] = [];
    let leftLength = 0;
    const total = [...token].length;
    for (let at = 0; at < token.length; ) {
      at += token.codePointAt(at)! > 0xffff ? 2 : 1;
      leftLength += 1;
      if (at >= token.length) break;
      const left = token.slice(0, at);
      const leftId = ids.get(left);
      if (leftId === undefined) continue;
      const right = token.slice(at);
      const rightId = ids.get(right);
      if (rightId !== undefined) local.push({ left, right, score: scores[id] ?? 0, leftLength, rightLength: total - leftLength, leftId, rightId });
    }
    local.sort((a, b) => a.leftId - b.leftId || a.rightId - b.rightId);
    merges.push(...local);
  });
  merges.sort((a, b) => b.score - a.score || b.leftLength - a.leftLength || b.rightLength - a.rightLength);
  return merges.map((m) => [m.left, m.right]);
}

/**
 * Scores for a "llama" vocabulary known only by its merges (a tokenizer.json without tokenizer.model): a piece made
 * by a merge scores minus the rank of its first merge, so llama.cpp, which merges the highest-scoring piece first,
 * merges in the same order as the BPE merges; special, byte and unused tokens score 0 as in SentencePiece; other
 * pieces (single characters, which no merge makes) score below every merged piece.
 */
export function scoresFromMerges(tokens: readonly string[], types: readonly number[], merges: readonly (readonly [string, string])[]): number[] {
  const firstRank = new Map<string, number>();
  merges.forEach(([left, right], rank) => {
    const piece = left + right;
    if (!firstRank.has(piece)) firstRank.set(piece, rank);
  });
  const floor = -merges.length;
  return tokens.map((token, id) => {
    const type = types[id];
    if (type !== GgufTokenType.NORMAL && type !== GgufTokenType.USER_DEFINED) return 0;
    const rank = firstRank.get(token);
    return rank === undefined ? floor : -rank;
  });
}
