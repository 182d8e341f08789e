// ARC-Challenge (allenai/ai2_arc, ARC-Challenge): "Question: {question}\nAnswer:", choices " " + text, 25 shots
// sampled from train, headline acc_norm. answerKey "1".."5" maps to "A".."E"; gold is that letter's index.
import { z } from "zod";
import { DataFormatError } from "../errors.js";
import { choiceRequests, parseRowWith, scoreMultipleChoice, type MultipleChoiceDoc } from "./common.js";
import type { TaskDefinition } from "./types.js";

const ArcRow = z.object({
  id: z.string().optional(),
  question: z.string(),
  choices: z.object({ text: z.array(z.string()), label: z.array(z.string()) }),
  answerKey: z.string(),
});

const NUMBER_TO_LETTER: Readonly<Record<string, string>> = { "1": "A", "2": "B", "3": "C", "4": "D", "5": "E" };
const LETTERS = ["A", "B", "C", "D", "E"];

/** ARC-Challenge as the 2023 harness scored it. */
export const arcChallenge: TaskDefinition<MultipleChoiceDoc> = {
  name: "arc_challenge",
  family: "arc_challenge",
  dataset: { folder: "arc", hubId: "allenai/ai2_arc", hubConfig: "ARC-Challenge", configPattern: /challenge/i },
  evalSplit: "test",
  fewshot: { split: "train", sampler: "random" },
  defaultShots: 25,
  headline: "acc_norm",
  version: 0,
  parseRow(row, where) {
    const r = parseRowWith(ArcRow, row, where);
    const key = NUMBER_TO_LETTER[r.answerKey] ?? r.answerKey;
    const gold = LETTERS.indexOf(key);
    if (gold < 0 || gold >= r.choices.text.length) {
      throw new DataFormatError(where, `an answerKey among A..E or 1..5 within the ${r.choices.text.length} choices`, JSON.stringify(r.answerKey));
    }
    return { query: `Question: ${r.question}\nAnswer:`, choices: r.choices.text, gold };
  },
  description: () => "",
  docToText: (doc) => doc.query,
  docToTarget: (doc) => ` ${doc.choices[doc.gold] ?? ""}`,
  requests: (doc, context) => choiceRequests(context, doc.choices),
  score: (doc, results) => scoreMultipleChoice(doc, results, "acc_norm"),
};
