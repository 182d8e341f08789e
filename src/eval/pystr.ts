// Python string semantics the leaderboard's prompts depend on: str.strip/rstrip (Python's whitespace set, which
// differs from JavaScript's trim), str.capitalize (title-case first character, the rest lower-cased) and str.replace.

/** Code points for which Python's `str.isspace()` is true (CPython 3.11; JavaScript's trim also strips U+FEFF and not U+001C..U+001F, U+0085). */
const PYTHON_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
  0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/**
 * Characters whose title case (what Python's capitalize puts first) differs from their upper case.
 * Recorded from CPython 3.11: `[(hex(c), chr(c).capitalize()) for c in range(0x110000) if chr(c).capitalize() != chr(c).upper()]`.
 */
const TITLE_CASE: ReadonlyMap<number, string> = buildTitleCaseTable();

function buildTitleCaseTable(): Map<number, string> {
  const table = new Map<number, string>();
  const same = (from: number, to: number): void => {
    for (let c = from; c <= to; c++) table.set(c, String.fromCodePoint(c));
  };
  const shifted = (from: number, to: number, offset: number): void => {
    for (let c = from; c <= to; c++) table.set(c, String.fromCodePoint(c + offset));
  };
  // Already title case: the Latin digraphs Dž Lj Nj Dz, Georgian Mkhedruli, Greek capitals with prosgegrammeni.
  for (const c of [0x1c5, 0x1c8, 0x1cb, 0x1f2, 0x1fbc, 0x1fcc, 0x1ffc]) same(c, c);
  same(0x10d0, 0x10fa);
  same(0x10fd, 0x10ff);
  same(0x1f88, 0x1f8f);
  same(0x1f98, 0x1f9f);
  same(0x1fa8, 0x1faf);
  shifted(0x1f80, 0x1f87, 8);
  shifted(0x1f90, 0x1f97, 8);
  shifted(0x1fa0, 0x1fa7, 8);
  const pairs: [number, string][] = [
    [0xdf, "Ss"], [0x1c4, "\u01c5"], [0x1c6, "\u01c5"], [0x1c7, "\u01c8"], [0x1c9, "\u01c8"], [0x1ca, "\u01cb"],
    [0x1cc, "\u01cb"], [0x1f1, "\u01f2"], [0x1f3, "\u01f2"], [0x587, "\u0535\u0582"],
    [0x1fb2, "\u1fba\u0345"], [0x1fb3, "\u1fbc"], [0x1fb4, "\u0386\u0345"], [0x1fb7, "\u0391\u0342\u0345"],
    [0x1fc2, "\u1fca\u0345"], [0x1fc3, "\u1fcc"], [0x1fc4, "\u0389\u0345"], [0x1fc7, "\u0397\u0342\u0345"],
    [0x1ff2, "\u1ffa\u0345"], [0x1ff3, "\u1ffc"], [0x1ff4, "\u038f\u0345"], [0x1ff7, "\u03a9\u0342\u0345"],
    [0xfb00, "Ff"], [0xfb01, "Fi"], [0xfb02, "Fl"], [0xfb03, "Ffi"], [0xfb04, "Ffl"], [0xfb05, "St"], [0xfb06, "St"],
    [0xfb13, "\u0544\u0576"], [0xfb14, "\u0544\u0565"], [0xfb15, "\u0544\u056b"], [0xfb16, "\u054e\u0576"], [0xfb17, "\u0544\u056d"],
  ];
  for (const [c, title] of pairs) table.set(c, title);
  return table;
}

/** True when the code point is whitespace for Python's str methods. */
export function isPythonSpace(codePoint: number): boolean {
  return PYTHON_WHITESPACE.has(codePoint);
}

/** Python's `s.rstrip()`. */
export function pyRstrip(text: string): string {
  let end = text.length;
  while (end > 0 && isPythonSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}

/** Python's `s.lstrip()`. */
export function pyLstrip(text: string): string {
  let start = 0;
  while (start < text.length && isPythonSpace(text.charCodeAt(start))) start++;
  return text.slice(start);
}

/** Python's `s.strip()`. */
export function pyStrip(text: string): string {
  return pyLstrip(pyRstrip(text));
}

/** Python's `s.capitalize()` (3.8+): the first character in title case, every other character lower-cased. */
export function pyCapitalize(text: string): string {
  const first = text.codePointAt(0);
  if (first === undefined) return "";
  const firstChar = String.fromCodePoint(first);
  const head = TITLE_CASE.get(first) ?? firstChar.toUpperCase();
  // Lower-case the whole string so that the final-sigma rule sees the first character, then drop its lowered form.
  const tail = text.toLowerCase().slice(firstChar.toLowerCase().length);
  return head + tail;
}

/** Python's `s.replace(old, new)`: every non-overlapping occurrence, left to right, in a single pass. */
export function pyReplace(text: string, old: string, replacement: string): string {
  return text.split(old).join(replacement);
}
