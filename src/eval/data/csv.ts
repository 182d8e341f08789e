// An RFC 4180 CSV parser: comma-separated fields, fields in double quotes may hold commas, line breaks and
// doubled quotes (""), records end at CRLF or LF. Used for MMLU's original files (no header row).
import { DataFormatError } from "../errors.js";

/** Options of the CSV parser. */
export interface ParseCsvOptions {
  /** Name of the source, for error messages. Defaults to "CSV". */
  source?: string;
}

const UNQUOTED = /[^,\r\n]*/y;

/** Parses CSV text into records (arrays of fields). A final line break does not start an empty record. */
export function parseCsv(text: string, { source = "CSV" }: ParseCsvOptions = {}): string[][] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const n = body.length;
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  let line = 1;
  while (i < n) {
    let field: string;
    if (body[i] === '"') {
      // A quoted field: up to the closing quote; "" stands for one quote.
      const openedAt = line;
      const parts: string[] = [];
      let from = i + 1;
      for (;;) {
        const quote = body.indexOf('"', from);
        if (quote < 0) {
          throw new DataFormatError(source, `a closing quote for the field opened on line ${openedAt}`, "the end of the file", {
            hint: 'the file is cut short or a quote inside a field is not doubled (RFC 4180: write "" for a quote)',
          });
        }
        parts.push(body.slice(from, quote));
        if (body[quote + 1] === '"') {
          parts.push('"');
          from = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      field = parts.join("");
      line += field.split("\n").length - 1;
      const next = body[i];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        throw new DataFormatError(source, `a comma or line break after the closing quote on line ${line}`, JSON.stringify(next));
      }
    } else {
      UNQUOTED.lastIndex = i;
      const match = UNQUOTED.exec(body) as RegExpExecArray;
      field = match[0];
      i += field.length;
    }
    record.push(field);
    const c = body[i];
    if (c === ",") {
      i++;
      if (i === n) record.push("");
      continue;
    }
    if (c === "\r" && body[i + 1] === "\n") i += 2;
    else if (c === "\n" || c === "\r") i++;
    records.push(record);
    record = [];
    line++;
  }
  return records;
}
