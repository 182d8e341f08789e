// Quantization: half-precision conversions and the block formats dusk writes itself.
export * from "./half.js";
export * from "./quantize.js";
