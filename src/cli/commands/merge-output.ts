// Shared printing for `dusk upscale` and `dusk merge`: the dry-run plan table and the summary of what was written.
import { formatBytes, parseByteSize } from "../../common/index.js";
import { formatWeight, linearCoefficients, planRows, type MergeRun, type MergeRunOptions } from "../../merge/index.js";
import { resolveModel } from "../resolve.js";

/** The output flags `dusk upscale` and `dusk merge` share. */
export interface MergeOutputFlags {
  output: string;
  splitMaxSize?: string;
  shardSize?: string;
  name?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** The library options those shared flags mean (Hub ids resolved, sizes parsed, progress unless --json). */
export function mergeRunOptions(flags: MergeOutputFlags): MergeRunOptions {
  return {
    resolve: resolveModel,
    output: flags.output,
    ...(flags.splitMaxSize !== undefined ? { splitMaxBytes: parseByteSize(flags.splitMaxSize) } : {}),
    ...(flags.shardSize !== undefined ? { shardMaxBytes: parseByteSize(flags.shardSize) } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    dryRun: Boolean(flags.dryRun),
    progress: !flags.json,
  };
}
import { renderTable } from "../table.js";

/** Prints a merge run: the plan for a dry run, else a one-paragraph summary. */
export function printMergeRun(run: MergeRun, json: boolean): void {
  const { plan, result } = run;
  const layerMap = plan.layerMap.map((entry, i) => ({ output: i, model: plan.donors[entry.donor]!.ref, layer: entry.layer }));
  if (json) {
    process.stdout.write(`${JSON.stringify({ format: plan.format, layers: plan.layerMap.length, totalBytes: plan.totalBytes, layerMap, tensors: plan.tensors, written: result ?? null }, null, 2)}\n`);
    return;
  }
  if (!result) {
    process.stdout.write(renderTable([["output tensor", "", "model", "source tensor", "type", "bytes", ""], ...planRows(plan)]));
    const what = plan.config.method === "linear" ? `linear merge of ${plan.config.models.length} models, ` : "";
    process.stdout.write(`\ndry run: ${what}${plan.layerMap.length} layers, ${plan.tensors.length} tensors, ${formatBytes(plan.totalBytes)} would be written as ${plan.format}; nothing was written\n`);
    return;
  }
  if (plan.config.method === "linear") {
    const coefficients = linearCoefficients(plan.config);
    const terms = plan.config.models.map((m, i) => `${formatWeight(coefficients[i]!)} × ${m.model}`).join(" + ");
    process.stdout.write(`wrote ${result.files.join(", ")}\n  linear merge: ${terms}\n  ${result.layers} layers, ${result.tensors} tensors, ${formatBytes(result.bytes)}\n`);
    return;
  }
  const ranges: string[] = [];
  for (const entry of layerMap) {
    const last = ranges.at(-1);
    const match = last && /^(.*) \[(\d+), (\d+)\)$/.exec(last);
    if (match && match[1] === entry.model && Number(match[3]) === entry.layer) ranges[ranges.length - 1] = `${entry.model} [${match[2]}, ${entry.layer + 1})`;
    else ranges.push(`${entry.model} [${entry.layer}, ${entry.layer + 1})`);
  }
  process.stdout.write(`wrote ${result.files.join(", ")}\n  ${result.layers} layers = ${ranges.join(" + ")}\n  ${result.tensors} tensors, ${formatBytes(result.bytes)}\n`);
}
