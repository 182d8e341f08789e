// The special tokens of dusk's tokenizers, as data. Ids 0-3 are fixed (<unk>, <s>, </s>, <pad>, as in Llama);
// ChatML's markers follow so that chat fine-tuning has turn delimiters that never occur in text. SOLAR's own chat
// format ("### User:", "### Assistant:", "### System:") is ordinary text and needs no special token: it tokenizes
// into a few normal tokens, as it does with SOLAR's Llama vocabulary.

/** A special token and the role it plays. */
export interface SpecialToken {
  readonly content: string;
  readonly role: "unk" | "bos" | "eos" | "pad" | "chat";
}

/** The four fixed special tokens, ids 0-3. */
export const CORE_SPECIAL_TOKENS: readonly SpecialToken[] = [
  { content: "<unk>", role: "unk" },
  { content: "<s>", role: "bos" },
  { content: "</s>", role: "eos" },
  { content: "<pad>", role: "pad" },
];

/** Chat markers added after the core tokens by default (ChatML: `<|im_start|>user\n...<|im_end|>`). */
export const DEFAULT_CHAT_MARKERS: readonly string[] = ["<|im_start|>", "<|im_end|>"];
