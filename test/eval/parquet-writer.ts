// A minimal parquet writer for test fixtures in the Hub's row schemas: one row group, uncompressed PLAIN data
// pages (v1) with RLE levels, Thrift compact metadata; columns of strings, int64s, lists of strings and structs.
// Enough to exercise the harness's parquet reading (hyparquet) on nested Hub rows without a writer dependency.
import { writeFileSync } from "node:fs";

/** A column of the schema. */
export type ParquetField =
  | { name: string; type: "string" | "int64" }
  | { name: string; type: "list<string>" }
  | { name: string; type: "struct"; fields: ParquetField[] };

// Thrift compact protocol types.
const I32 = 5;
const I64 = 6;
const BINARY = 8;
const LIST = 9;
const STRUCT = 12;

class CompactWriter {
  readonly bytes: number[] = [];
  private readonly lastField: number[] = [0];

  private varint(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  private zigzag(value: number | bigint): void {
    const v = BigInt(value);
    this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }

  private header(id: number, type: number): void {
    const delta = id - (this.lastField.at(-1) as number);
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.lastField[this.lastField.length - 1] = id;
  }

  i32(id: number, value: number): this {
    this.header(id, I32);
    this.zigzag(value);
    return this;
  }

  i64(id: number, value: number): this {
    this.header(id, I64);
    this.zigzag(value);
    return this;
  }

  string(id: number, value: string): this {
    this.header(id, BINARY);
    this.rawBinary(value);
    return this;
  }

  private rawBinary(value: string): void {
    const b = Buffer.from(value, "utf8");
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
  }

  private listHeader(size: number, elementType: number): void {
    if (size < 15) this.bytes.push((size << 4) | elementType);
    else {
      this.bytes.push(0xf0 | elementType);
      this.varint(BigInt(size));
    }
  }

  i32List(id: number, values: number[]): this {
    this.header(id, LIST);
    this.listHeader(values.length, I32);
    for (const v of values) this.zigzag(v);
    return this;
  }

  stringList(id: number, values: string[]): this {
    this.header(id, LIST);
    this.listHeader(values.length, BINARY);
    for (const v of values) this.rawBinary(v);
    return this;
  }

  structList<T>(id: number, items: T[], write: (w: CompactWriter, item: T) => void): this {
    this.header(id, LIST);
    this.listHeader(items.length, STRUCT);
    for (const item of items) this.inStruct(() => write(this, item));
    return this;
  }

  struct(id: number, write: (w: CompactWriter) => void): this {
    this.header(id, STRUCT);
    this.inStruct(() => write(this));
    return this;
  }

  inStruct(write: () => void): void {
    this.lastField.push(0);
    write();
    this.bytes.push(0);
    this.lastField.pop();
  }
}

/** A leaf column: its path, levels and values. */
interface Leaf {
  path: string[];
  type: "string" | "int64";
  maxRep: number;
  maxDef: number;
  rep: number[];
  def: number[];
  values: unknown[];
}

function leaves(fields: ParquetField[], rows: Record<string, unknown>[], path: string[] = []): Leaf[] {
  const out: Leaf[] = [];
  for (const field of fields) {
    const values = rows.map((r) => r[field.name]);
    if (field.type === "struct") {
      out.push(...leaves(field.fields, values as Record<string, unknown>[], [...path, field.name]));
    } else if (field.type === "list<string>") {
      const leaf: Leaf = { path: [...path, field.name, "list", "element"], type: "string", maxRep: 1, maxDef: 1, rep: [], def: [], values: [] };
      for (const list of values as string[][]) {
        if (list.length === 0) {
          leaf.rep.push(0);
          leaf.def.push(0);
        }
        list.forEach((v, i) => {
          leaf.rep.push(i === 0 ? 0 : 1);
          leaf.def.push(1);
          leaf.values.push(v);
        });
      }
      out.push(leaf);
    } else {
      out.push({ path: [...path, field.name], type: field.type, maxRep: 0, maxDef: 0, rep: [], def: [], values });
    }
  }
  return out;
}

/** RLE/bit-packed hybrid with a 4-byte length prefix, bit width 1, as RLE runs only. */
function levels(values: number[]): Buffer {
  const body: number[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j < values.length && values[j] === values[i]) j++;
    let count = (j - i) << 1;
    while (count >= 0x80) {
      body.push((count & 0x7f) | 0x80);
      count >>= 7;
    }
    body.push(count, values[i] as number);
    i = j;
  }
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([length, Buffer.from(body)]);
}

function plainValues(leaf: Leaf): Buffer {
  return Buffer.concat(
    leaf.values.map((v) => {
      if (leaf.type === "int64") {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(BigInt(v as number));
        return b;
      }
      const s = Buffer.from(String(v), "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32LE(s.length);
      return Buffer.concat([length, s]);
    }),
  );
}

function schemaElements(fields: ParquetField[], w: CompactWriter[]): void {
  for (const field of fields) {
    const el = new CompactWriter();
    if (field.type === "struct") {
      el.i32(3, 0).string(4, field.name).i32(5, field.fields.length);
      w.push(el);
      schemaElements(field.fields, w);
    } else if (field.type === "list<string>") {
      w.push(el.i32(3, 0).string(4, field.name).i32(5, 1).i32(6, 3));
      w.push(new CompactWriter().i32(3, 2).string(4, "list").i32(5, 1));
      w.push(new CompactWriter().i32(1, 6).i32(3, 0).string(4, "element").i32(6, 0));
    } else {
      w.push(field.type === "int64" ? el.i32(1, 2).i32(3, 0).string(4, field.name) : el.i32(1, 6).i32(3, 0).string(4, field.name).i32(6, 0));
    }
  }
}

/** Writes `rows` with `fields` as a parquet file. */
export function writeParquet(path: string, fields: ParquetField[], rows: Record<string, unknown>[]): void {
  const chunks: Buffer[] = [Buffer.from("PAR1")];
  let offset = 4;
  const columnMeta: { leaf: Leaf; offset: number; size: number; numValues: number }[] = [];
  for (const leaf of leaves(fields, rows)) {
    const data = Buffer.concat([...(leaf.maxRep > 0 ? [levels(leaf.rep)] : []), ...(leaf.maxDef > 0 ? [levels(leaf.def)] : []), plainValues(leaf)]);
    const numValues = leaf.maxRep > 0 ? leaf.rep.length : leaf.values.length;
    const header = new CompactWriter()
      .i32(1, 0)
      .i32(2, data.length)
      .i32(3, data.length)
      .struct(5, (h) => h.i32(1, numValues).i32(2, 0).i32(3, 3).i32(4, 3));
    header.bytes.push(0);
    const page = Buffer.concat([Buffer.from(header.bytes), data]);
    columnMeta.push({ leaf, offset, size: page.length, numValues });
    chunks.push(page);
    offset += page.length;
  }
  const elements: CompactWriter[] = [];
  schemaElements(fields, elements);
  const meta = new CompactWriter().i32(1, 1);
  meta.structList(2, [{ root: true }, ...elements.map((e) => ({ root: false, e }))], (w, item) => {
    if ("e" in item && item.e) w.bytes.push(...item.e.bytes);
    else w.string(4, "schema").i32(5, fields.length);
  });
  meta.i64(3, rows.length);
  meta.structList(4, [0], (w) => {
    w.structList(1, columnMeta, (c, col) => {
      c.i64(2, col.offset).struct(3, (m) =>
        m
          .i32(1, col.leaf.type === "int64" ? 2 : 6)
          .i32List(2, [0, 3])
          .stringList(3, col.leaf.path)
          .i32(4, 0)
          .i64(5, col.numValues)
          .i64(6, col.size)
          .i64(7, col.size)
          .i64(9, col.offset),
      );
    });
    w.i64(2, columnMeta.reduce((n, c) => n + c.size, 0)).i64(3, rows.length);
  });
  meta.bytes.push(0);
  const footer = Buffer.from(meta.bytes);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length);
  chunks.push(footer, length, Buffer.from("PAR1"));
  writeFileSync(path, Buffer.concat(chunks));
}
