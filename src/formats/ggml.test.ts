// The ggml type table against the block sizes ggml-common.h asserts (static_assert(sizeof(block_x) == ...)),
// written out here as plain numbers, and the byte-size arithmetic for tensor shapes.
import { describe, expect, it } from "vitest";
import { GGML_TYPES, ggmlTensorBytes, ggmlTypeById, ggmlTypeByName, requireGgmlType, UnknownGgmlTypeError } from "./ggml.js";

/** id, name, elements per block, bytes per block. */
const EXPECTED: [number, string, number, number][] = [
  [0, "F32", 1, 4], [1, "F16", 1, 2], [2, "Q4_0", 32, 18], [3, "Q4_1", 32, 20], [6, "Q5_0", 32, 22], [7, "Q5_1", 32, 24],
  [8, "Q8_0", 32, 34], [9, "Q8_1", 32, 36], [10, "Q2_K", 256, 84], [11, "Q3_K", 256, 110], [12, "Q4_K", 256, 144],
  [13, "Q5_K", 256, 176], [14, "Q6_K", 256, 210], [15, "Q8_K", 256, 292], [16, "IQ2_XXS", 256, 66], [17, "IQ2_XS", 256, 74],
  [18, "IQ3_XXS", 256, 98], [19, "IQ1_S", 256, 50], [20, "IQ4_NL", 32, 18], [21, "IQ3_S", 256, 110], [22, "IQ2_S", 256, 82],
  [23, "IQ4_XS", 256, 136], [24, "I8", 1, 1], [25, "I16", 1, 2], [26, "I32", 1, 4], [27, "I64", 1, 8], [28, "F64", 1, 8],
  [29, "IQ1_M", 256, 56], [30, "BF16", 1, 2], [34, "TQ1_0", 256, 54], [35, "TQ2_0", 256, 66], [39, "MXFP4", 32, 17],
];

describe("ggml type table", () => {
  it("has every type ggml defines with the block sizes ggml-common.h asserts", () => {
    expect(GGML_TYPES.map((t) => [t.id, t.name, t.blockSize, t.bytesPerBlock])).toEqual(EXPECTED);
    expect(GGML_TYPES.filter((t) => t.float).map((t) => t.name)).toEqual(["F32", "F16", "F64", "BF16"]);
  });

  it("looks types up by id and by name, and refuses removed or unknown ids", () => {
    expect(ggmlTypeById(12)?.name).toBe("Q4_K");
    expect(ggmlTypeByName("q8_0")?.id).toBe(8);
    for (const id of [4, 5, 31, 32, 33, 36, 37, 38, 40, 1000]) expect(ggmlTypeById(id)).toBeUndefined();
    expect(() => requireGgmlType(4, "tensor \"x\"")).toThrow(UnknownGgmlTypeError);
    expect(() => requireGgmlType("Q4_2", "tensor \"x\"")).toThrow(/expected a known ggml type for tensor "x" but found "Q4_2"/);
  });

  it("computes tensor byte sizes, refusing partial blocks and sizes past 2^53", () => {
    const type = (name: string) => ggmlTypeByName(name)!;
    expect(ggmlTensorBytes(type("F32"), [4096, 32000])).toBe(4096 * 32000 * 4);
    expect(ggmlTensorBytes(type("Q4_K"), [4096, 11008])).toBe((4096 / 256) * 144 * 11008);
    expect(ggmlTensorBytes(type("Q8_0"), [64, 3, 2])).toBe(2 * 34 * 6);
    expect(ggmlTensorBytes(type("F16"), [])).toBe(2);
    expect(ggmlTensorBytes(type("F32"), [0, 2 ** 40])).toBe(0);
    expect(ggmlTensorBytes(type("Q4_K"), [4000])).toMatch(/first dimension 4000 is not a multiple of Q4_K's block size 256/);
    expect(ggmlTensorBytes(type("F32"), [2 ** 52])).toBe("its byte size overflows");
    expect(ggmlTensorBytes(type("F32"), [2 ** 26, 2 ** 26])).toBe("its byte size overflows");
  });
});
