// Parquet rows: files written here by a small independent writer (one row group, uncompressed PLAIN pages, RLE
// levels, Thrift compact footer) with nested list<struct> message columns, read back through readRows (hyparquet).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePairs } from "./pairs.js";
import { readRows } from "./rows.js";
import { parseSftRows } from "./sft.js";
import { TrainingDataError } from "./errors.js";

/** A column: strings, int64s, a list of a column, or a struct of columns (all required, as the writer supports). */
type Field =
  | { name: string; type: "string" | "int64" }
  | { name: string; type: "list"; of: Field }
  | { name: string; type: "struct"; fields: Field[] };

/** Thrift compact protocol output, enough for parquet's footer and page headers. */
class Thrift {
  readonly out: number[] = [];
  private readonly last: number[] = [0];

  private varint(v: bigint): void {
    for (; v >= 0x80n; v >>= 7n) this.out.push(Number(v & 0x7fn) | 0x80);
    this.out.push(Number(v));
  }
  private zigzag(v: number | bigint): void {
    const b = BigInt(v);
    this.varint(b < 0n ? -2n * b - 1n : 2n * b);
  }
  private field(id: number, type: number): void {
    const delta = id - (this.last.at(-1) ?? 0);
    if (delta > 0 && delta < 16) this.out.push((delta << 4) | type);
    else {
      this.out.push(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }
  private bytes(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.varint(BigInt(b.length));
    this.out.push(...b);
  }
  private listOf(n: number, type: number): void {
    if (n < 15) this.out.push((n << 4) | type);
    else {
      this.out.push(0xf0 | type);
      this.varint(BigInt(n));
    }
  }
  i32(id: number, v: number): this {
    this.field(id, 5);
    this.zigzag(v);
    return this;
  }
  i64(id: number, v: number): this {
    this.field(id, 6);
    this.zigzag(v);
    return this;
  }
  str(id: number, s: string): this {
    this.field(id, 8);
    this.bytes(s);
    return this;
  }
  i32s(id: number, vs: number[]): this {
    this.field(id, 9);
    this.listOf(vs.length, 5);
    for (const v of vs) this.zigzag(v);
    return this;
  }
  strs(id: number, vs: string[]): this {
    this.field(id, 9);
    this.listOf(vs.length, 8);
    for (const v of vs) this.bytes(v);
    return this;
  }
  structList(id: number, count: number, writeItems: () => void): this {
    this.field(id, 9);
    this.listOf(count, 12);
    writeItems();
    return this;
  }
  structs<T>(id: number, items: T[], write: (t: Thrift, item: T) => void): this {
    return this.structList(id, items.length, () => {
      for (const item of items) this.nested(() => write(this, item));
    });
  }
  struct(id: number, write: (t: Thrift) => void): this {
    this.field(id, 12);
    this.nested(() => write(this));
    return this;
  }
  nested(write: () => void): void {
    this.last.push(0);
    write();
    this.out.push(0);
    this.last.pop();
  }
}

interface Leaf {
  path: string[];
  type: "string" | "int64";
  rep: number[];
  def: number[];
  values: unknown[];
  maxRep: number;
  maxDef: number;
}

/** The leaf columns of `field` in schema order (parquet's 3-level list layout: name.list.element). */
function leavesOf(field: Field, path: string[], maxRep: number, maxDef: number): Leaf[] {
  if (field.type === "struct") return field.fields.flatMap((f) => leavesOf(f, [...path, f.name], maxRep, maxDef));
  if (field.type === "list") return leavesOf(field.of, [...path, "list", "element"], maxRep + 1, maxDef + 1);
  return [{ path, type: field.type, rep: [], def: [], values: [], maxRep, maxDef }];
}

/** Dremel shredding: appends `value` to the leaves of `field` with repetition level `r` and definition level `d`. */
function shred(field: Field, value: unknown, leaves: Leaf[], r: number, d: number, depth: number): void {
  if (field.type === "struct") {
    let at = 0;
    for (const f of field.fields) {
      const n = leavesOf(f, [], 0, 0).length;
      shred(f, (value as Record<string, unknown>)[f.name], leaves.slice(at, at + n), r, d, depth);
      at += n;
    }
  } else if (field.type === "list") {
    const items = value as unknown[];
    if (items.length === 0) {
      for (const leaf of leaves) {
        leaf.rep.push(r);
        leaf.def.push(d);
      }
    }
    items.forEach((item, i) => shred(field.of, item, leaves, i === 0 ? r : depth + 1, d + 1, depth + 1));
  } else {
    const leaf = leaves[0] as Leaf;
    leaf.rep.push(r);
    leaf.def.push(d);
    leaf.values.push(value);
  }
}

/** RLE runs (bit width up to 8), with the 4-byte length prefix of data page v1. */
function rle(levels: number[]): Buffer {
  const body: number[] = [];
  for (let i = 0, j = 0; i < levels.length; i = j) {
    while (j < levels.length && levels[j] === levels[i]) j++;
    for (let header = (j - i) << 1; ; header >>= 7) {
      if (header < 0x80) {
        body.push(header);
        break;
      }
      body.push((header & 0x7f) | 0x80);
    }
    body.push(levels[i] as number);
  }
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([length, Buffer.from(body)]);
}

function plain(leaf: Leaf): Buffer {
  return Buffer.concat(
    leaf.values.map((v) => {
      const b = Buffer.alloc(leaf.type === "int64" ? 8 : 4);
      if (leaf.type === "int64") {
        b.writeBigInt64LE(BigInt(v as number | bigint));
        return b;
      }
      const s = Buffer.from(v as string, "utf8");
      b.writeUInt32LE(s.length);
      return Buffer.concat([b, s]);
    }),
  );
}

function schema(t: Thrift, field: Field, name: string = field.name): void {
  const el = (write: (e: Thrift) => void): void => t.nested(() => write(t));
  switch (field.type) {
    case "string":
      return el((e) => e.i32(1, 6).i32(3, 0).str(4, name).i32(6, 0));
    case "int64":
      return el((e) => e.i32(1, 2).i32(3, 0).str(4, name));
    case "struct": {
      const children = field.fields;
      el((e) => e.i32(3, 0).str(4, name).i32(5, children.length));
      for (const f of children) schema(t, f);
      return;
    }
    case "list": {
      const element = field.of;
      el((e) => e.i32(3, 0).str(4, name).i32(5, 1).i32(6, 3));
      el((e) => e.i32(3, 2).str(4, "list").i32(5, 1));
      schema(t, element, "element");
    }
  }
}

const countElements = (f: Field): number => (f.type === "struct" ? 1 + f.fields.reduce((n, c) => n + countElements(c), 0) : f.type === "list" ? 2 + countElements(f.of) : 1);

/** Writes `rows` as a parquet file with the required columns `fields`. */
function writeParquet(path: string, fields: Field[], rows: Record<string, unknown>[]): void {
  const parts: Buffer[] = [Buffer.from("PAR1")];
  let offset = 4;
  const chunks: { leaf: Leaf; offset: number; size: number }[] = [];
  for (const field of fields) {
    const leaves = leavesOf(field, [field.name], 0, 0);
    for (const row of rows) shred(field, row[field.name], leaves, 0, 0, 0);
    for (const leaf of leaves) {
      const data = Buffer.concat([...(leaf.maxRep > 0 ? [rle(leaf.rep)] : []), ...(leaf.maxDef > 0 ? [rle(leaf.def)] : []), plain(leaf)]);
      const header = new Thrift().i32(1, 0).i32(2, data.length).i32(3, data.length).struct(5, (h) => h.i32(1, leaf.rep.length).i32(2, 0).i32(3, 3).i32(4, 3));
      header.out.push(0);
      const page = Buffer.concat([Buffer.from(header.out), data]);
      chunks.push({ leaf, offset, size: page.length });
      parts.push(page);
      offset += page.length;
    }
  }
  const count = 1 + fields.reduce((n, f) => n + countElements(f), 0);
  const head = new Thrift().i32(1, 1);
  head.structList(2, count, () => {
    head.nested(() => head.str(4, "schema").i32(5, fields.length));
    for (const field of fields) schema(head, field);
  });
  head.i64(3, rows.length);
  head.structs(4, [0], (t) => {
    t.structs(1, chunks, (c, chunk) =>
      c.i64(2, chunk.offset).struct(3, (m) =>
        m
          .i32(1, chunk.leaf.type === "int64" ? 2 : 6)
          .i32s(2, [0, 3])
          .strs(3, chunk.leaf.path)
          .i32(4, 0)
          .i64(5, chunk.leaf.rep.length)
          .i64(6, chunk.size)
          .i64(7, chunk.size)
          .i64(9, chunk.offset),
      ),
    );
    t.i64(2, chunks.reduce((n, c) => n + c.size, 0)).i64(3, rows.length);
  });
  head.out.push(0);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(head.out.length);
  parts.push(Buffer.from(head.out), length, Buffer.from("PAR1"));
  writeFileSync(path, Buffer.concat(parts));
}

const dir = mkdtempSync(join(tmpdir(), "dusk-examples-parquet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MESSAGE: Field = { name: "element", type: "struct", fields: [{ name: "role", type: "string" }, { name: "content", type: "string" }] };

describe("readRows on parquet", () => {
  it("reads list<struct> message columns as plain arrays of objects, and int64s as numbers", async () => {
    const file = join(dir, "chat.parquet");
    const rows = [
      { id: 7, tags: ["math", "easy"], messages: [{ role: "user", content: "2+2?" }, { role: "assistant", content: "4" }] },
      { id: 2 ** 53 + 2, tags: [], messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }] },
    ];
    writeParquet(file, [{ name: "id", type: "int64" }, { name: "tags", type: "list", of: { name: "element", type: "string" } }, { name: "messages", type: "list", of: MESSAGE }], rows);
    const read = await readRows([file]);
    expect(read.map((r) => r.where)).toEqual([`${file}#1`, `${file}#2`]);
    expect(read.map((r) => r.index)).toEqual([1, 2]);
    const first = read[0]?.row as Record<string, unknown>;
    expect(first.id).toBe(7);
    expect(first.tags).toEqual(["math", "easy"]);
    expect(Array.isArray(first.messages)).toBe(true);
    expect(JSON.parse(JSON.stringify(first.messages))).toEqual(rows[0]?.messages);
    const second = read[1]?.row as Record<string, unknown>;
    expect(second.id).toBe(2n ** 53n + 2n); // not exactly representable as a number: stays a bigint
    expect(second.tags).toEqual([]);
    const { format, examples } = parseSftRows(read);
    expect(format).toBe("messages");
    expect(examples.map((e) => e.messages)).toEqual(rows.map((r) => r.messages));
  });

  it("reads UltraFeedback-style preference rows (prompt string, chosen and rejected message lists)", async () => {
    const file = join(dir, "prefs.parquet");
    const conversation = (answer: string) => [{ role: "user", content: "Name a prime." }, { role: "assistant", content: answer }];
    writeParquet(file, [{ name: "prompt", type: "string" }, { name: "chosen", type: "list", of: MESSAGE }, { name: "rejected", type: "list", of: MESSAGE }], [
      { prompt: "Name a prime.", chosen: conversation("7"), rejected: conversation("9") },
      { prompt: "Name a prime.", chosen: conversation("2"), rejected: conversation("2") },
    ]);
    const { format, pairs, skipped } = parsePairs(await readRows([file]), { badRows: "skip" });
    expect(format).toBe("messages");
    expect(pairs).toEqual([{ prompt: [{ role: "user", content: "Name a prime." }], chosen: "7", rejected: "9", index: 1, where: `${file}#1` }]);
    expect(skipped).toEqual([{ index: 2, where: `${file}#2`, problem: '"chosen" and "rejected" are the same answer' }]);
  });

  it("numbers parquet rows after the rows of earlier files", async () => {
    const jsonl = join(dir, "a.jsonl");
    writeFileSync(jsonl, '{"question": "1+1?", "answer": "2"}\n');
    const file = join(dir, "b.parquet");
    writeParquet(file, [{ name: "question", type: "string" }, { name: "answer", type: "string" }], [{ question: "3+4?", answer: "#### 7" }]);
    const read = await readRows([jsonl, file]);
    expect(read.map((r) => [r.index, r.where])).toEqual([[1, `${jsonl}:1`], [2, `${file}#1`]]);
    expect(parseSftRows(read).examples[1]?.messages).toEqual([{ role: "user", content: "3+4?" }, { role: "assistant", content: "#### 7" }]);
  });

  it("reports a file that is not parquet as TrainingDataError naming it", async () => {
    const file = join(dir, "broken.parquet");
    writeFileSync(file, "PAR1 this is not a parquet file");
    const error = await readRows([file]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDataError);
    expect((error as TrainingDataError).message).toContain(file);
    expect((error as TrainingDataError).hint).toMatch(/partial download/);
  });
});
