// Tests of header parsing and validation (one test per error class) and of header planning.
import { describe, expect, it } from "vitest";
import {
  DuplicateSafetensorsNameError,
  InvalidSafetensorsEntryError,
  InvalidSafetensorsHeaderError,
  InvalidSafetensorsMetadataError,
  InvalidSafetensorsOffsetsError,
  InvalidSafetensorsShapeError,
  SafetensorsDataHoleError,
  SafetensorsDataOverlapError,
  SafetensorsOffsetOutOfBoundsError,
  SafetensorsSizeMismatchError,
  SafetensorsTrailingDataError,
  UnknownSafetensorsDtypeError,
} from "./errors.js";
import { parseSafetensorsHeader, planSafetensors, tensorByteLength } from "./header.js";
import { scanJsonKeys } from "./json-keys.js";

const entry = (dtype: string, shape: unknown, offsets: unknown): string => JSON.stringify({ dtype, shape, data_offsets: offsets });

describe("scanJsonKeys", () => {
  it("keeps the text order of top-level keys, integer-like ones included", () => {
    const text = '{"b": 1, "10": {"x": [1, {"y": 2}]}, "2": "s,\\"{", "a": []}';
    expect(Object.keys(JSON.parse(text) as object)).toEqual(["2", "10", "b", "a"]);
    expect(scanJsonKeys(text).topLevelKeys).toEqual(["b", "10", "2", "a"]);
  });

  it("finds duplicates at the top level, nested, and spelled with escapes", () => {
    expect(scanJsonKeys('{"a":1,"b":2,"a":3}').duplicate).toEqual({ key: "a", path: [] });
    expect(scanJsonKeys('{"t":{"dtype":"F32","dtype":"F16"}}').duplicate).toEqual({ key: "dtype", path: ["t"] });
    expect(scanJsonKeys('{"ab":1,"a\\u0062":2}').duplicate?.key).toBe("ab");
    expect(scanJsonKeys('{"l":[{"a":1},{"a":1}]}').duplicate).toBeUndefined();
  });

  it("records the key order of one named object", () => {
    expect(scanJsonKeys('{"m":{"z":"1","3":"2"},"t":{"q":1}}', "m").recordedKeys).toEqual(["z", "3"]);
    expect(scanJsonKeys('{"t":{"q":1}}', "m").recordedKeys).toBeUndefined();
  });
});

describe("parseSafetensorsHeader", () => {
  it("reads tensors in header order with their sizes and metadata", () => {
    const text = `{"__metadata__":{"format":"pt","1":"one"},"z":${entry("F32", [2, 2], [8, 24])},"a":${entry("BF16", [4], [0, 8])},"e":${entry("U8", [0, 3], [24, 24])},"s":${entry("I8", [], [24, 25])}}   `;
    const header = parseSafetensorsHeader(text, 25);
    expect(header.tensors.map((t) => [t.name, t.type, t.shape, t.byteLength, t.dataOffsets])).toEqual([
      ["z", "F32", [2, 2], 16, [8, 24]],
      ["a", "BF16", [4], 8, [0, 8]],
      ["e", "U8", [0, 3], 0, [24, 24]],
      ["s", "I8", [], 1, [24, 25]],
    ]);
    expect(header.metadata).toEqual([["format", "pt"], ["1", "one"]]);
  });

  it("refuses deep nesting before JSON.parse spends seconds on it", () => {
    const deep = `{"a":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`;
    const start = performance.now();
    expect(() => parseSafetensorsHeader(deep, 0)).toThrow("found JSON nested deeper than 128 levels");
    expect(performance.now() - start).toBeLessThan(500);
    const nested = (depth: number): string => `{"a":{"dtype":"U8","shape":${"[".repeat(depth)}${"]".repeat(depth)},"data_offsets":[0,0]}}`;
    expect(() => parseSafetensorsHeader(nested(126), 0)).toThrow(InvalidSafetensorsShapeError);
    expect(() => parseSafetensorsHeader(nested(127), 0)).toThrow(InvalidSafetensorsHeaderError);
    expect(() => parseSafetensorsHeader('{"a":"[[[[[[[[[[[["}'.replace("[[", "[".repeat(300)), 0)).toThrow(InvalidSafetensorsEntryError);
  });

  it("accepts an empty header for an empty buffer", () => {
    expect(parseSafetensorsHeader("{}", 0)).toEqual({ tensors: [], metadata: undefined });
  });

  const cases: [string, string, number, new (...args: never[]) => Error, RegExp][] = [
    ["not starting with {", ` {"a":${entry("U8", [1], [0, 1])}}`, 1, InvalidSafetensorsHeaderError, /UTF-8 JSON object but found text starting with/],
    ["invalid JSON", '{"a":', 0, InvalidSafetensorsHeaderError, /invalid JSON/],
    ["duplicate tensor", `{"a":${entry("U8", [1], [0, 1])},"a":${entry("U8", [1], [1, 2])}}`, 2, DuplicateSafetensorsNameError, /"a" appears twice/],
    ["duplicate field", '{"a":{"dtype":"U8","dtype":"F64","shape":[1],"data_offsets":[0,1]}}', 1, DuplicateSafetensorsNameError, /in "a" once but "dtype"/],
    ["duplicate metadata key", '{"__metadata__":{"k":"1","k":"2"}}', 0, DuplicateSafetensorsNameError, /"k" appears twice/],
    ["entry not an object", '{"a":[1,2]}', 0, InvalidSafetensorsEntryError, /expected tensor "a" to be \{dtype, shape, data_offsets\} but found \[1,2\]/],
    ["entry missing offsets", '{"a":{"dtype":"U8","shape":[1]}}', 1, InvalidSafetensorsEntryError, /found \{"dtype":"U8","shape":\[1\]\}/],
    ["unknown dtype", `{"a":${entry("F4", [1], [0, 1])}}`, 1, UnknownSafetensorsDtypeError, /dtype in F64\/.*but found F4/],
    ["negative dimension", `{"a":${entry("U8", [-1], [0, 1])}}`, 1, InvalidSafetensorsShapeError, /but found \[-1\]/],
    ["fractional dimension", `{"a":${entry("U8", [1.5], [0, 1])}}`, 1, InvalidSafetensorsShapeError, /but found \[1.5\]/],
    ["shape not a list", `{"a":${entry("U8", "1", [0, 1])}}`, 1, InvalidSafetensorsShapeError, /but found "1"/],
    ["offsets not a pair", `{"a":${entry("U8", [1], [0])}}`, 1, InvalidSafetensorsOffsetsError, /but found \[0\]/],
    ["offsets reversed", `{"a":${entry("U8", [1], [2, 1])}}`, 2, InvalidSafetensorsOffsetsError, /but found \[2,1\]/],
    ["offset of 2^60", '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1152921504606846976]}}', 1, InvalidSafetensorsOffsetsError, /1152921504606847000/],
    ["offset past the buffer", `{"a":${entry("U8", [4], [0, 4])}}`, 3, SafetensorsOffsetOutOfBoundsError, /within the 3-byte data buffer but it ends at 4/],
    ["shape × dtype mismatch", `{"a":${entry("F32", [3], [0, 8])}}`, 8, SafetensorsSizeMismatchError, /span 12 bytes .* but its data_offsets span 8/],
    ["shape product overflow", `{"a":${entry("F32", [2 ** 52, 2 ** 52], [0, 8])}}`, 8, SafetensorsSizeMismatchError, /span 81129638414606681695789005144064 bytes/],
    ["hole", `{"a":${entry("U8", [1], [0, 1])},"b":${entry("U8", [1], [2, 3])}}`, 3, SafetensorsDataHoleError, /"b" to begin at 1 .* but it begins at 2, leaving a hole/],
    ["overlap", `{"a":${entry("U8", [2], [0, 2])},"b":${entry("U8", [2], [1, 3])}}`, 3, SafetensorsDataOverlapError, /"b" to begin at 2 .* begins at 1, overlapping/],
    ["trailing bytes", `{"a":${entry("U8", [2], [0, 2])}}`, 5, SafetensorsTrailingDataError, /whole 5-byte data buffer but they end at 2/],
    ["metadata not an object", '{"__metadata__":["x"]}', 0, InvalidSafetensorsMetadataError, /but found \["x"\]/],
    ["metadata value not a string", '{"__metadata__":{"n":3}}', 0, InvalidSafetensorsMetadataError, /but found "n": 3/],
  ];
  for (const [label, text, buffer, errorClass, message] of cases) {
    it(`refuses ${label}`, () => {
      expect(() => parseSafetensorsHeader(text, buffer, "f.safetensors")).toThrow(errorClass);
      expect(() => parseSafetensorsHeader(text, buffer, "f.safetensors")).toThrow(message);
    });
  }
});

describe("planSafetensors", () => {
  it("serializes like the reference writer: compact, metadata first, spaces to a multiple of 8", () => {
    const plan = planSafetensors([{ name: "test", dtype: "I32", shape: [2, 2] }], undefined);
    // The safetensors README's example header, padded to 64 bytes.
    expect(plan.headerText).toBe('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}' + " ".repeat(4));
    const withMetadata = planSafetensors(
      [
        { name: "b", dtype: "F16", shape: [3] },
        { name: "a", dtype: "U8", shape: [1] },
      ],
      [["format", "pt"]],
    );
    expect(withMetadata.headerText.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},"b":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"a":{"dtype":"U8","shape":[1],"data_offsets":[6,7]}}',
    );
    expect(withMetadata.headerBytes.length % 8).toBe(0);
    expect(withMetadata.dataBytes).toBe(7);
  });

  it("counts padding in UTF-8 bytes, not characters", () => {
    const plan = planSafetensors([{ name: "é", dtype: "U8", shape: [1] }], undefined);
    expect(plan.headerBytes.length % 8).toBe(0);
    expect(parseSafetensorsHeader(plan.headerText, 1).tensors[0]?.name).toBe("é");
  });

  it("refuses bad declarations", () => {
    expect(() => planSafetensors([{ name: "a", dtype: "U8", shape: [1] }, { name: "a", dtype: "U8", shape: [1] }], undefined)).toThrow(DuplicateSafetensorsNameError);
    expect(() => planSafetensors([{ name: "__metadata__", dtype: "U8", shape: [1] }], undefined)).toThrow(DuplicateSafetensorsNameError);
    expect(() => planSafetensors([{ name: "a", dtype: "Q8_0", shape: [32] }], undefined)).toThrow(UnknownSafetensorsDtypeError);
    expect(() => planSafetensors([{ name: "a", dtype: "F32", shape: [-2] }], undefined)).toThrow(InvalidSafetensorsShapeError);
    expect(() => planSafetensors([{ name: "a", dtype: "F64", shape: [2 ** 40, 2 ** 20] }], undefined)).toThrow(/too large/);
    expect(() => planSafetensors([], [["k", "1"], ["k", "2"]])).toThrow(DuplicateSafetensorsNameError);
  });

  it("computes byte lengths without overflow", () => {
    expect(tensorByteLength("F32", [2 ** 53, 2 ** 53])).toBe(2n ** 108n);
    expect(tensorByteLength("BOOL", [])).toBe(1n);
  });
});
