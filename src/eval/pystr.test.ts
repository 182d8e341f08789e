// Python string semantics against CPython 3.11's own outputs (recorded with the snippets in the comments).
import { describe, expect, it } from "vitest";
import { pyCapitalize, pyReplace, pyRstrip, pyStrip } from "./pystr.js";

describe("Python string semantics", () => {
  it("capitalize: title-cases the first character and lower-cases the rest, as CPython does", () => {
    // json.dumps([[t, t.capitalize()] for t in tests])
    const recorded: [string, string][] = [
      ["hello World", "Hello world"],
      ["\u00dftra\u00dfe", "Sstra\u00dfe"],
      ["\u01c6emal", "\u01c5emal"],
      ["\ufb01sh Food", "Fish food"],
      ["\u0391\u03a3 \u039f\u0394\u039f\u03a3", "\u0391\u03c2 \u03bf\u03b4\u03bf\u03c2"],
      ["\u1fb3\u03b2\u03b3", "\u1fbc\u03b2\u03b3"],
      ["ARMENIAN \u0587", "Armenian \u0587"],
      ["\u0130STANBUL", "\u0130stanbul"],
      ["", ""],
      ["a", "A"],
      ["1ST PLACE", "1st place"],
      ["\u03a3\u0391\u03a3.", "\u03a3\u03b1\u03c2."],
      ["\u10a0 \u10d0", "\u10a0 \u10d0"],
    ];
    for (const [input, expected] of recorded) expect(pyCapitalize(input)).toBe(expected);
  });

  it("strip uses Python's whitespace set, not JavaScript's", () => {
    // repr(' \x1c\tx \ufeff\x85'.strip()) == 'x \ufeff'
    expect(pyStrip(" \x1c\tx \ufeff\x85")).toBe("x \ufeff");
    expect(" \x1c\tx \ufeff\x85".trim()).not.toBe("x \ufeff");
    expect(pyRstrip("context \n\n")).toBe("context");
    expect(pyRstrip("\u00a0")).toBe("");
  });

  it("replace is a single left-to-right pass over non-overlapping occurrences", () => {
    // 'a   b    c'.replace('  ', ' ') == 'a  b  c'
    expect(pyReplace("a   b    c", "  ", " ")).toBe("a  b  c");
  });
});
