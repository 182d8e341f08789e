// Chat template resolution and rendering for generation: the built-in formats (their data lives in formats/chat),
// `auto` (the GGUF's own template) and .jinja files, which node-llama-cpp's Jinja engine renders.
import { readFileSync } from "node:fs";
import { JinjaTemplateChatWrapper, type ChatHistoryItem, type Token, type Tokenizer } from "node-llama-cpp";
import { TEMPLATES, renderFormat, type ChatMessage, type TemplateFormat } from "../formats/index.js";
import { TemplateError } from "./errors.js";

export { TEMPLATES, renderFormat, type ChatMessage, type TemplateFormat };

/** Names accepted by `--template` besides a .jinja path. */
export type TemplateName = "auto" | keyof typeof TEMPLATES;
export const TEMPLATE_NAMES: readonly TemplateName[] = ["auto", ...(Object.keys(TEMPLATES) as (keyof typeof TEMPLATES)[])];

/** A template ready to render: a built-in format or a Jinja source. */
export type ResolvedTemplate = { kind: "format"; name: string; format: TemplateFormat } | { kind: "jinja"; name: string; source: string };

/** A rendered prompt: text for display, and tokens when a Jinja template produced special tokens itself. */
export interface RenderedPrompt {
  text: string;
  /** Extra stop strings of the template. */
  stop: readonly string[];
  /** Set when rendering yields tokens directly (Jinja templates); otherwise tokenize `text` with special tokens. */
  tokens?: Token[];
}

/** Resolves `--template`: a built-in name, `auto` (the GGUF's own template, else chatml) or a .jinja file. */
export function resolveTemplate(template: string, chatTemplate: string | undefined): ResolvedTemplate {
  if (template === "auto") {
    if (chatTemplate) return { kind: "jinja", name: "auto", source: chatTemplate };
    return { kind: "format", name: "chatml", format: TEMPLATES.chatml };
  }
  if (Object.hasOwn(TEMPLATES, template)) return { kind: "format", name: template, format: TEMPLATES[template as keyof typeof TEMPLATES] };
  if (/\.jinja2?$/i.test(template)) {
    let source: string;
    try {
      source = readFileSync(template, "utf8");
    } catch (error) {
      throw new TemplateError(`expected a readable Jinja template file at ${template} but could not read it`, { cause: error });
    }
    return { kind: "jinja", name: template, source };
  }
  throw new TemplateError(`expected a template name (${TEMPLATE_NAMES.join(", ")}) or a .jinja file but found "${template}"`);
}

function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem =>
    m.role === "system" ? { type: "system", text: m.content } : m.role === "user" ? { type: "user", text: m.content } : { type: "model", response: [m.content] });
  history.push({ type: "model", response: [] });
  return history;
}

/** Renders a conversation with a resolved template, ending with the generation prompt. */
export function renderChat(template: ResolvedTemplate, messages: readonly ChatMessage[], tokenizer?: Tokenizer): RenderedPrompt {
  if (template.kind === "format") return { text: renderFormat(template.format, messages), stop: template.format.stop };
  let wrapper: JinjaTemplateChatWrapper;
  try {
    wrapper = new JinjaTemplateChatWrapper({ template: template.source, trimLeadingWhitespaceInResponses: false });
    const state = wrapper.generateContextState({ chatHistory: toHistory(messages) });
    const stop = state.stopGenerationTriggers.flatMap((trigger) => trigger.values.filter((v): v is string => typeof v === "string"));
    const text = state.contextText.toString();
    return tokenizer ? { text, stop, tokens: state.contextText.tokenize(tokenizer) } : { text, stop };
  } catch (error) {
    throw new TemplateError(`expected a Jinja chat template that renders a conversation but ${template.name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
