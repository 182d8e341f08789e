// Unit tests of the chat templates: the SOLAR template renders exactly the seed's prompt and the official multi-turn form.
import { describe, expect, it } from "vitest";
import { renderFormat, resolveTemplate, TEMPLATES } from "./templates.js";

describe("chat templates", () => {
  it("solar renders the seed's prompt exactly", () => {
    expect(renderFormat(TEMPLATES.solar, [{ role: "user", content: "Hello" }])).toBe("### User:\nHello\n\n### Assistant:\n");
  });
  it("solar puts a non-empty system message first and skips an empty one", () => {
    expect(renderFormat(TEMPLATES.solar, [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }])).toBe("### System:\nBe brief.\n\n### User:\nHi\n\n### Assistant:\n");
    expect(renderFormat(TEMPLATES.solar, [{ role: "system", content: "" }, { role: "user", content: "Hi" }])).toBe("### User:\nHi\n\n### Assistant:\n");
  });
  it("solar multi-turn follows upstage's chat_template (no separator after an answer)", () => {
    const text = renderFormat(TEMPLATES.solar, [
      { role: "user", content: "Hello, how are you?" },
      { role: "assistant", content: "I'm doing great." },
      { role: "user", content: "Show me." },
    ]);
    expect(text).toBe("### User:\nHello, how are you?\n\n### Assistant:\nI'm doing great.### User:\nShow me.\n\n### Assistant:\n");
  });
  it("the solar format agrees with the official Jinja template rendered by node-llama-cpp", async () => {
    const { renderChat } = await import("./templates.js");
    const official = "{% for message in messages %}{% if message['role'] == 'system' %}{% if message['content']%}{{'### System:\\n' + message['content']+'\\n\\n'}}{% endif %}{% elif message['role'] == 'user' %}{{'### User:\\n' + message['content']+'\\n\\n'}}{% elif message['role'] == 'assistant' %}{{'### Assistant:\\n'  + message['content']}}{% endif %}{% if loop.last and add_generation_prompt %}{{ '### Assistant:\\n' }}{% endif %}{% endfor %}";
    const messages = [{ role: "system", content: "Sys" }, { role: "user", content: "A" }, { role: "assistant", content: "B" }, { role: "user", content: "C" }] as const;
    expect(renderChat({ kind: "jinja", name: "solar.jinja", source: official }, messages).text).toBe(renderFormat(TEMPLATES.solar, messages));
    // The Jinja source dusk writes into fine-tuned checkpoints is that official one, and the ChatML one renders alike.
    expect(TEMPLATES.solar.jinja).toBe(official);
    const chatml = TEMPLATES.chatml.jinja;
    expect(renderChat({ kind: "jinja", name: "chatml", source: chatml }, messages).text).toBe(renderFormat(TEMPLATES.chatml, messages));
  });
  it("chatml, llama2 and mistral place the system message as their models expect", () => {
    const messages = [{ role: "system", content: "S" }, { role: "user", content: "U" }] as const;
    expect(renderFormat(TEMPLATES.chatml, messages)).toBe("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
    expect(renderFormat(TEMPLATES.llama2, messages)).toBe("[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST]");
    expect(renderFormat(TEMPLATES.mistral, messages)).toBe("[INST] S\n\nU [/INST]");
    expect(renderFormat(TEMPLATES.raw, [{ role: "user", content: "just text" }])).toBe("just text");
  });
  it("resolves auto to the GGUF template or chatml, and rejects unknown names", () => {
    expect(resolveTemplate("auto", "{{x}}")).toEqual({ kind: "jinja", name: "auto", source: "{{x}}" });
    expect(resolveTemplate("auto", undefined).name).toBe("chatml");
    expect(() => resolveTemplate("nope", undefined)).toThrow(/expected a template name/);
    expect(() => resolveTemplate("/nonexistent/x.jinja", undefined)).toThrow(/readable Jinja/);
  });
});
