// The arch layer: architectures as data (tensor names, shapes, per-layer keys) and the q/k rope permutation.
export * from "./llama.js";
export * from "./rope.js";
export * from "./llama-metadata.js";
