// readRows on JSON lines (line numbers across blank lines), JSON shapes, folders and the errors of each.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileNotFoundError } from "../../common/index.js";
import { TrainingDataError } from "./errors.js";
import { readRows } from "./rows.js";

const dir = mkdtempSync(join(tmpdir(), "dusk-examples-rows-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function failure(files: string[]): Promise<Error> {
  const error = await readRows(files).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error("expected readRows to fail");
  return error;
}

describe("readRows: JSON lines", () => {
  it("skips blank lines but counts them for line numbers", async () => {
    const path = file("blank.jsonl", '{"a": 1}\n\n   \n{"a": 2}\r\n{"a": 3}\n\n');
    const rows = await readRows([path]);
    expect(rows).toEqual([
      { row: { a: 1 }, index: 1, where: `${path}:1` },
      { row: { a: 2 }, index: 2, where: `${path}:4` },
      { row: { a: 3 }, index: 3, where: `${path}:5` },
    ]);
  });

  it("ignores a UTF-8 byte order mark", async () => {
    const rows = await readRows([file("bom.jsonl", '\uFEFF{"a": 1}\n')]);
    expect(rows.map((r) => r.row)).toEqual([{ a: 1 }]);
  });

  it("names file:line of a line that is not JSON", async () => {
    const path = file("bad.jsonl", '{"a": 1}\n\n{"a": 2,}\n');
    const error = await failure([path]);
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain(`${path}:3`);
    expect(error.message).toContain('{"a": 2,}');
  });

  it("returns no rows for an empty file", async () => {
    expect(await readRows([file("empty.jsonl", "\n\n")])).toEqual([]);
  });
});

describe("readRows: JSON", () => {
  it("reads an array of rows, numbered file#i from 1", async () => {
    const path = file("array.json", '[{"a": 1}, {"a": 2}]');
    expect(await readRows([path])).toEqual([
      { row: { a: 1 }, index: 1, where: `${path}#1` },
      { row: { a: 2 }, index: 2, where: `${path}#2` },
    ]);
  });

  it("reads the one array-valued property of an object", async () => {
    const path = file("data.json", '{"version": "1.0", "data": [{"a": 1}], "count": 1}');
    expect((await readRows([path])).map((r) => r.row)).toEqual([{ a: 1 }]);
  });

  it("prefers `rows` when an object holds several arrays", async () => {
    const path = file("rows.json", '{"columns": ["a"], "rows": [{"a": 5}, {"a": 6}]}');
    expect((await readRows([path])).map((r) => r.row)).toEqual([{ a: 5 }, { a: 6 }]);
  });

  it("refuses an object with several arrays and no `rows`, naming them", async () => {
    const error = await failure([file("two.json", '{"train": [], "test": []}')]);
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain("2 arrays (train, test)");
  });

  it("refuses an object without arrays and a bare value", async () => {
    expect((await failure([file("obj.json", '{"a": 1}')])).message).toContain("no array (keys: a)");
    expect((await failure([file("num.json", "42")])).message).toContain("found number");
  });

  it("reports JSON that does not parse, naming the file", async () => {
    const path = file("broken.json", '[{"a": 1},');
    const error = await failure([path]);
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain(path);
  });
});

describe("readRows: files and folders", () => {
  it("numbers rows across files in order", async () => {
    const a = file("x1.jsonl", '{"n": 1}\n{"n": 2}\n');
    const b = file("x2.json", '[{"n": 3}]');
    const rows = await readRows([b, a]);
    expect(rows.map((r) => [r.index, r.where, (r.row as { n: number }).n])).toEqual([
      [1, `${b}#1`, 3],
      [2, `${a}:1`, 1],
      [3, `${a}:2`, 2],
    ]);
  });

  it("reads a folder's data files sorted by name, ignoring other files and subfolders", async () => {
    const folder = join(dir, "folder");
    mkdirSync(join(folder, "nested"), { recursive: true });
    writeFileSync(join(folder, "b.jsonl"), '{"n": 2}\n');
    writeFileSync(join(folder, "a.json"), '[{"n": 1}]');
    writeFileSync(join(folder, "c.JSONL"), '{"n": 3}\n');
    writeFileSync(join(folder, "README.md"), "# not data\n");
    writeFileSync(join(folder, "nested", "d.jsonl"), '{"n": 4}\n');
    const rows = await readRows([folder]);
    expect(rows.map((r) => (r.row as { n: number }).n)).toEqual([1, 2, 3]);
    expect(rows.map((r) => r.where)).toEqual([`${join(folder, "a.json")}#1`, `${join(folder, "b.jsonl")}:1`, `${join(folder, "c.JSONL")}:1`]);
  });

  it("refuses a folder without data files", async () => {
    const folder = join(dir, "no-data");
    mkdirSync(folder);
    writeFileSync(join(folder, "notes.txt"), "hello");
    const error = await failure([folder]);
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain(folder);
  });

  it("throws FileNotFoundError for a missing path", async () => {
    const path = join(dir, "missing.jsonl");
    const error = await failure([path]);
    expect(error).toBeInstanceOf(FileNotFoundError);
    expect(error.message).toContain(path);
  });

  it("refuses an unknown extension with a hint", async () => {
    const path = file("data.csv", "a,b\n1,2\n");
    const error = await failure([path]);
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error.message).toContain("a .csv file");
    expect((error as TrainingDataError).hint).toContain(".jsonl");
  });
});
