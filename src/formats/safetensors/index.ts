// safetensors model files: the validating reader (a TensorSource), the streaming writer, and their errors.
export * from "./constants.js";
export * from "./errors.js";
export { parseSafetensorsHeader, planSafetensors, tensorByteLength } from "./header.js";
export type { SafetensorsHeader, SafetensorsMetadataEntries, SafetensorsPlan, SafetensorsTensorInfo, SafetensorsTensorSpec } from "./header.js";
export { SafetensorsFile, openSafetensors, readSafetensors } from "./reader.js";
export { SafetensorsWriter, saveSafetensors, writeSafetensors } from "./writer.js";
export type {
  SafetensorsMetadataInput,
  SafetensorsTensorData,
  SafetensorsWriterOptions,
  SafetensorsWriterState,
  TensorData,
  WriteSafetensorsOptions,
} from "./writer.js";
