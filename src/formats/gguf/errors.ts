// GGUF errors: one class per failure, each saying what was expected and what was found.
import { DuskError } from "../../common/index.js";

const HINT_CORRUPT = "the file is damaged or not a GGUF model; download or export it again";

/** Any problem with a GGUF file's structure. */
export class GgufFormatError extends DuskError {
  constructor(code: string, path: string, message: string, hint = HINT_CORRUPT) {
    super(code, `${path}: ${message}`, { hint });
  }
}

/** The file does not start with "GGUF". */
export class InvalidGgufMagicError extends GgufFormatError {
  constructor(path: string, found: string) {
    super("GGUF_BAD_MAGIC", path, `expected the GGUF magic "GGUF" but got ${found}`, "this is not a GGUF file (a safetensors checkpoint is a folder or a .safetensors file)");
  }
}

/** A GGUF version dusk does not read. */
export class UnsupportedGgufVersionError extends GgufFormatError {
  constructor(path: string, version: number) {
    super("GGUF_UNSUPPORTED_VERSION", path, `expected GGUF version 2 or 3 but got version ${version}`, version === 1 ? "version 1 files are obsolete: convert the model again with a current llama.cpp" : HINT_CORRUPT);
  }
}

/** The file ends before a structure it declares. */
export class TruncatedGgufError extends GgufFormatError {
  constructor(path: string, what: string, needed: number | bigint, available: number) {
    super("GGUF_TRUNCATED", path, `expected ${needed} more bytes for ${what} but the file has only ${available} left`, "the file is truncated (an interrupted download or copy?); fetch it again");
  }
}

/** A count, length or dimension that cannot be right for a file of this size. */
export class ImplausibleGgufValueError extends GgufFormatError {
  constructor(path: string, what: string, found: number | bigint, limit: string) {
    super("GGUF_IMPLAUSIBLE_VALUE", path, `expected ${what} to be ${limit} but got ${found}`);
  }
}

/** A metadata value of an unknown type. */
export class InvalidGgufValueTypeError extends GgufFormatError {
  constructor(path: string, key: string, type: number) {
    super("GGUF_BAD_VALUE_TYPE", path, `expected a GGUF value type 0-12 for "${key}" but got ${type}`);
  }
}

/** Two keys or tensors with the same name. */
export class DuplicateGgufNameError extends GgufFormatError {
  constructor(path: string, kind: "metadata key" | "tensor", name: string) {
    super("GGUF_DUPLICATE_NAME", path, `expected each ${kind} name once but "${name}" appears twice`);
  }
}

/** A tensor whose data lies outside the file, overlaps another or is misaligned. */
export class InvalidGgufTensorError extends GgufFormatError {
  constructor(path: string, tensor: string, problem: string) {
    super("GGUF_BAD_TENSOR", path, `tensor "${tensor}": ${problem}`);
  }
}

/** Shards of a split model that do not belong together. */
export class GgufSplitError extends GgufFormatError {
  constructor(path: string, problem: string) {
    super("GGUF_BAD_SPLIT", path, problem, "keep all parts of a split model (-00001-of-0000N.gguf …) together in one folder, from the same download");
  }
}

/** A tensor name the model does not have. */
export class GgufTensorNotFoundError extends DuskError {
  constructor(path: string, name: string) {
    super("GGUF_TENSOR_NOT_FOUND", `${path}: expected a tensor named "${name}" but the model has none`, {
      hint: "list the model's tensors with `dusk inspect --json`",
    });
  }
}

/** A writer method called in the wrong state. */
export class GgufWriterStateError extends DuskError {
  constructor(method: string, expected: string, actual: string) {
    super("GGUF_WRITER_STATE", `GgufWriter.${method}() expected the writer to be in state "${expected}" but it is in state "${actual}"`, {
      hint: "call setMetadata/addTensor, then begin(), then writeTensorData() for each tensor in order, then finish()",
    });
  }
}

/** Tensor data handed to the writer that does not match what was declared. */
export class GgufWriterDataError extends DuskError {
  constructor(message: string) {
    super("GGUF_WRITER_DATA", message, { hint: "this is a bug in the code that called the writer" });
  }
}
