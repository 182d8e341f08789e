// safetensors errors: one class per failure, each saying what was expected and what was found.
import { DuskError } from "../../common/index.js";
import { MAX_HEADER_BYTES, SAFETENSORS_DTYPES } from "./constants.js";

const HINT_CORRUPT = "the file is damaged or not a safetensors model; download or export it again";
const HINT_TRUNCATED = "the file is truncated (an interrupted download or copy?); fetch it again";

/** Any problem with a safetensors file's structure (or with what a writer was asked to write). */
export class SafetensorsFormatError extends DuskError {
  constructor(code: string, path: string, message: string, hint = HINT_CORRUPT) {
    super(code, `${path}: ${message}`, { hint });
  }
}

/** The file ends before the header or a tensor it declares. */
export class TruncatedSafetensorsError extends SafetensorsFormatError {
  constructor(path: string, what: string, needed: number | bigint, available: number) {
    super("SAFETENSORS_TRUNCATED", path, `expected ${needed} bytes for ${what} but the file has only ${available}`, HINT_TRUNCATED);
  }
}

/** The header length is above the 100 MB limit (refused before anything is allocated). */
export class SafetensorsHeaderTooLargeError extends SafetensorsFormatError {
  constructor(path: string, claimed: bigint) {
    super(
      "SAFETENSORS_HEADER_TOO_LARGE",
      path,
      `expected a header of at most ${MAX_HEADER_BYTES} bytes but the header length says ${claimed}`,
      "real safetensors headers are kilobytes to a few megabytes: this file is damaged or not a safetensors file",
    );
  }
}

/** The header is not UTF-8 JSON describing an object. */
export class InvalidSafetensorsHeaderError extends SafetensorsFormatError {
  constructor(path: string, found: string) {
    super("SAFETENSORS_BAD_HEADER", path, `expected the header to be a UTF-8 JSON object but found ${found}`);
  }
}

/** A name (tensor, metadata key or entry field) appears twice in the header. */
export class DuplicateSafetensorsNameError extends SafetensorsFormatError {
  constructor(path: string, where: string, name: string, hint?: string) {
    super("SAFETENSORS_DUPLICATE_NAME", path, `expected each name in ${where} once but "${name}" appears twice`, hint);
  }
}

/** A tensor entry that is not an object with `dtype`, `shape` and `data_offsets`. */
export class InvalidSafetensorsEntryError extends SafetensorsFormatError {
  constructor(path: string, name: string, found: string) {
    super("SAFETENSORS_BAD_ENTRY", path, `expected tensor "${name}" to be {dtype, shape, data_offsets} but found ${found}`);
  }
}

/** A dtype dusk does not know. */
export class UnknownSafetensorsDtypeError extends SafetensorsFormatError {
  constructor(path: string, name: string, dtype: string, hint?: string) {
    super("SAFETENSORS_UNKNOWN_DTYPE", path, `expected tensor "${name}" to have a dtype in ${SAFETENSORS_DTYPES.join("/")} but found ${dtype}`, hint);
  }
}

/** A shape that is not a list of non-negative safe integers. */
export class InvalidSafetensorsShapeError extends SafetensorsFormatError {
  constructor(path: string, name: string, found: string, hint?: string) {
    super("SAFETENSORS_BAD_SHAPE", path, `expected tensor "${name}" to have a shape of non-negative integers but found ${found}`, hint);
  }
}

/** `data_offsets` that are not a pair [begin, end] of safe integers with begin <= end. */
export class InvalidSafetensorsOffsetsError extends SafetensorsFormatError {
  constructor(path: string, name: string, found: string) {
    super("SAFETENSORS_BAD_OFFSETS", path, `expected tensor "${name}" to have data_offsets [begin, end] with 0 <= begin <= end but found ${found}`);
  }
}

/** A tensor whose data ends past the end of the data buffer. */
export class SafetensorsOffsetOutOfBoundsError extends SafetensorsFormatError {
  constructor(path: string, name: string, end: number, bufferBytes: number) {
    super("SAFETENSORS_OFFSET_OUT_OF_BOUNDS", path, `expected tensor "${name}" to end within the ${bufferBytes}-byte data buffer but it ends at ${end}`, HINT_TRUNCATED);
  }
}

/** Shape × dtype size differs from the tensor's byte range. */
export class SafetensorsSizeMismatchError extends SafetensorsFormatError {
  constructor(path: string, name: string, expected: bigint, found: number) {
    super("SAFETENSORS_SIZE_MISMATCH", path, `expected tensor "${name}" to span ${expected} bytes (shape × dtype size) but its data_offsets span ${found}`);
  }
}

/** Bytes of the data buffer that no tensor covers between two tensors. */
export class SafetensorsDataHoleError extends SafetensorsFormatError {
  constructor(path: string, name: string, expectedBegin: number, begin: number) {
    super("SAFETENSORS_DATA_HOLE", path, `expected tensor "${name}" to begin at ${expectedBegin} (where the previous tensor ends) but it begins at ${begin}, leaving a hole`);
  }
}

/** Two tensors whose byte ranges overlap. */
export class SafetensorsDataOverlapError extends SafetensorsFormatError {
  constructor(path: string, name: string, expectedBegin: number, begin: number) {
    super("SAFETENSORS_DATA_OVERLAP", path, `expected tensor "${name}" to begin at ${expectedBegin} (where the previous tensor ends) but it begins at ${begin}, overlapping it`);
  }
}

/** Bytes after the last tensor: the data buffer is not fully covered. */
export class SafetensorsTrailingDataError extends SafetensorsFormatError {
  constructor(path: string, coveredBytes: number, bufferBytes: number) {
    super("SAFETENSORS_TRAILING_DATA", path, `expected the tensors to cover the whole ${bufferBytes}-byte data buffer but they end at ${coveredBytes}`);
  }
}

/** `__metadata__` that is not a string→string map. */
export class InvalidSafetensorsMetadataError extends SafetensorsFormatError {
  constructor(path: string, found: string, hint?: string) {
    super("SAFETENSORS_BAD_METADATA", path, `expected __metadata__ to map strings to strings but found ${found}`, hint);
  }
}

/** A tensor name that is not in the file. */
export class SafetensorsTensorNotFoundError extends SafetensorsFormatError {
  constructor(path: string, name: string) {
    super("SAFETENSORS_TENSOR_NOT_FOUND", path, `expected a tensor named "${name}" but the file has none`, "list the file's tensors with `dusk inspect`");
  }
}

/** The file was used after close(). */
export class SafetensorsClosedError extends SafetensorsFormatError {
  constructor(path: string) {
    super("SAFETENSORS_CLOSED", path, "expected an open file but it was already closed", "open the file again before reading from it");
  }
}

const HINT_WRITER = "this is a bug in the code driving the writer: declare every tensor, then begin(), write each tensor in order, then finish()";

/** A writer method called in the wrong state. */
export class SafetensorsWriterStateError extends SafetensorsFormatError {
  constructor(path: string, method: string, expected: string, actual: string) {
    super("SAFETENSORS_WRITER_STATE", path, `expected the writer to be in state "${expected}" for ${method}() but it is in state "${actual}"`, HINT_WRITER);
  }
}

/** A tensor written out of declaration order. */
export class SafetensorsWriterOrderError extends SafetensorsFormatError {
  constructor(path: string, expected: string, found: string) {
    super("SAFETENSORS_WRITER_ORDER", path, `expected the data of tensor ${expected} next but got ${found}`, HINT_WRITER);
  }
}

/** Tensor data whose length differs from the declared shape × dtype size. */
export class SafetensorsWriterByteCountError extends SafetensorsFormatError {
  constructor(path: string, name: string, expected: number, found: string) {
    super("SAFETENSORS_WRITER_BYTE_COUNT", path, `expected ${expected} bytes of data for tensor "${name}" but got ${found}`, "the tensor's data does not match its declared dtype and shape");
  }
}
