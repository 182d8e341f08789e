// The recipe layer: the SOLAR pipeline end to end in miniature (today: the demo).
export * from "./demo.js";
