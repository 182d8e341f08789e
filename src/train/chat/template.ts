// The chat template of a training run: a built-in format (formats/chat) named by `--template`, or `auto`, the
// checkpoint's own (its tokenizer's chat_template when it is one of the built-ins' Jinja sources), else ChatML.
// Training renders conversations itself, segment by segment, so that it knows which tokens the assistant wrote.
import { InvalidArgumentError } from "../../common/index.js";
import { TEMPLATES, builtinTemplateOfJinja, type TemplateFormat } from "../../formats/index.js";

/** A resolved training template. */
export interface TrainingTemplate {
  /** The built-in's name (solar, chatml, llama2, mistral, raw). */
  readonly name: keyof typeof TEMPLATES;
  readonly format: TemplateFormat;
  /** How it was chosen, for the log: "--template", "the checkpoint's chat_template" or "default". */
  readonly source: string;
}

/** Names `--template` accepts. */
export const TRAINING_TEMPLATE_NAMES: readonly string[] = ["auto", ...Object.keys(TEMPLATES)];

/** The template used when neither `--template` nor the checkpoint names one. */
export const DEFAULT_TRAINING_TEMPLATE: keyof typeof TEMPLATES = "chatml";

/**
 * Resolves `--template` for training. `auto` takes the checkpoint's chat_template when it is a built-in's Jinja
 * source and the default (ChatML) when it has none; another Jinja template is refused (training must know where
 * the assistant's text starts and ends, which a built-in format states and arbitrary Jinja does not).
 */
export function resolveTrainingTemplate(name: string, chatTemplate: string | undefined): TrainingTemplate {
  if (name !== "auto") {
    if (!Object.hasOwn(TEMPLATES, name)) throw new InvalidArgumentError(`expected --template to be one of ${TRAINING_TEMPLATE_NAMES.join(", ")} but got "${name}"`);
    const key = name as keyof typeof TEMPLATES;
    return { name: key, format: TEMPLATES[key], source: "--template" };
  }
  if (chatTemplate === undefined || chatTemplate.trim() === "") return { name: DEFAULT_TRAINING_TEMPLATE, format: TEMPLATES[DEFAULT_TRAINING_TEMPLATE], source: "default" };
  const builtin = builtinTemplateOfJinja(chatTemplate);
  if (builtin === undefined) {
    throw new InvalidArgumentError(`expected the checkpoint's chat_template to be one dusk knows (${Object.keys(TEMPLATES).join(", ")}) but it is another Jinja template`, {
      hint: "name the template to train with: --template solar|chatml|llama2|mistral|raw",
    });
  }
  return { name: builtin, format: TEMPLATES[builtin], source: "the checkpoint's chat_template" };
}
