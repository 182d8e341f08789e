// Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned.

/** Renders rows as an aligned table; the first row is the header when `header` is true. */
export function renderTable(rows: readonly (readonly string[])[], { header = true }: { header?: boolean } = {}): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const numeric = widths.map((_, i) => rows.slice(header ? 1 : 0).every((row) => row[i] === undefined || row[i] === "" || /^[-+]?[\d.,]+%?$/.test(row[i])));
  const lines = rows.map((row) => row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd());
  if (header && lines.length > 0) lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return `${lines.join("\n")}\n`;
}
