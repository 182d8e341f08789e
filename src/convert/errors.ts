// Conversion errors: one class per failure, each saying what was expected and what was found, said before
// anything is written.
import { DuskError } from "../common/index.js";

/** A model whose architecture dusk does not convert (only Llama-family models are). */
export class UnsupportedArchitectureError extends DuskError {
  constructor(where: string, found: string) {
    super("CONVERT_ARCHITECTURE", `${where}: expected a Llama model (model_type "llama", LlamaForCausalLM) but found ${found}`, {
      hint: "dusk converts Llama-family checkpoints (Llama, Llama 2, SOLAR, TinyLlama and dusk's own models); other architectures need llama.cpp's convert_hf_to_gguf.py",
    });
  }
}

/** A config.json setting the conversion cannot carry into GGUF (or a GGUF key it cannot carry back). */
export class UnsupportedConfigError extends DuskError {
  constructor(where: string, message: string) {
    super("CONVERT_CONFIG", `${where}: ${message}`, { hint: "this Llama variant is not supported by dusk convert yet" });
  }
}

/** A tokenizer that dusk cannot convert. */
export class UnsupportedTokenizerError extends DuskError {
  constructor(message: string, hint = "dusk converts byte-level BPE tokenizers (GPT-2 style, dusk's own) and Llama 2's SentencePiece BPE; put a tokenizer.gguf (a vocab-only GGUF) in the folder to carry any other tokenizer") {
    super("CONVERT_TOKENIZER", message, { hint });
  }
}

/** A tensor type the conversion cannot read or write. */
export class UnsupportedTensorTypeError extends DuskError {
  constructor(where: string, tensor: string, found: string, hint: string) {
    super("CONVERT_TENSOR_TYPE", `${where}: tensor "${tensor}" expected F32, F16, BF16 or Q8_0 but found ${found}`, { hint });
  }
}

/** A tensor whose rows do not fit the output type's block size. */
export class BlockSizeError extends DuskError {
  constructor(tensor: string, type: string, rowLength: number, blockSize: number) {
    super("CONVERT_BLOCK_SIZE", `tensor "${tensor}" has rows of ${rowLength} values but ${type} expected a multiple of ${blockSize}`, {
      hint: `choose --type F16 (or F32/BF16), which has no block size`,
    });
  }
}

/** Tensors of the input that do not make a Llama model: unknown names, missing tensors, wrong shapes. */
export class ModelTensorsError extends DuskError {
  constructor(where: string, message: string) {
    super("CONVERT_TENSORS", `${where}: ${message}`, { hint: "the model does not match its config: check that the files belong together" });
  }
}

/** An output path of the wrong kind for the conversion's direction. */
export class ConvertOutputError extends DuskError {
  constructor(message: string, hint: string) {
    super("CONVERT_OUTPUT", message, { hint });
  }
}
