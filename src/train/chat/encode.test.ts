// Tokenizing conversations for training: exactly the assistant's tokens are marked, the prompt part is the text
// generation sees, and prompt + response tokens (DPO, generation) equal the conversation's tokens (SFT).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEMPLATES, renderFormat, type ChatMessage } from "../../formats/index.js";
import { loadTokenizer, trainTokenizer, type ByteLevelBpeTokenizer } from "../tokenizer/index.js";
import { encodeConversation, encodePrompt, encodeResponse } from "./encode.js";
import { resolveTrainingTemplate } from "./template.js";

let dir: string;
let tokenizer: ByteLevelBpeTokenizer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dusk-encode-"));
  const corpus = join(dir, "corpus.txt");
  await writeFile(corpus, "Tariq has 9 seashells. He finds 6 more seashells. How many seashells does Tariq have?\nHe then has 9 + 6 = 15 seashells.\n".repeat(20));
  await trainTokenizer({ corpus: [corpus], vocabSize: 320, output: join(dir, "tok") });
  tokenizer = await loadTokenizer(join(dir, "tok"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const conversation: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Tariq has 9 seashells. He finds 6 more." },
  { role: "assistant", content: "He then has 15 seashells." },
  { role: "user", content: "And 6 more?" },
  { role: "assistant", content: "21 seashells." },
];

/** The runs of consecutive trained tokens, decoded. */
function trainedRuns(tokens: readonly number[], trained: readonly boolean[]): string[] {
  const runs: number[][] = [];
  tokens.forEach((id, i) => {
    if (!trained[i]) return;
    if (i === 0 || !trained[i - 1]) runs.push([]);
    runs.at(-1)?.push(id);
  });
  return runs.map((ids) => tokenizer.decode(ids));
}

describe("encodeConversation", () => {
  it("marks exactly each assistant turn (its text and EOS) under the solar template, the rest being the template's text", () => {
    const solar = resolveTrainingTemplate("solar", undefined);
    const { tokens, trained } = encodeConversation(conversation, solar, tokenizer);
    expect(tokens[0]).toBe(tokenizer.vocab.bosId);
    expect(trainedRuns(tokens, trained)).toEqual(["He then has 15 seashells.</s>", "21 seashells.</s>"]);
    // Without the EOS tokens, the whole text is the template's rendering.
    const text = tokenizer.decode(tokens.slice(1).filter((id) => id !== tokenizer.vocab.eosId));
    expect(text).toBe(renderFormat(TEMPLATES.solar, conversation).slice(0, -TEMPLATES.solar.generation.length));
  });

  it("trains ChatML turns through their <|im_end|> and adds no EOS", () => {
    const chatml = resolveTrainingTemplate("chatml", undefined);
    const { tokens, trained } = encodeConversation(conversation, chatml, tokenizer);
    expect(trainedRuns(tokens, trained)).toEqual(["He then has 15 seashells.<|im_end|>\n", "21 seashells.<|im_end|>\n"]);
    expect(tokens.filter((id) => id === tokenizer.vocab.eosId)).toEqual([]);
  });

  it("gives a prompt + response that equals the conversation (what SFT trains is what generation and DPO see)", () => {
    for (const name of ["solar", "chatml", "llama2", "mistral", "raw"]) {
      const template = resolveTrainingTemplate(name, undefined);
      const prompt = conversation.slice(0, 4);
      const whole = encodeConversation(conversation, template, tokenizer);
      const split = [...encodePrompt(prompt, template, tokenizer), ...encodeResponse("21 seashells.", template, tokenizer)];
      expect(split, name).toEqual(whole.tokens);
      // The prompt's text is what renderFormat gives generation (with EOS closing earlier answers).
      // (llama2 and mistral spell </s> in the template itself; the others get an EOS token that the text lacks).
      const appended = template.format.assistant.includes("</s>") ? -1 : tokenizer.vocab.eosId;
      expect(tokenizer.decode(encodePrompt(prompt, template, tokenizer).slice(1).filter((id) => id !== appended)), name).toBe(renderFormat(template.format, prompt));
    }
  });

  it("tokenizes the assistant's text as plain text, so a special token's spelling in an answer is not a special token", () => {
    const chatml = resolveTrainingTemplate("chatml", undefined);
    const hostile: ChatMessage[] = [{ role: "user", content: "hi" }, { role: "assistant", content: "</s>ok<|im_end|>" }];
    const { tokens, trained } = encodeConversation(hostile, chatml, tokenizer);
    const imEnd = tokenizer.encode("<|im_end|>", { specialTokens: true });
    expect(imEnd).toHaveLength(1);
    // <|im_end|> as a token: after the user turn and after the answer (the template's), not inside the answer.
    expect(tokens.filter((id) => id === imEnd[0])).toHaveLength(2);
    expect(tokens.filter((id) => id === tokenizer.vocab.eosId)).toEqual([]);
    expect(trainedRuns(tokens, trained)).toEqual(["</s>ok<|im_end|><|im_end|>\n"]);
  });
});

describe("resolveTrainingTemplate", () => {
  it("takes the checkpoint's own template when it is a built-in's Jinja, else ChatML, and refuses other Jinja", () => {
    expect(resolveTrainingTemplate("auto", TEMPLATES.solar.jinja).name).toBe("solar");
    expect(resolveTrainingTemplate("auto", undefined).name).toBe("chatml");
    expect(() => resolveTrainingTemplate("auto", "{{ messages }}")).toThrow(/another Jinja template/);
    expect(() => resolveTrainingTemplate("vicuna", undefined)).toThrow(/expected --template to be one of auto, solar/);
  });
});
