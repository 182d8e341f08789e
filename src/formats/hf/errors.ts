// Hugging Face checkpoint errors: one class per failure, each saying what was expected and what was found.
import { DuskError } from "../../common/index.js";

const HINT_DAMAGED = "the checkpoint folder is incomplete or damaged; download or export it again";

/** Any problem with a checkpoint folder as a whole. */
export class CheckpointError extends DuskError {
  constructor(code: string, path: string, message: string, hint = HINT_DAMAGED) {
    super(code, `${path}: ${message}`, { hint });
  }
}

/** A path that should be a checkpoint folder is a file. */
export class CheckpointNotAFolderError extends CheckpointError {
  constructor(path: string) {
    super("CHECKPOINT_NOT_A_FOLDER", path, "expected a checkpoint folder but found a file", "to read a single .safetensors file, use openSafetensors()");
  }
}

/** A JSON file of the checkpoint that is not valid JSON (or not an object). */
export class CheckpointJsonError extends CheckpointError {
  constructor(path: string, found: string) {
    super("CHECKPOINT_BAD_JSON", path, `expected a JSON object but found ${found}`);
  }
}

/** The folder has no config.json. */
export class CheckpointMissingConfigError extends CheckpointError {
  constructor(folder: string) {
    super("CHECKPOINT_NO_CONFIG", folder, "expected a config.json in the checkpoint folder but found none", "a Hugging Face checkpoint folder needs its config.json beside the weights");
  }
}

/** A config.json field that is missing or has the wrong type or value. */
export class CheckpointConfigError extends CheckpointError {
  constructor(path: string, field: string, expected: string, found: string) {
    super("CHECKPOINT_BAD_CONFIG", path, `expected field "${field}" to be ${expected} but found ${found}`, "fix config.json (see the model's documentation for its fields)");
  }
}

/** The folder has neither model.safetensors nor model.safetensors.index.json. */
export class CheckpointMissingWeightsError extends CheckpointError {
  constructor(folder: string, found: readonly string[]) {
    const listed = found.length === 0 ? "an empty folder" : found.slice(0, 8).join(", ") + (found.length > 8 ? ", ..." : "");
    super(
      "CHECKPOINT_NO_WEIGHTS",
      folder,
      `expected model.safetensors or model.safetensors.index.json but found ${listed}`,
      found.some((f) => f.endsWith(".bin")) ? "only safetensors weights are read: convert the PyTorch .bin files to safetensors first" : HINT_DAMAGED,
    );
  }
}

/** An index file whose shape is wrong (no weight_map, a file name with a path, a duplicate entry). */
export class CheckpointIndexError extends CheckpointError {
  constructor(path: string, expected: string, found: string) {
    super("CHECKPOINT_BAD_INDEX", path, `expected ${expected} but found ${found}`);
  }
}

/** A shard named by the index that is not in the folder. */
export class CheckpointShardMissingError extends CheckpointError {
  constructor(folder: string, shard: string, tensor: string) {
    super("CHECKPOINT_SHARD_MISSING", folder, `expected shard ${shard} (holding "${tensor}") but the folder has no such file`);
  }
}

/** A tensor the index places in a shard that does not hold it. */
export class CheckpointTensorMissingError extends CheckpointError {
  constructor(folder: string, tensor: string, shard: string) {
    super("CHECKPOINT_TENSOR_MISSING", folder, `expected tensor "${tensor}" in ${shard} as the index says but that shard does not hold it`);
  }
}

/** A tensor held by two shards. */
export class CheckpointDuplicateTensorError extends CheckpointError {
  constructor(folder: string, tensor: string, first: string, second: string) {
    super("CHECKPOINT_DUPLICATE_TENSOR", folder, `expected tensor "${tensor}" in one shard but found it in ${first} and ${second}`);
  }
}

/** A tensor in a shard that the index does not list (or lists in another shard). */
export class CheckpointUnindexedTensorError extends CheckpointError {
  constructor(folder: string, tensor: string, shard: string, indexed: string | undefined) {
    super("CHECKPOINT_UNINDEXED_TENSOR", folder, `expected tensor "${tensor}" of ${shard} to be in the index's weight_map under ${shard} but found ${indexed === undefined ? "no entry" : `it under ${indexed}`}`);
  }
}

/** The index's metadata.total_size differs from the shards' tensor bytes. */
export class CheckpointTotalSizeError extends CheckpointError {
  constructor(folder: string, declared: number, found: number) {
    super("CHECKPOINT_TOTAL_SIZE", folder, `expected the shards' tensors to total ${declared} bytes (index metadata.total_size) but they total ${found}`);
  }
}

/** A tensor name that is not in the checkpoint. */
export class CheckpointTensorNotFoundError extends CheckpointError {
  constructor(folder: string, name: string) {
    super("CHECKPOINT_TENSOR_NOT_FOUND", folder, `expected a tensor named "${name}" but the checkpoint has none`, "list the checkpoint's tensors with `dusk inspect`");
  }
}
