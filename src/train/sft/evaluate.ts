// Held-out measures of a fine-tuned model: the loss over the assistant's tokens, and exact match of greedily
// generated worked answers against the references' `#### <number>` (the check of GSM8K and the synthetic math).
import type { LlamaModel } from "../../engine/index.js";
import type { ChatMessage } from "../../formats/index.js";
import { encodePrompt, greedyGenerate, type TrainingTemplate } from "../chat/index.js";
import { isCorrect } from "../data/index.js";
import type { ByteLevelBpeTokenizer } from "../tokenizer/index.js";
import type { SftDataset } from "./dataset.js";

/** Mean cross-entropy over every answer token of the held-out rows. */
export function heldOutLoss(model: LlamaModel, data: SftDataset): number {
  let sum = 0, count = 0;
  for (const batch of data.allBatches()) {
    const { tokenLosses } = model.forward(batch);
    const targets = batch.targets ?? [];
    for (let n = 0; n < tokenLosses.length; n++) {
      if ((targets[n] as number) < 0) continue;
      sum += tokenLosses[n] as number;
      count++;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

/** The prompt of a conversation (everything before its last assistant turn) and that turn's text. */
export function splitLastAnswer(messages: readonly ChatMessage[]): { prompt: ChatMessage[]; answer: string } {
  const last = messages.map((m) => m.role).lastIndexOf("assistant");
  return { prompt: messages.slice(0, last), answer: messages[last]?.content ?? "" };
}

/** Options of {@link generateAnswers}. */
export interface GenerateAnswersOptions {
  readonly maxNewTokens: number;
}

/** Greedy answers of the model to prompts, rendered with the template and stopped at EOS or a stop string. */
export function generateAnswers(model: LlamaModel, tokenizer: ByteLevelBpeTokenizer, template: TrainingTemplate, prompts: readonly (readonly ChatMessage[])[], { maxNewTokens }: GenerateAnswersOptions): string[] {
  const encoded = prompts.map((p) => encodePrompt(p, template, tokenizer));
  const stops = template.format.stop;
  const stopIds = [tokenizer.vocab.eosId, ...stops.map((s) => tokenizer.encode(s, { specialTokens: true })).filter((ids) => ids.length === 1).map((ids) => ids[0])].filter((id): id is number => id !== undefined);
  const outputs = greedyGenerate(model, encoded, {
    maxNewTokens, stopIds, padId: tokenizer.vocab.padId ?? 0,
    ...(stops.length > 0 ? { stopWhen: (out: readonly number[]): boolean => stops.some((s) => tokenizer.decode([...out]).includes(s)) } : {}),
  });
  return outputs.map((ids) => {
    let text = tokenizer.decode(ids);
    for (const s of stops) {
      const at = text.indexOf(s);
      if (at >= 0) text = text.slice(0, at);
    }
    return text;
  });
}

/** The fraction of conversations whose greedy answer has the reference's final number. */
export function exactMatch(model: LlamaModel, tokenizer: ByteLevelBpeTokenizer, template: TrainingTemplate, examples: readonly { readonly messages: readonly ChatMessage[] }[], maxNewTokens: number): number {
  if (examples.length === 0) return Number.NaN;
  const split = examples.map((e) => splitLastAnswer(e.messages));
  const answers = generateAnswers(model, tokenizer, template, split.map((s) => s.prompt), { maxNewTokens });
  let right = 0;
  answers.forEach((text, i) => {
    if (isCorrect(text, (split[i] as { answer: string }).answer)) right++;
  });
  return right / examples.length;
}
