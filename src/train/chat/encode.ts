// Conversations to training tokens: the template's text and the assistant's text are tokenized piece by piece, so
// that every token is known to be prompt (no loss) or the assistant's (loss). Template and user text between two
// assistant turns is tokenized as one string, special tokens allowed, as generation tokenizes a prompt; the
// assistant's text is tokenized as plain text. An assistant turn is its content, the template's closing text and
// EOS (when the closing text holds no stop string of its own), so the model learns to stop; earlier turns in a
// prompt keep their EOS, so a prompt's tokens are exactly those of the conversation it starts.
import { templatePieces, type ChatMessage, type TemplateFormat } from "../../formats/index.js";
import type { ByteLevelBpeTokenizer } from "../tokenizer/index.js";
import type { TrainingTemplate } from "./template.js";

/** A tokenized conversation: tokens, and which of them the assistant wrote (those carry the loss). */
export interface EncodedConversation {
  readonly tokens: number[];
  /** trained[i] is true when tokens[i] is the assistant's (a target of the loss). */
  readonly trained: boolean[];
}

/** The assistant format split around its content: the text before and after it. */
function assistantParts(format: TemplateFormat): { before: string; after: string } {
  const at = format.assistant.indexOf("{content}");
  return { before: format.assistant.slice(0, at), after: format.assistant.slice(at + "{content}".length) };
}

/** Whether an assistant turn needs EOS after the template's closing text to mark its end. */
function needsEos(format: TemplateFormat): boolean {
  const { after } = assistantParts(format);
  return !format.stop.some((stop) => after.includes(stop));
}

/** Builds a conversation piece by piece. */
class Builder {
  readonly tokens: number[] = [];
  readonly trained: boolean[] = [];
  private pending = "";

  constructor(private readonly tokenizer: ByteLevelBpeTokenizer) {
    const bos = tokenizer.vocab.bosId;
    if (bos !== undefined) this.push([bos], false);
  }

  /** Template or user text: gathered and tokenized as one string when the assistant's text begins. */
  prompt(text: string): void {
    this.pending += text;
  }

  /** The assistant's turn: template text (special tokens allowed) around content (tokenized as plain text). */
  assistant(lead: string, content: string, close: string, eos: boolean, trained: boolean): void {
    this.flush();
    if (lead !== "") this.push(this.tokenizer.encode(lead, { specialTokens: true }), trained);
    this.push(this.tokenizer.encode(content, { specialTokens: false }), trained);
    if (close !== "") this.push(this.tokenizer.encode(close, { specialTokens: true }), trained);
    const eosId = this.tokenizer.vocab.eosId;
    if (eos && eosId !== undefined) this.push([eosId], trained);
  }

  flush(): void {
    if (this.pending === "") return;
    this.push(this.tokenizer.encode(this.pending, { specialTokens: true }), false);
    this.pending = "";
  }

  private push(ids: readonly number[], trained: boolean): void {
    for (const id of ids) {
      this.tokens.push(id);
      this.trained.push(trained);
    }
  }
}

/**
 * Renders messages as the template does into the builder. Assistant turns are tokenized alike whether trained
 * (SFT) or history in a prompt (DPO, generation): their text, the closing text and EOS, so that a prompt's tokens
 * are exactly those of the conversation it starts.
 */
function renderInto(builder: Builder, format: TemplateFormat, messages: readonly ChatMessage[], trainAssistant: boolean): void {
  const { before, after } = assistantParts(format);
  const opensWithGeneration = before.startsWith(format.generation);
  const lead = opensWithGeneration ? before.slice(format.generation.length) : before;
  const eos = needsEos(format);
  for (const piece of templatePieces(format, messages)) {
    if (piece.kind === "text") {
      builder.prompt(piece.text);
      continue;
    }
    builder.prompt(opensWithGeneration ? format.generation : "");
    builder.assistant(lead, piece.content, after, eos, trainAssistant);
  }
}

/** Tokenizes a whole conversation; the loss covers every assistant turn. */
export function encodeConversation(messages: readonly ChatMessage[], template: TrainingTemplate, tokenizer: ByteLevelBpeTokenizer): EncodedConversation {
  const builder = new Builder(tokenizer);
  renderInto(builder, template.format, messages, true);
  builder.flush();
  return { tokens: builder.tokens, trained: builder.trained };
}

/** Tokenizes a prompt (a conversation without the answer) ending with the template's generation prompt. */
export function encodePrompt(messages: readonly ChatMessage[], template: TrainingTemplate, tokenizer: ByteLevelBpeTokenizer): number[] {
  const builder = new Builder(tokenizer);
  renderInto(builder, template.format, messages, false);
  const { before } = assistantParts(template.format);
  builder.prompt(before.startsWith(template.format.generation) ? template.format.generation : "");
  builder.flush();
  return builder.tokens;
}

/** Tokenizes an answer to follow {@link encodePrompt}'s tokens: what the assistant writes, closing text and EOS. */
export function encodeResponse(content: string, template: TrainingTemplate, tokenizer: ByteLevelBpeTokenizer): number[] {
  const { before, after } = assistantParts(template.format);
  const lead = before.startsWith(template.format.generation) ? before.slice(template.format.generation.length) : before;
  const builder = new Builder(tokenizer);
  const bos = tokenizer.vocab.bosId !== undefined ? 1 : 0;
  builder.assistant(lead, content, after, needsEos(template.format), true);
  return builder.tokens.slice(bos);
}

/** The template's stop strings (besides EOS), for generation. */
export function templateStops(template: TrainingTemplate): readonly string[] {
  return template.format.stop;
}
