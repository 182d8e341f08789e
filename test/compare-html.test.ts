// Browser test of the HTML report: Debian's Chromium (driven by playwright-core, never a downloaded browser) opens
// the generated file from a file:// URL; the table, both charts, the hover texts, the console and the network are checked.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compare, TASK_IDS, type CompareResult } from "../src/report/index.js";

// Types for the code that page.evaluate runs in the browser (the project's tsconfig has no DOM library).
interface PageElement {
  getBoundingClientRect(): { left: number; top: number };
  getAttribute(name: string): string | null;
}
interface ChartElement {
  x: number;
  y: number;
  skip?: boolean;
}
interface ChartInstance {
  config: { type: string };
  data: { datasets: { data: ({ name: string } | number | null)[] }[] };
  getDatasetMeta(index: number): { data: ChartElement[]; controller: { getParsed(index: number): { y: number | null } } };
  scales: { x: { type: string } };
  tooltip: { opacity: number; title: string[]; body: { lines: string[] }[] };
}
declare const document: { getElementById(id: string): PageElement | null };
declare const Chart: { getChart(canvas: PageElement): ChartInstance | undefined };

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const repoRoot = resolve(import.meta.dirname, "..");
const outDir = join(repoRoot, "test", "out");
const fixtures = join(repoRoot, "src", "report", "fixtures");

if (!hasChromium) console.warn(`compare-html.test.ts skipped: ${CHROMIUM} is absent (install Debian's chromium package: apt-get install chromium)`);

describe.skipIf(!hasChromium)(`dusk compare HTML report in Chromium (${hasChromium ? CHROMIUM : `skipped: ${CHROMIUM} is absent`})`, () => {
  let browser: Browser;
  let report: CompareResult;
  const htmlPath = join(outDir, "compare.html");

  beforeAll(async () => {
    await mkdir(outDir, { recursive: true });
    report = await compare({
      inputs: ["dusk-tiny-base.json", "dusk-tiny-dus.json", "lm-eval-v04-llama.json", "lm-eval-v03-arc.json", "lm-eval-v03-mmlu.json"].map((name) => join(fixtures, name)),
      references: ["solar-paper"],
      baseline: "tiny-base",
      output: htmlPath,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("renders the table and both charts offline, with hover texts and no console errors", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    const url = pathToFileURL(htmlPath).href;
    await page.goto(url, { waitUntil: "load" });

    // The table: one row per model, as many as the comparison holds (5 files, two of them merged, + 15 published).
    const rows = report.comparison.rows;
    expect(rows.length).toBe(4 + 15);
    expect(await page.locator("#scores tbody tr").count()).toBe(rows.length);
    expect(await page.locator("#delta tbody tr").count()).toBe(rows.length);
    expect(await page.locator("#scores tbody tr").first().locator("td.model").textContent()).toBe(rows[0]?.label);

    // The charts, read back from Chart.js itself.
    const summary = await page.evaluate(() =>
      ["chart-tasks", "chart-h6"].map((id) => {
        const canvas = document.getElementById(id);
        const chart = canvas ? Chart.getChart(canvas) : undefined;
        if (!chart) return undefined;
        const datasets = chart.data.datasets;
        return {
          type: chart.config.type,
          datasets: datasets.length,
          values: datasets.reduce((sum, dataset) => sum + dataset.data.filter((value) => value !== null).length, 0),
          // elements laid out at a real value (Chart.js keeps an element for a null value but parses it as null)
          drawn: datasets.reduce((sum, _, index) => {
            const meta = chart.getDatasetMeta(index);
            return sum + meta.data.filter((el, at) => !el.skip && Number.isFinite(el.x) && Number.isFinite(el.y) && Number.isFinite(meta.controller.getParsed(at).y)).length;
          }, 0),
          xScale: chart.scales.x.type,
        };
      }),
    );
    const [bars, points] = summary;
    const expectedBars = rows.reduce((sum, row) => sum + TASK_IDS.filter((task) => row.scores[task] !== undefined).length, 0);
    const expectedPoints = rows.filter((row) => row.h6 !== undefined && row.params !== undefined).length;
    expect(expectedBars).toBe(6 + 6 + 6 + 2 + 13 * 6); // tiny-base, tiny-dus, Llama-2-7b, Mistral (ARC, MMLU), 13 complete published rows
    expect(bars).toMatchObject({ type: "bar", datasets: rows.length, values: expectedBars, drawn: expectedBars });
    expect(points).toMatchObject({ type: "scatter", values: expectedPoints, drawn: expectedPoints, xScale: "logarithmic" });
    expect(expectedPoints).toBe(15 + 3); // every published row has a size; ours: tiny-base, tiny-dus, Llama-2-7b (Mistral's merged row lacks H6)

    // Hovering: a table cell's title, and the H6 chart's tooltip at the point of our up-scaled model.
    const recalledTitle = await page.locator("#scores td.recalled").first().getAttribute("title");
    expect(recalledTitle).toContain("recalled: published");
    await page.locator("#chart-h6").scrollIntoViewIfNeeded();
    const tooltip = await hoverTooltip(page, "chart-h6", "tiny-dus");
    expect(tooltip).toContain("tiny-dus-12M");
    expect(tooltip).toMatch(/H6 29\.57 ± 2\.27 — measured/);

    const screenshot = await page.screenshot({ path: join(outDir, "compare.png"), fullPage: true });
    expect(screenshot.length).toBeGreaterThan(50_000);
    await page.locator("#chart-h6").screenshot({ path: join(outDir, "compare-h6.png") });
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });
});

/** Moves the mouse onto the named point of a scatter chart and returns the tooltip's text as Chart.js drew it. */
async function hoverTooltip(page: Page, canvasId: string, namePrefix: string): Promise<string> {
  const target = await page.evaluate(
    ({ id, prefix }) => {
      const canvas = document.getElementById(id);
      const chart = canvas ? Chart.getChart(canvas) : undefined;
      if (!canvas || !chart) return undefined;
      for (const [datasetIndex, dataset] of chart.data.datasets.entries()) {
        const index = dataset.data.findIndex((point) => typeof point === "object" && point !== null && point.name.startsWith(prefix));
        const element = chart.getDatasetMeta(datasetIndex).data[index];
        if (index >= 0 && element) {
          const box = canvas.getBoundingClientRect();
          return { x: box.left + element.x, y: box.top + element.y };
        }
      }
      return undefined;
    },
    { id: canvasId, prefix: namePrefix },
  );
  if (!target) throw new Error(`no point named ${namePrefix}* in #${canvasId}`);
  await page.mouse.move(target.x, target.y);
  return page.evaluate((id) => {
    const canvas = document.getElementById(id);
    const tooltip = canvas ? Chart.getChart(canvas)?.tooltip : undefined;
    return tooltip && tooltip.opacity > 0 ? [...tooltip.title, ...tooltip.body.flatMap((part) => part.lines)].join("\n") : "";
  }, canvasId);
}
