// The ggml tensor type table: every type id ggml defines, with its block size (elements per block) and bytes per
// block. Source: ggml/include/ggml.h (enum ggml_type) and ggml/src/ggml.c (type_traits, blck_size / type_size)
// as bundled with llama.cpp for node-llama-cpp 3.21.1; block layouts in ggml/src/ggml-common.h.
import { DuskError } from "../common/index.js";

/** Size facts of one ggml type. */
export interface GgmlTypeInfo {
  /** The ggml type id stored in GGUF tensor infos. */
  readonly id: number;
  /** The name as ggml spells it (`Q4_K`, `F16`). */
  readonly name: string;
  /** Elements per block; a row's length must be a multiple of it. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly bytesPerBlock: number;
  /** True for the plain floating-point types dusk can convert without quantizing (F32, F16, BF16, F64). */
  readonly float: boolean;
}

const QK_K = 256;

/** Every ggml type whose layout is known, by id. Ids 4, 5 and 31-33, 36-38 were removed from ggml and are refused. */
export const GGML_TYPES: readonly GgmlTypeInfo[] = [
  { id: 0, name: "F32", blockSize: 1, bytesPerBlock: 4, float: true },
  { id: 1, name: "F16", blockSize: 1, bytesPerBlock: 2, float: true },
  { id: 2, name: "Q4_0", blockSize: 32, bytesPerBlock: 2 + 16, float: false },
  { id: 3, name: "Q4_1", blockSize: 32, bytesPerBlock: 2 + 2 + 16, float: false },
  { id: 6, name: "Q5_0", blockSize: 32, bytesPerBlock: 2 + 4 + 16, float: false },
  { id: 7, name: "Q5_1", blockSize: 32, bytesPerBlock: 2 + 2 + 4 + 16, float: false },
  { id: 8, name: "Q8_0", blockSize: 32, bytesPerBlock: 2 + 32, float: false },
  { id: 9, name: "Q8_1", blockSize: 32, bytesPerBlock: 2 + 2 + 32, float: false },
  { id: 10, name: "Q2_K", blockSize: QK_K, bytesPerBlock: QK_K / 16 + QK_K / 4 + 2 + 2, float: false },
  { id: 11, name: "Q3_K", blockSize: QK_K, bytesPerBlock: QK_K / 8 + QK_K / 4 + 12 + 2, float: false },
  { id: 12, name: "Q4_K", blockSize: QK_K, bytesPerBlock: 2 + 2 + 12 + QK_K / 2, float: false },
  { id: 13, name: "Q5_K", blockSize: QK_K, bytesPerBlock: 2 + 2 + 12 + QK_K / 8 + QK_K / 2, float: false },
  { id: 14, name: "Q6_K", blockSize: QK_K, bytesPerBlock: QK_K / 2 + QK_K / 4 + QK_K / 16 + 2, float: false },
  { id: 15, name: "Q8_K", blockSize: QK_K, bytesPerBlock: 4 + QK_K + (QK_K / 16) * 2, float: false },
  { id: 16, name: "IQ2_XXS", blockSize: QK_K, bytesPerBlock: 2 + (QK_K / 8) * 2, float: false },
  { id: 17, name: "IQ2_XS", blockSize: QK_K, bytesPerBlock: 2 + (QK_K / 8) * 2 + QK_K / 32, float: false },
  { id: 18, name: "IQ3_XXS", blockSize: QK_K, bytesPerBlock: 2 + (3 * QK_K) / 8, float: false },
  { id: 19, name: "IQ1_S", blockSize: QK_K, bytesPerBlock: 2 + QK_K / 8 + (QK_K / 32) * 2, float: false },
  { id: 20, name: "IQ4_NL", blockSize: 32, bytesPerBlock: 2 + 16, float: false },
  { id: 21, name: "IQ3_S", blockSize: QK_K, bytesPerBlock: 2 + QK_K / 4 + QK_K / 32 + QK_K / 8 + QK_K / 64, float: false },
  { id: 22, name: "IQ2_S", blockSize: QK_K, bytesPerBlock: 2 + QK_K / 4 + QK_K / 32 + QK_K / 32, float: false },
  { id: 23, name: "IQ4_XS", blockSize: QK_K, bytesPerBlock: 2 + 2 + QK_K / 64 + QK_K / 2, float: false },
  { id: 24, name: "I8", blockSize: 1, bytesPerBlock: 1, float: false },
  { id: 25, name: "I16", blockSize: 1, bytesPerBlock: 2, float: false },
  { id: 26, name: "I32", blockSize: 1, bytesPerBlock: 4, float: false },
  { id: 27, name: "I64", blockSize: 1, bytesPerBlock: 8, float: false },
  { id: 28, name: "F64", blockSize: 1, bytesPerBlock: 8, float: true },
  { id: 29, name: "IQ1_M", blockSize: QK_K, bytesPerBlock: QK_K / 8 + QK_K / 16 + QK_K / 32, float: false },
  { id: 30, name: "BF16", blockSize: 1, bytesPerBlock: 2, float: true },
  { id: 34, name: "TQ1_0", blockSize: QK_K, bytesPerBlock: (QK_K - (4 * QK_K) / 64) / 5 + QK_K / 64 + 2, float: false },
  { id: 35, name: "TQ2_0", blockSize: QK_K, bytesPerBlock: QK_K / 4 + 2, float: false },
  { id: 39, name: "MXFP4", blockSize: 32, bytesPerBlock: 1 + 16, float: false },
];

const byId = new Map(GGML_TYPES.map((type) => [type.id, type]));
const byName = new Map(GGML_TYPES.map((type) => [type.name, type]));

/** Named ids of the types dusk's own code produces or converts. */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
  Q2_K: 10,
  Q4_K: 12,
  Q6_K: 14,
  BF16: 30,
} as const;

/** A tensor type id that ggml does not define (or whose layout dusk does not know). */
export class UnknownGgmlTypeError extends DuskError {
  constructor(found: number | string, where: string) {
    super("GGML_UNKNOWN_TYPE", `expected a known ggml type for ${where} but found ${typeof found === "number" ? `type id ${found}` : `"${found}"`}`, {
      hint: `dusk copies any type whose block size it knows (${GGML_TYPES.map((t) => t.name).join(", ")}); a newer type needs a newer dusk`,
    });
  }
}

/** Looks up a ggml type by id, or undefined. */
export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return byId.get(id);
}

/** Looks up a ggml type by name (case-insensitive), or undefined. */
export function ggmlTypeByName(name: string): GgmlTypeInfo | undefined {
  return byName.get(name.toUpperCase());
}

/** Looks up a ggml type by id or name, throwing UnknownGgmlTypeError naming `where` when unknown. */
export function requireGgmlType(idOrName: number | string, where: string): GgmlTypeInfo {
  const type = typeof idOrName === "number" ? ggmlTypeById(idOrName) : ggmlTypeByName(idOrName);
  if (!type) throw new UnknownGgmlTypeError(idOrName, where);
  return type;
}

/**
 * Bytes of a tensor of `type` with ggml dims `ne` (fastest first), or an explanation of why it is impossible:
 * the first dimension must be a multiple of the block size. Returns a number only when it is a safe integer.
 */
export function ggmlTensorBytes(type: GgmlTypeInfo, ne: readonly number[]): number | string {
  const first = ne[0] ?? 1;
  if (first % type.blockSize !== 0) {
    return `its first dimension ${first} is not a multiple of ${type.name}'s block size ${type.blockSize}`;
  }
  let bytes = (first / type.blockSize) * type.bytesPerBlock;
  if (!Number.isSafeInteger(bytes)) return "its byte size overflows";
  for (let i = 1; i < ne.length; i++) {
    bytes *= ne[i] ?? 1;
    if (!Number.isSafeInteger(bytes)) return "its byte size overflows";
  }
  return bytes;
}
