// Renderers: the terminal table's alignment, marks and legend; Markdown; CSV quoting; JSON; the HTML's escaping.
import { describe, expect, it } from "vitest";
import { buildComparison } from "./comparison.js";
import { formatCell, formatDelta, MISSING } from "./format.js";
import type { ModelRow } from "./model.js";
import { escapeHtml, jsonForScript, renderHtml, scriptSafe } from "./render-html.js";
import { csvField, escapeMarkdown, renderCsv, renderJson, renderMarkdown, renderTable } from "./render-text.js";

const measured: ModelRow = {
  name: "tiny-dus-12M", type: "ours", params: 12e6, paramsSource: "name", source: "runs/dus.json", layout: "dusk", limit: 50, notes: [],
  scores: {
    arc_challenge: { value: 26, stderr: 6.27, provenance: "measured", shots: 25 },
    hellaswag: { value: 28, stderr: 6.41, provenance: "measured", shots: 0 }, // not the leaderboard's 10 shots
  },
};
const published: ModelRow = {
  name: "org/<b>Big</b>, \"quoted\"", type: "pretrained", params: 70e9, paramsSource: "reference", source: "solar-paper", layout: "reference", notes: [],
  scores: { arc_challenge: { value: 67.32, provenance: "recalled", shots: 25 }, hellaswag: { value: 87.33, provenance: "verified", shots: 10 } },
  publishedH6: { value: 67.87, provenance: "verified" },
};
const comparison = buildComparison([measured, published], { baseline: "tiny" });
const [big, tiny] = comparison.rows;

describe("cells and marks", () => {
  it("writes values with two decimals, stderr, best (*), recalled (†) and off-leaderboard shots (§), missing as —", () => {
    if (!big || !tiny) throw new Error("two rows expected");
    expect(formatCell(big, "arc_challenge")).toBe("67.32*†");
    expect(formatCell(big, "hellaswag")).toBe("87.33*");
    expect(formatCell(tiny, "arc_challenge")).toBe("26.00±6.27");
    expect(formatCell(tiny, "hellaswag")).toBe("28.00±6.41§");
    expect(formatCell(tiny, "mmlu")).toBe(MISSING);
    expect(formatCell(tiny, "h6")).toBe(MISSING);
    expect(formatCell(big, "h6", { omit: ["best"] })).toBe("67.87");
    expect(formatDelta(41.32)).toBe("+41.32");
    expect(formatDelta(-0.004)).toBe("+0.00");
    expect(formatDelta(-1.5)).toBe("-1.50");
  });
});

describe("renderTable", () => {
  const text = renderTable(comparison);
  const lines = text.split("\n");

  it("aligns the columns: every score column ends at the same place on every row", () => {
    const header = lines[0] ?? "";
    const rows = lines.slice(1, 3);
    expect(header).toMatch(/^# {2}Model\s+Type\s+Params\s+ARC\s+HellaSwag\s+MMLU\s+TruthfulQA\s+Winogrande\s+GSM8K\s+H6$/);
    for (const row of rows) expect([...row].length).toBe([...header].length);
    expect(rows[0]).toContain("67.87");
    expect(rows[1]).toMatch(/tiny-dus-12M \[limit 50\]\s+ours\s+~12\.0M\s+26\.00±6\.27\s+28\.00±6\.41§\s+—/);
  });

  it("adds the differences from the baseline and a legend of the marks that appear", () => {
    expect(text).toMatch(/Difference from tiny-dus-12M \(percentage points\)/);
    expect(text).toMatch(/\+41\.32\s+\+59\.33\s+—/);
    expect(text).toContain("* = best value in its column");
    expect(text).toContain("† = recalled");
    expect(text).toContain("§ = measured with a few-shot count other than the leaderboard's");
    expect(text).toContain("[limit N] = evaluated on the first N documents");
    expect(text).toContain("~ before a size = guessed from the model's name");
  });
});

describe("renderMarkdown, renderCsv, renderJson", () => {
  it("writes a GitHub table with the best values in bold and names escaped", () => {
    const md = renderMarkdown(comparison);
    expect(md).toContain("| # | Model | Type | Params | ARC | HellaSwag | MMLU | TruthfulQA | Winogrande | GSM8K | H6 |");
    expect(md).toContain("| 1 | org/\\<b\\>Big\\</b\\>, \"quoted\" | pretrained | 70.0B | **67.32**† | **87.33** | — | — | — | — | **67.87** |");
    expect(escapeMarkdown("a|b_c*")).toBe("a\\|b\\_c\\*");
  });

  it("writes CSV with quoting and per-column provenance and deltas", () => {
    const csv = renderCsv(comparison).trim().split("\n");
    expect(csv).toHaveLength(3);
    expect(csv[0]).toMatch(/^rank,model,type,params,source,limit,profile,arc_challenge,arc_challenge_stderr,arc_challenge_provenance,arc_challenge_shots,/);
    expect(csv[0]).toMatch(/,h6,h6_stderr,h6_provenance,h6_from,arc_challenge_delta,/);
    expect(csv[1]).toMatch(/^1,"org\/<b>Big<\/b>, ""quoted""",pretrained,70000000000,solar-paper,,,67\.32,,recalled,25,87\.33,,verified,10,/);
    expect(csv[2]).toMatch(/^2,tiny-dus-12M,ours,12000000,runs\/dus\.json,50,,26,6\.27,measured,25,/);
    expect(csvField("a\nb")).toBe('"a\nb"');
  });

  it("writes JSON that programs can read back", () => {
    const doc = JSON.parse(renderJson(comparison)) as { baseline: string; rows: { label: string; h6?: { value: number; from: string }; marks: Record<string, string[]>; delta: Record<string, number> }[] };
    expect(doc.baseline).toBe("tiny-dus-12M");
    expect(doc.rows[0]?.h6).toEqual({ value: 67.87, provenance: "verified", from: "published" });
    expect(doc.rows[0]?.marks.arc_challenge).toEqual(["best", "recalled"]);
    expect(doc.rows[1]?.marks.hellaswag).toEqual(["shots"]);
    expect(doc.rows[0]?.delta.arc_challenge).toBeCloseTo(41.32, 10);
  });
});

describe("renderHtml", () => {
  const chartScript = "/*! Chart.js test stand-in, MIT */ window.Chart = function () {}; // </script> inside";
  const html = renderHtml(comparison, { chartScript });

  it("escapes every text it puts into the page", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(html).not.toContain("<b>Big</b>");
    expect(html).toContain("org/&lt;b&gt;Big&lt;/b&gt;, &quot;quoted&quot;");
    expect(jsonForScript({ name: "</script><script>alert(1)</script>" })).toBe('{"name":"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>"}');
    expect(scriptSafe("a = '</SCRIPT>'; <!-- b")).toBe("a = '<\\/SCRIPT>'; <\\!-- b");
    // exactly the page's own script elements: the data, Chart.js and the client
    expect(html.match(/<script[\s>]/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  it("is self-contained: a policy that forbids network requests, and no external resource", () => {
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain(chartScript.replace("</script>", "<\\/script>"));
    expect(html).toContain('<table id="scores">');
    expect(html).toContain('<table id="delta">');
    expect(html).toMatch(/<td class="num best recalled" title="[^"]*67\.32[^"]*recalled: published/);
  });
});
