// The RFC 4180 parser against Python's csv module (outputs recorded with the snippet below) and on bad input.
import { describe, expect, it } from "vitest";
import { DataFormatError } from "../errors.js";
import { parseCsv } from "./csv.js";
import { OrderedObject, parseOrderedJson, toPlain } from "./ordered-json.js";

describe("parseCsv", () => {
  it("matches Python's csv.reader on quotes, doubled quotes, commas and newlines inside fields, CRLF", () => {
    // json.dumps([t, list(csv.reader(io.StringIO(t, newline='')))]) for each t
    const recorded: [string, string[][]][] = [
      ["a,b,c\n1,2,3\n", [["a", "b", "c"], ["1", "2", "3"]]],
      ['q,"x, y","he said ""hi"""\r\nnext,"multi\nline",\n', [["q", "x, y", 'he said "hi"'], ["next", "multi\nline", ""]]],
      ["last,field", [["last", "field"]]],
      ['"",,\n', [["", "", ""]]],
      ['x,"a"""\n', [["x", 'a"']]],
    ];
    for (const [text, records] of recorded) expect(parseCsv(text)).toEqual(records);
  });

  it("refuses an unclosed quote and text after a closing quote, naming the source", () => {
    expect(() => parseCsv('a,"open\n', { source: "x.csv" })).toThrow(DataFormatError);
    expect(() => parseCsv('a,"open\n', { source: "x.csv" })).toThrow(/x\.csv: expected a closing quote for the field opened on line 1/);
    expect(() => parseCsv('"a"b,c\n')).toThrow(/comma or line break after the closing quote/);
  });
});

describe("parseOrderedJson", () => {
  it("keeps object keys in source order, integer-like keys included, unlike JSON.parse", () => {
    const text = '{"z": 1, "10": 0, "2": 1, "a": [true, null, -1.5e2, "q\\"\\u00e9"]}';
    const parsed = parseOrderedJson(text) as OrderedObject;
    expect(parsed.entries.map(([k]) => k)).toEqual(["z", "10", "2", "a"]);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(["2", "10", "z", "a"]);
    expect(toPlain(parsed)).toEqual(JSON.parse(text));
  });

  it("keeps a repeated key at its first position with its last value, as Python's dict does", () => {
    const parsed = parseOrderedJson('{"a": 1, "b": 2, "a": 3}') as OrderedObject;
    expect(parsed.entries).toEqual([["a", 3], ["b", 2]]);
  });

  it("refuses malformed JSON with the offset", () => {
    expect(() => parseOrderedJson('{"a" 1}', "f.json")).toThrow(/f\.json: expected ':' at offset 5/);
    expect(() => parseOrderedJson("[1, 2", "f.json")).toThrow(DataFormatError);
    expect(() => parseOrderedJson("[1] x", "f.json")).toThrow(/the end of the document/);
  });
});
