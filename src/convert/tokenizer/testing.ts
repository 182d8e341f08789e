// Test fixtures for tokenizer conversion: a SentencePiece model serialized as protobuf from pieces, scores and types
// (only the fields dusk reads: ModelProto.pieces and NormalizerSpec.add_dummy_prefix), so that tests can build a
// Llama 2 style tokenizer.model from a GGUF vocabulary without any third-party file.

function varint(value: number, out: number[]): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function delimited(field: number, payload: Uint8Array | number[], out: number[]): void {
  varint(field * 8 + 2, out);
  varint(payload.length, out);
  for (const byte of payload) out.push(byte);
}

/** Serializes a SentencePiece ModelProto with the given pieces (and a normalizer spec holding add_dummy_prefix). */
export function encodeSentencePieceModel({ pieces, scores, types, addDummyPrefix = true }: { pieces: readonly string[]; scores: readonly number[]; types: readonly number[]; addDummyPrefix?: boolean }): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  const float = new DataView(new ArrayBuffer(4));
  pieces.forEach((piece, i) => {
    const inner: number[] = [];
    delimited(1, encoder.encode(piece), inner);
    varint(2 * 8 + 5, inner);
    float.setFloat32(0, scores[i] ?? 0, true);
    for (let b = 0; b < 4; b++) inner.push(float.getUint8(b));
    if ((types[i] ?? 1) !== 1) {
      varint(3 * 8, inner);
      varint(types[i]!, inner);
    }
    delimited(1, inner, out);
  });
  const normalizer: number[] = [];
  delimited(1, encoder.encode("identity"), normalizer);
  varint(3 * 8, normalizer);
  varint(addDummyPrefix ? 1 : 0, normalizer);
  delimited(3, normalizer, out);
  return Uint8Array.from(out);
}
