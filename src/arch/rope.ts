// The q/k rope permutation between Hugging Face and GGUF Llama weights. HF's rotary layout rotates the two halves
// of each head; llama.cpp's rotates adjacent pairs. convert_hf_to_gguf.py permutes rows of q_proj and k_proj:
// view [heads, 2, headDim/2, cols] → swap the middle axes → [heads, headDim/2, 2, cols].
// Rows are contiguous, so the permutation moves whole rows of bytes and works for any float type.

/** Options of the permutations. */
export interface RopePermuteOptions {
  /** Bytes of the whole tensor (rows × row bytes). */
  readonly bytes: Uint8Array;
  /** Number of rows (heads × headDim). */
  readonly rows: number;
  /** Heads in this tensor (attention heads for q, KV heads for k). */
  readonly heads: number;
}

function permuteRows({ bytes, rows, heads }: RopePermuteOptions, toGguf: boolean): Uint8Array {
  const rowBytes = bytes.length / rows;
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Uint8Array(bytes.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const ggufRow = h * headDim + i * 2 + j;
        const hfRow = h * headDim + j * half + i;
        const [from, to] = toGguf ? [hfRow, ggufRow] : [ggufRow, hfRow];
        out.set(bytes.subarray(from * rowBytes, (from + 1) * rowBytes), to * rowBytes);
      }
    }
  }
  return out;
}

/** HF layout → GGUF layout (what convert_hf_to_gguf.py does to q_proj/k_proj). */
export function permuteHfToGguf(options: RopePermuteOptions): Uint8Array {
  return permuteRows(options, true);
}

/** GGUF layout → HF layout (the inverse). */
export function permuteGgufToHf(options: RopePermuteOptions): Uint8Array {
  return permuteRows(options, false);
}
