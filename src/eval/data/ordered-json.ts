// A JSON parser that keeps every object's keys in source order, integer-like keys included (JSON.parse moves
// "1", "42" to the front). TruthfulQA's original mc_task.json encodes the choice order as object key order.
import { DataFormatError } from "../errors.js";

/** A JSON value whose objects are lists of [key, value] entries in source order. */
export type OrderedJson = null | boolean | number | string | OrderedJson[] | OrderedObject;

/** A JSON object as its entries in source order; a repeated key keeps its first position and its last value, as Python's dict does. */
export class OrderedObject {
  constructor(readonly entries: [string, OrderedJson][]) {}

  /** The value of `key`, if present. */
  get(key: string): OrderedJson | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
}

/** Parses JSON text keeping object key order. */
export function parseOrderedJson(text: string, source = "JSON"): OrderedJson {
  const parser = new Parser(text, source);
  parser.skipSpace();
  const value = parser.value();
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail("the end of the document");
  return value;
}

/** Converts an ordered value to plain JavaScript values (objects lose integer-like key order). */
export function toPlain(value: OrderedJson): unknown {
  if (value instanceof OrderedObject) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value.entries) out[k] = toPlain(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  return value;
}

class Parser {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  atEnd(): boolean {
    return this.i >= this.text.length;
  }

  fail(expected: string): never {
    const found = this.atEnd() ? "the end of the text" : JSON.stringify(this.text.slice(this.i, this.i + 12));
    throw new DataFormatError(this.source, `${expected} at offset ${this.i}`, found);
  }

  skipSpace(): void {
    while (this.i < this.text.length) {
      const c = this.text.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  value(): OrderedJson {
    const c = this.text[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "t" && this.text.startsWith("true", this.i)) return this.literal(4, true);
    if (c === "f" && this.text.startsWith("false", this.i)) return this.literal(5, false);
    if (c === "n" && this.text.startsWith("null", this.i)) return this.literal(4, null);
    return this.number();
  }

  private literal<T>(length: number, value: T): T {
    this.i += length;
    return value;
  }

  private number(): number {
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = this.i;
    const m = match.exec(this.text);
    if (!m) this.fail("a JSON value");
    this.i += m[0].length;
    return Number(m[0]);
  }

  private string(): string {
    // Find the closing quote, then let JSON.parse decode the escapes of this one string.
    const start = this.i;
    this.i++;
    while (this.i < this.text.length) {
      const c = this.text.charCodeAt(this.i);
      if (c === 0x5c) this.i += 2;
      else if (c === 0x22) break;
      else this.i++;
    }
    if (this.i >= this.text.length) this.fail("a closing quote");
    this.i++;
    try {
      return JSON.parse(this.text.slice(start, this.i)) as string;
    } catch (error) {
      this.i = start;
      return this.fail(`a valid JSON string (${(error as Error).message})`);
    }
  }

  private array(): OrderedJson[] {
    const out: OrderedJson[] = [];
    this.i++;
    this.skipSpace();
    if (this.text[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      out.push(this.value());
      this.skipSpace();
      const c = this.text[this.i];
      this.i++;
      if (c === "]") return out;
      if (c !== ",") {
        this.i--;
        this.fail("',' or ']'");
      }
    }
  }

  private object(): OrderedObject {
    const entries: [string, OrderedJson][] = [];
    const positions = new Map<string, number>();
    this.i++;
    this.skipSpace();
    if (this.text[this.i] === "}") {
      this.i++;
      return new OrderedObject(entries);
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.i] !== '"') this.fail("a string key");
      const key = this.string();
      this.skipSpace();
      if (this.text[this.i] !== ":") this.fail("':'");
      this.i++;
      this.skipSpace();
      const value = this.value();
      const at = positions.get(key);
      if (at === undefined) {
        positions.set(key, entries.length);
        entries.push([key, value]);
      } else {
        entries[at] = [key, value];
      }
      this.skipSpace();
      const c = this.text[this.i];
      this.i++;
      if (c === "}") return new OrderedObject(entries);
      if (c !== ",") {
        this.i--;
        this.fail("',' or '}'");
      }
    }
  }
}
