// Scanners for JSON text: a nesting-depth check to run before JSON.parse (deep nesting makes it slow: seconds per
// megabyte), and a key scanner for text JSON.parse has accepted: it lists the top-level keys in the order the text
// has them (JSON.parse moves integer-like keys first) and finds duplicate keys at any depth (JSON.parse silently
// keeps the last one).

/** What {@link scanJsonKeys} found. */
export interface JsonKeyScan {
  /** The top-level object's keys, in text order. */
  readonly topLevelKeys: readonly string[];
  /** Keys of the object under the top-level key named in `recordKeysOf`, in text order (undefined if absent). */
  readonly recordedKeys: readonly string[] | undefined;
  /** The first key that appears twice in one object, with the path of that object (empty for the top level). */
  readonly duplicate: { readonly key: string; readonly path: readonly string[] } | undefined;
}

interface Frame {
  /** Keys seen so far (null for arrays). */
  readonly keys: Set<string> | null;
  /** The enclosing container (undefined at the top level). */
  readonly parent: Frame | undefined;
  /** This container's key in its parent (`[]` inside arrays). */
  readonly name: string;
  /** The top-level key this container sits under (undefined for the top level itself). */
  readonly topKey: string | undefined;
  /** True when the next string in an object is a key. */
  expectKey: boolean;
  /** The most recent key of this object (names the child containers). */
  lastKey: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** The keys from the top level down to `frame` (walked only when reporting, so deep nesting costs O(depth)). */
function pathOf(frame: Frame): string[] {
  const path: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) path.push(f.name);
  return path.reverse();
}

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) return i;
    else i += 1;
  }
  return text.length - 1;
}

/** Deepest nesting accepted in header JSON (serde_json's default recursion limit, which the reference reader has). */
export const MAX_JSON_DEPTH = 128;

/** True when brackets and braces outside strings nest deeper than `limit` in `text` (any text, valid JSON or not). */
export function jsonNestsDeeperThan(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth -= 1;
  }
  return false;
}

/**
 * Scans valid JSON text (check it with JSON.parse first) for its top-level key order and duplicate keys, and
 * records the key order of the object under the top-level key `recordKeysOf`, if given.
 */
export function scanJsonKeys(text: string, recordKeysOf?: string): JsonKeyScan {
  const stack: Frame[] = [];
  const topLevelKeys: string[] = [];
  let recordedKeys: string[] | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys.has(key)) return { topLevelKeys, recordedKeys, duplicate: { key, path: pathOf(top) } };
        top.keys.add(key);
        if (stack.length === 1) topLevelKeys.push(key);
        else if (stack.length === 2 && top.topKey === recordKeysOf) (recordedKeys ??= []).push(key);
        top.expectKey = false;
        top.lastKey = key;
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const name = top?.keys ? top.lastKey : "[]";
      const topKey = top === undefined ? undefined : (top.topKey ?? name);
      const isObject = c === OPEN_BRACE;
      stack.push({ keys: isObject ? new Set() : null, parent: top, name, topKey, expectKey: isObject, lastKey: "" });
      if (isObject && stack.length === 2 && topKey === recordKeysOf) recordedKeys ??= [];
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
    } else if (c === COMMA && top?.keys) {
      top.expectKey = true;
    }
    i += 1;
  }
  return { topLevelKeys, recordedKeys, duplicate: undefined };
}
