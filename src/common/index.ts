// The common layer: typed errors, atomic outputs, units and progress, importable by every other layer.
export * from "./errors.js";
export * from "./atomic.js";
export * from "./units.js";
export * from "./progress.js";
export * from "./fast-copy.js";
