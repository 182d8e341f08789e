// Training examples: reading rows from .jsonl, .json and .parquet files (or folders of them), and turning them into
// SFT conversations or DPO preference pairs, with every bad row reported by its number and place.
export { readRows, TRAINING_DATA_EXTENSIONS, type DataRow } from "./rows.js";
export { BadRowsError, TrainingDataError, PROBLEMS_SHOWN, describeProblems, type RowProblem } from "./errors.js";
export { BAD_ROWS_POLICIES, checkBadRowsPolicy, type BadRowsPolicy } from "./fields.js";
export { SFT_FORMATS, detectSftFormat, parseSftRows, type ParseSftOptions, type SftExample, type SftFormat, type SftRows } from "./sft.js";
export { PAIR_FORMATS, detectPairFormat, parsePairs, type PairFormat, type ParsePairsOptions, type PairRows, type PreferencePair } from "./pairs.js";
