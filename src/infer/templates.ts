// Chat templates as data: each built-in template is a set of per-role formats (the SOLAR one follows the official
// tokenizer_config.json chat_template of upstage/SOLAR-10.7B-Instruct-v1.0 exactly); `auto` and .jinja files are
// rendered by node-llama-cpp's Jinja engine.
import { readFileSync } from "node:fs";
import { JinjaTemplateChatWrapper, type ChatHistoryItem, type Token, type Tokenizer } from "node-llama-cpp";
import { TemplateError } from "./errors.js";

/** One message of a conversation, as the OpenAI API spells it. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A built-in chat template: `{content}` is replaced by the message text. */
export interface TemplateFormat {
  /** System message (omitted when empty). With `systemInFirstUser`, wraps the system text inside the first user turn. */
  system: string;
  user: string;
  assistant: string;
  /** Text that opens the assistant's answer (the generation prompt). */
  generation: string;
  /** Strings that end an answer besides the model's end-of-generation token. */
  stop: readonly string[];
  /** Merge the system message into the first user message with `system` (`{system}` and `{content}`). */
  systemInFirstUser?: boolean;
}

/** The built-in templates, by name. */
export const TEMPLATES = {
  solar: {
    system: "### System:\n{content}\n\n",
    user: "### User:\n{content}\n\n",
    assistant: "### Assistant:\n{content}",
    generation: "### Assistant:\n",
    stop: ["</s>"],
  },
  chatml: {
    system: "<|im_start|>system\n{content}<|im_end|>\n",
    user: "<|im_start|>user\n{content}<|im_end|>\n",
    assistant: "<|im_start|>assistant\n{content}<|im_end|>\n",
    generation: "<|im_start|>assistant\n",
    stop: ["<|im_end|>"],
  },
  llama2: {
    system: "<<SYS>>\n{system}\n<</SYS>>\n\n{content}",
    user: "[INST] {content} [/INST]",
    assistant: " {content} </s><s>",
    generation: "",
    stop: ["</s>"],
    systemInFirstUser: true,
  },
  mistral: {
    system: "{system}\n\n{content}",
    user: "[INST] {content} [/INST]",
    assistant: "{content}</s>",
    generation: "",
    stop: ["</s>"],
    systemInFirstUser: true,
  },
  raw: {
    system: "{content}\n\n",
    user: "{content}",
    assistant: "{content}",
    generation: "",
    stop: [],
  },
} as const satisfies Record<string, TemplateFormat>;

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

const fill = (format: string, content: string, system = ""): string => format.replaceAll("{system}", system).replaceAll("{content}", content);

/** Renders a conversation with a built-in format, ending with the generation prompt. */
export function renderFormat(format: TemplateFormat, messages: readonly ChatMessage[]): string {
  let out = "";
  let pendingSystem: string | undefined;
  let firstUser = true;
  for (const message of messages) {
    if (message.role === "system") {
      if (!message.content) continue;
      if (format.systemInFirstUser && firstUser) pendingSystem = message.content;
      else out += fill(format.system, message.content, message.content);
    } else if (message.role === "user") {
      const content = pendingSystem !== undefined ? fill(format.system, message.content, pendingSystem) : message.content;
      pendingSystem = undefined;
      firstUser = false;
      out += fill(format.user, content);
    } else {
      out += fill(format.assistant, message.content);
    }
  }
  return out + format.generation;
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
