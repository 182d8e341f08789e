// GGUF: reader (single and split files), writer (a streaming state machine), value types and constants.
export * from "./constants.js";
export * from "./errors.js";
export * from "./values.js";
export { parseGgufHeader, alignUp, type GgufHeader, type GgufTensorHeader } from "./parse.js";
export { openGguf, splitShardPaths, GgufModel, type GgufTensorInfo, type OpenGgufOptions } from "./reader.js";
export { ByteSink, encodeGgufHeader } from "./encode.js";
export { GgufWriter, writeGguf, type GgufTensorDeclaration, type GgufTensorWithData, type TensorData as GgufTensorData, type WriteGgufOptions, type GgufWriterOptions } from "./writer.js";
