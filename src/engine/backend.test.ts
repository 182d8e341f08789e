// Backend selection: explicit names, DUSK_BACKEND, and the automatic choice.
import { afterEach, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../common/index.js";
import { getKernels, isBackendAvailable } from "./backend.js";

describe("getKernels", () => {
  const saved = process.env.DUSK_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.DUSK_BACKEND;
    else process.env.DUSK_BACKEND = saved;
  });

  it("loads the backend it is asked for, once", () => {
    expect(getKernels("wasm").backend).toBe("wasm");
    expect(getKernels("wasm")).toBe(getKernels("wasm"));
  });

  it("follows DUSK_BACKEND unless a backend is named, and refuses unknown names", () => {
    process.env.DUSK_BACKEND = "wasm";
    expect(getKernels().backend).toBe("wasm");
    expect(getKernels("auto").backend).toBe("wasm");
    process.env.DUSK_BACKEND = "cuda";
    expect(() => getKernels()).toThrow(InvalidArgumentError);
    expect(getKernels("wasm").backend).toBe("wasm");
  });

  it("chooses native automatically when it loads, else wasm", () => {
    delete process.env.DUSK_BACKEND;
    expect(getKernels().backend).toBe(isBackendAvailable("native") ? "native" : "wasm");
  });
});
