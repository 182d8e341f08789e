// Crossing formats in a merge: config.json for a checkpoint written from GGUF donors, GGUF metadata for a GGUF
// written from checkpoint donors, and the model card. The tokenizer travels between the formats as a vocab-only
// GGUF file (`tokenizer.gguf`, the form llama.cpp itself ships vocabularies in) beside the HF tokenizer files.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { llamaGgufMetadata, llamaHfConfig } from "../arch/index.js";
import { Keys, gguf, metadataString, openGguf, type Checkpoint, type GgufMetadata } from "../formats/index.js";
import { UnsupportedConversionError } from "./errors.js";
import { linearCoefficients, type LinearConfig, type Slice } from "./config.js";
import { contributingDonors, type MergePlan } from "./plan-common.js";

/** File name of the vocab-only GGUF that carries a GGUF tokenizer inside a checkpoint folder. */
export const GGUF_TOKENIZER_FILE = "tokenizer.gguf";

const TORCH_DTYPE: Record<string, string> = { F32: "float32", F16: "float16", BF16: "bfloat16" };

/** config.json of the merged checkpoint. */
export function mergedCheckpointConfig(plan: MergePlan, base: { gguf?: GgufMetadata; checkpoint?: Checkpoint }): Record<string, unknown> {
  const layers = plan.layerMap.length;
  const dtype = TORCH_DTYPE[plan.tensors.find((t) => t.shape.length === 2)?.type ?? "F32"] ?? "float32";
  if (base.checkpoint) return { ...base.checkpoint.config, num_hidden_layers: layers, torch_dtype: dtype };
  const donor = plan.donors[plan.layerMap[0]!.donor]!;
  return llamaHfConfig(base.gguf!, {
    layers,
    hidden: donor.hidden,
    vocab: donor.vocab,
    tiedEmbeddings: !donor.tensors.some((t) => t.name === "output.weight"),
    torchDtype: dtype,
  });
}

/** The tokenizer.* keys of a GGUF, as a vocab-only GGUF's metadata. */
export function tokenizerOnlyMetadata(meta: GgufMetadata): GgufMetadata {
  const arch = metadataString(meta, Keys.GENERAL_ARCHITECTURE) ?? "llama";
  return new Map([["general.architecture", gguf.str(arch)], ...[...meta].filter(([k]) => k.startsWith("tokenizer."))]);
}

/** GGUF metadata for a GGUF written from a checkpoint: architecture keys from config.json, tokenizer from tokenizer.gguf. */
export async function ggufMetadataFromCheckpoint(checkpoint: Checkpoint, ref: string): Promise<GgufMetadata> {
  const tokenizerPath = join(checkpoint.folder, GGUF_TOKENIZER_FILE);
  if (!(await stat(tokenizerPath).then(() => true, () => false))) {
    throw new UnsupportedConversionError(`expected ${GGUF_TOKENIZER_FILE} in ${ref} to write a GGUF from it, but the folder has only ${checkpoint.tokenizerFiles.join(", ") || "no tokenizer files"}`);
  }
  const vocab = await openGguf(tokenizerPath);
  try {
    return new Map([...llamaGgufMetadata(checkpoint.config, { name: ref }), ...[...vocab.metadata].filter(([k]) => k.startsWith("tokenizer."))]);
  } finally {
    await vocab.close();
  }
}

/** The README.md model card of a merged checkpoint: the recipe and the sources. */
export function modelCard(plan: MergePlan, name: string): string {
  const refs = contributingDonors(plan).map((index) => plan.donors[index]!.ref);
  const base = plan.donors[plan.layerMap[0]!.donor]!.ref;
  const body = plan.config.method === "linear" ? linearCardBody(plan.config, base) : passthroughCardBody(plan, plan.config.slices, base);
  return `---
tags:
  - merge
  - ${plan.config.method === "linear" ? "linear" : "depth-up-scaling"}
  - dusk
base_model:
${refs.map((r) => `  - ${r}`).join("\n")}
---
# ${name}

${body}

## Merge configuration
\`\`\`yaml
${plan.config.yaml.trimEnd()}
\`\`\`
`;
}

function passthroughCardBody(plan: MergePlan, slices: readonly Slice[], base: string): string {
  return `A ${plan.layerMap.length}-layer model made with [dusk](https://www.npmjs.com/package/dusk) by stacking layer slices
(depth up-scaling as in SOLAR 10.7B, arXiv:2312.15166). Embeddings, final norm and output head come from
\`${base}\`. Tensors were copied, not retrained: an up-scaled model needs continued
pretraining before it beats its base.

## Slices (in order)
${slices.map((s) => `- layers [${s.start}, ${s.end}) of \`${s.model}\``).join("\n")}`;
}

function linearCardBody(config: LinearConfig, base: string): string {
  const coefficients = linearCoefficients(config);
  return `A weighted average of ${config.models.length} models of one shape, made with [dusk](https://www.npmjs.com/package/dusk)
(mergekit's linear method, as SOLAR 10.7B-Instruct averaged two DPO models): every tensor is Σ cᵢ·tensorᵢ.
Configuration and tokenizer come from \`${base}\`.

## Models and coefficients
${config.models.map((m, i) => `- \`${m.model}\`: weight ${m.weight}, coefficient ${coefficients[i]}`).join("\n")}
${config.normalize ? "\nWeights were normalized (divided by their sum)." : "\nWeights were used as given (normalize: false)."}`;
}
