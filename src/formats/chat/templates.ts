// Chat templates as data: each built-in template is a set of per-role formats (the SOLAR one follows the official
// tokenizer_config.json chat_template of upstage/SOLAR-10.7B-Instruct-v1.0 exactly). Shared by infer (prompts for
// generation) and train (SFT/DPO examples whose loss covers only the assistant's text).

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
  /** The same template as a Jinja chat_template (what a checkpoint or GGUF stores so that others render it alike). */
  jinja?: string;
}

/** upstage/SOLAR-10.7B-Instruct-v1.0's tokenizer_config.json chat_template, verbatim. */
const SOLAR_JINJA =
  "{% for message in messages %}{% if message['role'] == 'system' %}{% if message['content']%}{{'### System:\\n' + message['content']+'\\n\\n'}}{% endif %}" +
  "{% elif message['role'] == 'user' %}{{'### User:\\n' + message['content']+'\\n\\n'}}{% elif message['role'] == 'assistant' %}{{'### Assistant:\\n'  + message['content']}}{% endif %}" +
  "{% if loop.last and add_generation_prompt %}{{ '### Assistant:\\n' }}{% endif %}{% endfor %}";

/** The usual ChatML chat_template. */
const CHATML_JINJA =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The built-in templates, by name. */
export const TEMPLATES = {
  solar: {
    system: "### System:\n{content}\n\n",
    user: "### User:\n{content}\n\n",
    assistant: "### Assistant:\n{content}",
    generation: "### Assistant:\n",
    stop: ["</s>"],
    jinja: SOLAR_JINJA,
  },
  chatml: {
    system: "<|im_start|>system\n{content}<|im_end|>\n",
    user: "<|im_start|>user\n{content}<|im_end|>\n",
    assistant: "<|im_start|>assistant\n{content}<|im_end|>\n",
    generation: "<|im_start|>assistant\n",
    stop: ["<|im_end|>"],
    jinja: CHATML_JINJA,
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

const fill = (format: string, content: string, system = ""): string => format.replaceAll("{system}", system).replaceAll("{content}", content);

/** A conversation rendered piece by piece: template and user text, and each assistant turn's content. */
export type TemplatePiece = { readonly kind: "text"; readonly text: string } | { readonly kind: "assistant"; readonly content: string };

/**
 * The pieces of a conversation under a built-in format, without the generation prompt: system and user turns as
 * text (the system text merged into the first user turn where the format says so), assistant turns as their content
 * (the format's `assistant` text goes around it).
 */
export function templatePieces(format: TemplateFormat, messages: readonly ChatMessage[]): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
  let pendingSystem: string | undefined;
  let firstUser = true;
  for (const message of messages) {
    if (message.role === "system") {
      if (!message.content) continue;
      if (format.systemInFirstUser && firstUser) pendingSystem = message.content;
      else pieces.push({ kind: "text", text: fill(format.system, message.content, message.content) });
    } else if (message.role === "user") {
      const content = pendingSystem !== undefined ? fill(format.system, message.content, pendingSystem) : message.content;
      pendingSystem = undefined;
      firstUser = false;
      pieces.push({ kind: "text", text: fill(format.user, content) });
    } else {
      pieces.push({ kind: "assistant", content: message.content });
    }
  }
  return pieces;
}

/** Renders a conversation with a built-in format, ending with the generation prompt. */
export function renderFormat(format: TemplateFormat, messages: readonly ChatMessage[]): string {
  const body = templatePieces(format, messages).map((piece) => (piece.kind === "text" ? piece.text : fill(format.assistant, piece.content)));
  return body.join("") + format.generation;
}

/** The built-in template whose Jinja source is exactly `source`, if any. */
export function builtinTemplateOfJinja(source: string): keyof typeof TEMPLATES | undefined {
  const names = Object.keys(TEMPLATES) as (keyof typeof TEMPLATES)[];
  return names.find((name) => {
    const format: TemplateFormat = TEMPLATES[name];
    return format.jinja === source;
  });
}
