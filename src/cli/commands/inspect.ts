// `dusk inspect <file-or-folder>`: what a model file holds, for people (a summary) or programs (--json).
import type { Command } from "commander";
import { formatBytes, formatParameterCount } from "../../common/index.js";
import { inspectModel, type ModelDescription } from "../../formats/index.js";
import { resolveModel } from "../resolve.js";

function printDescription(d: ModelDescription, showMetadata: boolean): void {
  const lines = [
    `${d.path}`,
    `  format        ${d.format}${d.version !== undefined ? ` v${d.version}` : ""}${d.files > 1 ? ` (${d.files} files)` : ""}`,
    `  architecture  ${d.architecture ?? "unknown"}${d.name ? ` (${d.name})` : ""}`,
    `  layers        ${d.layers ?? "unknown"}`,
    `  parameters    ${formatParameterCount(d.parameters)} (${d.parameters.toLocaleString("en-US")})`,
    `  tensors       ${d.tensors}`,
    `  file size     ${formatBytes(d.fileBytes)}`,
    `  context       ${d.contextLength ?? "unknown"}`,
    `  tokenizer     ${d.tokenizer.type ?? "none"}${d.tokenizer.vocabSize !== undefined ? `, ${d.tokenizer.vocabSize} tokens` : ""}`,
    `  tensor types`,
    ...d.types.map((t) => `    ${t.type.padEnd(8)} ${String(t.tensors).padStart(5)} tensors  ${formatBytes(t.bytes).padStart(9)}`),
  ];
  if (d.chatTemplate) {
    const templateLines = d.chatTemplate.split("\n");
    lines.push("  chat template", ...templateLines.slice(0, 4).map((line) => `    ${line}`));
    if (templateLines.length > 4) lines.push(`    … (${templateLines.length - 4} more lines; --metadata shows all keys)`);
  }
  if (showMetadata) {
    lines.push("  metadata");
    for (const [key, value] of Object.entries(d.metadata)) lines.push(`    ${key} = ${JSON.stringify(value)}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Registers `dusk inspect`. */
export function register(program: Command): void {
  program
    .command("inspect")
    .description("show what a model file holds: architecture, layers, parameters, tensor types, tokenizer, chat template")
    .argument("<model>", "a .gguf file (any shard of a split model), a .safetensors file, a Hugging Face checkpoint folder, or a Hub id org/name[:quant]")
    .option("--json", "print one JSON object (format, architecture, layers, parameters, tensors, fileBytes, metadata, …)")
    .option("--metadata", "also list every metadata key and value (long arrays abbreviated)")
    .option("--array-limit <n>", "items shown of long metadata arrays", "8")
    .addHelpText("after", "\nExamples:\n  dusk inspect solar-10.7b-instruct-v1.0.Q2_K.gguf\n  dusk inspect ./checkpoints/step-1000 --json | jq .layers\n  dusk inspect model.gguf --metadata\n")
    .action(async (model: string, options: { json?: boolean; metadata?: boolean; arrayLimit: string }) => {
      const description = await inspectModel(await resolveModel(model), { arrayLimit: Number(options.arrayLimit) });
      if (options.json) process.stdout.write(`${JSON.stringify(description, null, 2)}\n`);
      else printDescription(description, Boolean(options.metadata));
    });
}
