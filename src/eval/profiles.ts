// The scoring profiles as data: the leaderboard's June 2023 harness (default), today's lm-evaluation-harness
// YAML rules, and llama.cpp's perplexity tool (HellaSwag and Winogrande only).
import { InvalidArgumentError } from "../common/index.js";
import type { Profile, ProfileName } from "./tasks/types.js";

const ALL_FAMILIES: Profile["families"] = ["arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc", "winogrande", "gsm8k"];

/** Every profile by name. */
export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  "leaderboard-v1": {
    name: "leaderboard-v1",
    shuffleDocs: true,
    docSeed: 42,
    fewshotGenerator: "shared",
    fewshotSeed: 42,
    bos: "off",
    tokenization: "split",
    mmluAggregate: "macro",
    mc2Rule: "before-first-false",
    gsm8kUntil: [":", "Question:", "Question"],
    families: ALL_FAMILIES,
    forcedShots: undefined,
  },
  "lm-eval-0.4": {
    name: "lm-eval-0.4",
    shuffleDocs: false,
    docSeed: 42,
    fewshotGenerator: "separate",
    fewshotSeed: 1234,
    bos: "tokenizer-default",
    tokenization: "split",
    mmluAggregate: "micro",
    mc2Rule: "label-mask",
    gsm8kUntil: ["Question:", "</s>", "<|im_end|>"],
    families: ALL_FAMILIES,
    forcedShots: undefined,
  },
  llamacpp: {
    name: "llamacpp",
    shuffleDocs: false,
    docSeed: 42,
    fewshotGenerator: "separate",
    fewshotSeed: 1234,
    bos: "tokenizer-default",
    tokenization: "llamacpp",
    mmluAggregate: "macro",
    mc2Rule: "before-first-false",
    gsm8kUntil: [],
    families: ["hellaswag", "winogrande"],
    forcedShots: 0,
  },
};

/** The default profile. */
export const DEFAULT_PROFILE: ProfileName = "leaderboard-v1";

/** Looks a profile up by name. */
export function getProfile(name: string): Profile {
  if (Object.hasOwn(PROFILES, name)) return PROFILES[name as ProfileName];
  throw new InvalidArgumentError(`expected a profile (${Object.keys(PROFILES).join(", ")}) but got "${name}"`, {
    hint: "leaderboard-v1 reproduces the Open LLM Leaderboard v1; lm-eval-0.4 follows today's harness; llamacpp follows llama.cpp's perplexity tool",
  });
}
