// Merge errors: bad configurations and incompatible donors, each said before anything is written.
import { DuskError } from "../common/index.js";

/** A merge configuration (YAML or flags) that cannot be carried out. */
export class MergeConfigError extends DuskError {
  constructor(message: string, hint = "see `dusk merge --help` for the supported mergekit keys and an example") {
    super("MERGE_CONFIG", message, { hint });
  }
}

/** Donor models that cannot be stacked together; the message holds a table of the differences. */
export class IncompatibleDonorsError extends DuskError {
  constructor(table: string) {
    super("MERGE_DONORS", `expected donors with the same architecture, sizes and tokenizer but they differ:\n${table}`, {
      hint: "merge only models of one family (same base); mergekit would produce a broken model here",
    });
  }
}

/** An output format that cannot be produced from the inputs without re-quantizing (or, for linear merges, dequantizing). */
export class UnsupportedConversionError extends DuskError {
  constructor(message: string, hint = "write a .gguf output for quantized inputs, or convert float GGUF (F32/F16/BF16) to safetensors; dusk never re-quantizes during a merge") {
    super("MERGE_CONVERSION", message, { hint });
  }
}

/** Models of a linear merge whose tensors differ in names, shapes or types; the message holds a table of the differences. */
export class IncompatibleTensorsError extends DuskError {
  constructor(table: string) {
    super("MERGE_TENSORS", `expected models with identical tensor names, shapes and types for a linear merge but they differ:\n${table}`, {
      hint: "a linear merge averages models of one size and layout (e.g. two fine-tunes of one base); stack models of different depths with merge_method: passthrough",
    });
  }
}
