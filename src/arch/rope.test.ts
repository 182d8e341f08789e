// The q/k rope permutation against numpy: convert_hf_to_gguf.py's
// `w.reshape(n_head, 2, hd // 2, cols).swapaxes(1, 2).reshape(w.shape)`, whose row orders we recorded from numpy,
// and the same permutation computed here by walking the swapped axes; plus the inverse.
import { describe, expect, it } from "vitest";
import { permuteGgufToHf, permuteHfToGguf } from "./rope.js";

/** Row orders numpy gives for the permutation (row i of the result is row order[i] of the input). */
const NUMPY_ROW_ORDER: { heads: number; headDim: number; order: number[] }[] = [
  { heads: 2, headDim: 6, order: [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11] },
  { heads: 3, headDim: 4, order: [0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11] },
  { heads: 1, headDim: 8, order: [0, 4, 1, 5, 2, 6, 3, 7] },
];

/** An F32 matrix [rows, cols] whose element (r, c) is r·1000 + c, as bytes. */
function matrix(rows: number, cols: number): Uint8Array {
  const values = Float32Array.from({ length: rows * cols }, (_, i) => Math.floor(i / cols) * 1000 + (i % cols));
  return new Uint8Array(values.buffer);
}

/** The source row of each result row, read off the permuted matrix. */
function rowOrder(bytes: Uint8Array, cols: number): number[] {
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const order: number[] = [];
  let whole = true;
  for (let r = 0; r < values.length / cols; r++) {
    const first = values[r * cols]!;
    for (let c = 0; c < cols; c++) whole &&= values[r * cols + c] === first + c;
    order.push(first / 1000);
  }
  expect(whole, "whole rows move together").toBe(true);
  return order;
}

/** The swapped-axes order computed directly: result index (h, i, j) of [heads, hd/2, 2] reads (h, j, i) of [heads, 2, hd/2]. */
function swappedAxesOrder(heads: number, headDim: number): number[] {
  const half = headDim / 2;
  const order: number[] = [];
  for (let h = 0; h < heads; h++) for (let i = 0; i < half; i++) for (let j = 0; j < 2; j++) order.push(h * headDim + j * half + i);
  return order;
}

describe("rope permutation", () => {
  it.each(NUMPY_ROW_ORDER)("HF → GGUF matches numpy for $heads heads of size $headDim", ({ heads, headDim, order }) => {
    const cols = 3;
    const out = permuteHfToGguf({ bytes: matrix(heads * headDim, cols), rows: heads * headDim, heads });
    expect(rowOrder(out, cols)).toEqual(order);
  });

  it("matches the swapped-axes order for many head counts and sizes (grouped-query k heads included)", () => {
    for (const [heads, headDim] of [[32, 128], [8, 128], [4, 16], [2, 2], [6, 64]] as const) {
      const cols = 2;
      const out = permuteHfToGguf({ bytes: matrix(heads * headDim, cols), rows: heads * headDim, heads });
      expect(rowOrder(out, cols)).toEqual(swappedAxesOrder(heads, headDim));
    }
  });

  it("GGUF → HF inverts HF → GGUF and is not the identity", () => {
    for (const [heads, headDim, rowBytes] of [[4, 16, 8], [3, 8, 2], [1, 4, 34]] as const) {
      const rows = heads * headDim;
      const bytes = Uint8Array.from({ length: rows * rowBytes }, (_, i) => (i * 37 + 11) & 0xff);
      const gguf = permuteHfToGguf({ bytes, rows, heads });
      expect(Buffer.from(gguf).equals(Buffer.from(bytes))).toBe(false);
      expect(permuteGgufToHf({ bytes: gguf, rows, heads })).toEqual(bytes);
      expect(permuteHfToGguf({ bytes: permuteGgufToHf({ bytes, rows, heads }), rows, heads })).toEqual(bytes);
    }
  });
});
