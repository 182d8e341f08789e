// Generation on a pooled sequence: sampling options, grammars and JSON schemas, stop strings, streaming text through
// a callback or an async iterator, per-token log-probabilities; returns OpenAI-style completion objects.
import { LlamaGrammarEvaluationState, type Llama, type LlamaGrammar, type SequenceEvaluateOptions, type Token } from "node-llama-cpp";
import { InvalidArgumentError } from "../common/index.js";
import { completionId, nowSeconds, usageOf, type ChatCompletion, type ChatTokenLogprob, type FinishReason, type TextCompletion, type TopLogprob } from "./completion.js";
import { IncrementalDetokenizer, tokensBefore } from "./detokenize.js";
import { ContextOverflowError, GenerationAbortedError } from "./errors.js";
import { keepSharedPrefix, type InferenceModel } from "./model.js";
import { StopMatcher } from "./stop.js";
import { renderChat, resolveTemplate, type ChatMessage } from "./templates.js";

/** Sampling options, named as in llama.cpp. */
export interface SamplingOptions {
  /** 0 is greedy. Defaults to 0.8. */
  temperature?: number;
  /** Defaults to 0.95. */
  topP?: number;
  /** Defaults to 40. */
  topK?: number;
  /** Defaults to 0.05. */
  minP?: number;
  /** Penalty on the last 64 tokens; 1 is off. Defaults to 1. */
  repeatPenalty?: number;
  /** Random seed. Defaults to the current time. */
  seed?: number;
}

/** Options of {@link generate} and {@link chat}. */
export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate at most (capped by the context). Defaults to 256. */
  maxTokens?: number;
  /** Strings that end the answer (not included in it). Defaults to none. */
  stop?: readonly string[];
  /** A GBNF grammar the answer must follow. Defaults to none. */
  grammar?: string;
  /** A JSON schema the answer must follow (turned into a grammar). Defaults to none. */
  jsonSchema?: object;
  /** Record log-probabilities of each generated token with this many alternatives (0: only the chosen one). Defaults to off. */
  logprobs?: number;
  /** Called with each piece of text as it becomes final. */
  onText?: (text: string) => void;
  /** Cancels the generation: the result so far is returned with finish_reason "stop" unless `throwOnAbort`. */
  signal?: AbortSignal;
  /** Throw {@link GenerationAbortedError} when `signal` fires. Defaults to false. */
  throwOnAbort?: boolean;
  /**
   * Reuse the longest start of the prompt that a free sequence still holds from an earlier request, and keep this
   * prompt and its answer there for the next one (llama-server's cache_prompt). Defaults to true.
   */
  cachePrompt?: boolean;
  /** Prepend the BOS token. Defaults to what the model's metadata asks for. */
  addBos?: boolean;
  /** Parse special-token text (e.g. `<|im_start|>`) in the prompt. Defaults to false for raw prompts, true for rendered chats. */
  specialTokens?: boolean;
}

/** One generated token with its log-probability. */
export interface TokenLogprob {
  token: Token;
  text: string;
  logprob: number;
  top: { token: Token; text: string; logprob: number }[];
}

/** What a generation produced, before it is dressed as a completion object. */
export interface GenerationResult {
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  /** Leading prompt tokens reused from a sequence that already held them (not evaluated again). */
  cachedTokens: number;
  completionTokens: number;
  tokens: Token[];
  logprobs?: TokenLogprob[];
  aborted: boolean;
}

const grammarCache = new WeakMap<object, Map<string, Promise<LlamaGrammar>>>();

async function grammarFor(model: InferenceModel, grammar: string | undefined, jsonSchema: object | undefined): Promise<LlamaGrammar | undefined> {
  if (grammar === undefined && jsonSchema === undefined) return undefined;
  const key = grammar !== undefined ? `g:${grammar}` : `j:${JSON.stringify(jsonSchema)}`;
  let cache = grammarCache.get(model.llama);
  if (!cache) grammarCache.set(model.llama, (cache = new Map<string, Promise<LlamaGrammar>>()));
  let entry = cache.get(key);
  if (!entry) {
    entry = grammar !== undefined ? model.llama.createGrammar({ grammar }) : model.llama.createGrammarForJsonSchema(jsonSchema as Parameters<Llama["createGrammarForJsonSchema"]>[0]);
    cache.set(key, entry);
  }
  try {
    return await entry;
  } catch (error) {
    cache.delete(key);
    throw new InvalidArgumentError(`expected a valid ${grammar !== undefined ? "GBNF grammar" : "JSON schema"} but llama.cpp rejected it: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Tokenizes a prompt the way generation sees it (BOS first when the model wants one). */
export function tokenizePrompt(model: InferenceModel, prompt: string, { addBos = model.model.tokens.shouldPrependBosToken, specialTokens = false }: { addBos?: boolean; specialTokens?: boolean } = {}): Token[] {
  const tokens = model.model.tokenize(prompt, specialTokens);
  const bos = model.model.tokens.bos;
  if (addBos && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
  return tokens;
}

function checkSampling({ temperature, topP, topK, minP, repeatPenalty, maxTokens }: GenerateOptions): void {
  const bad = (name: string, value: number, allowed: string): never => {
    throw new InvalidArgumentError(`expected ${name} ${allowed} but found ${value}`);
  };
  if (temperature !== undefined && !(temperature >= 0 && temperature <= 100)) bad("temperature", temperature, "between 0 and 100");
  if (topP !== undefined && !(topP >= 0 && topP <= 1)) bad("top_p", topP, "between 0 and 1");
  if (minP !== undefined && !(minP >= 0 && minP <= 1)) bad("min_p", minP, "between 0 and 1");
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 0)) bad("top_k", topK, "a whole number ≥ 0");
  if (repeatPenalty !== undefined && !(repeatPenalty > 0 && repeatPenalty < 100)) bad("repeat_penalty", repeatPenalty, "above 0");
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens >= 0)) bad("max_tokens", maxTokens, "a whole number ≥ 0");
}

const toLogprob = (p: number): number => Math.log(Math.max(p, Number.MIN_VALUE));

/** Generates from prompt tokens on a free sequence of the model. */
export async function generateTokens(model: InferenceModel, promptTokens: readonly Token[], options: GenerateOptions = {}): Promise<GenerationResult> {
  checkSampling(options);
  const { temperature = 0.8, topP = 0.95, topK = 40, minP = 0.05, repeatPenalty = 1, seed, maxTokens = 256, stop = [], logprobs, onText, signal, throwOnAbort = false, cachePrompt = true } = options;
  if (promptTokens.length >= model.contextSize) throw new ContextOverflowError(promptTokens.length, model.contextSize);
  const limit = Math.min(maxTokens, model.contextSize - promptTokens.length);
  const result: GenerationResult = { text: "", finishReason: "length", promptTokens: promptTokens.length, cachedTokens: 0, completionTokens: 0, tokens: [], aborted: false };
  if (logprobs !== undefined) result.logprobs = [];
  if (limit === 0 || signal?.aborted) {
    if (signal?.aborted && throwOnAbort) throw new GenerationAbortedError();
    result.aborted = Boolean(signal?.aborted);
    return result;
  }
  const grammar = await grammarFor(model, options.grammar, options.jsonSchema);
  // The free sequence holding the longest start of this prompt (an earlier chat turn, a shared system prompt) keeps
  // it; at least the last prompt token is evaluated again, for the first token's distribution.
  const sequence = await model.acquireSequence(signal, cachePrompt ? { reuseFor: promptTokens } : {});
  let keepHistory = false;
  const matcher = new StopMatcher(stop);
  const emit = (text: string): void => {
    if (!text) return;
    result.text += text;
    onText?.(text);
  };
  const generated = result.tokens;
  const evaluateOptions: SequenceEvaluateOptions = {
    temperature, topP, topK, minP,
    ...(seed !== undefined ? { seed } : {}),
    ...(repeatPenalty !== 1 ? { repeatPenalty: { punishTokens: () => generated.slice(-64), penalty: repeatPenalty } } : {}),
    ...(grammar ? { grammarEvaluationState: new LlamaGrammarEvaluationState({ model: model.model, grammar }) } : {}),
  };
  const detokenizer = new IncrementalDetokenizer(model.model);
  let finished = false;
  try {
    result.cachedTokens = await keepSharedPrefix(sequence, promptTokens, promptTokens.length - 1);
    const input = promptTokens.slice(result.cachedTokens);
    const steps = logprobs !== undefined
      ? sequence.evaluateWithMetadata(input, { probabilities: true }, evaluateOptions)
      : sequence.evaluate(input, evaluateOptions);
    for await (const step of steps) {
      if (signal?.aborted) break;
      const token = typeof step === "number" ? step : step.token;
      generated.push(token);
      if (typeof step !== "number" && result.logprobs) result.logprobs.push(tokenLogprob(model, token, step.probabilities, logprobs ?? 0, tokensBefore(generated, generated.length - 1)));
      emit(matcher.push(detokenizer.push(token)));
      if (matcher.stopped) {
        result.finishReason = "stop";
        finished = true;
        break;
      }
      if (generated.length >= limit) {
        finished = true;
        break;
      }
    }
    if (!finished && !signal?.aborted) result.finishReason = "stop";
    if (!matcher.stopped) emit(matcher.push(detokenizer.flush()));
    emit(matcher.flush());
    keepHistory = cachePrompt && !signal?.aborted;
  } finally {
    await model.releaseSequence(sequence, { keepHistory });
  }
  result.completionTokens = generated.length;
  if (signal?.aborted) {
    result.aborted = true;
    result.finishReason = "stop";
    if (throwOnAbort) throw new GenerationAbortedError();
  }
  return result;
}

/** A generated token and its alternatives, each token's text read after the same preceding tokens (so that equal texts mean equal tokens). */
function tokenLogprob(model: InferenceModel, token: Token, probabilities: Map<Token, number>, top: number, before: readonly Token[]): TokenLogprob {
  const text = model.model.detokenize([token], true, before);
  const alternatives: TokenLogprob["top"] = [];
  for (const [candidate, p] of probabilities) {
    if (alternatives.length >= top) break;
    alternatives.push({ token: candidate, text: model.model.detokenize([candidate], true, before), logprob: toLogprob(p) });
  }
  return { token, text, logprob: toLogprob(probabilities.get(token) ?? 0), top: alternatives };
}

/** Generates a text completion of a raw prompt (no template), as an OpenAI `text_completion` object. */
export async function generate(model: InferenceModel, prompt: string, options: GenerateOptions = {}): Promise<TextCompletion> {
  const tokens = tokenizePrompt(model, prompt, { ...(options.addBos !== undefined ? { addBos: options.addBos } : {}), specialTokens: options.specialTokens ?? false });
  const result = await generateTokens(model, tokens, options);
  return {
    id: completionId("cmpl"),
    object: "text_completion",
    created: nowSeconds(),
    model: model.name,
    choices: [{ index: 0, text: result.text, finish_reason: result.finishReason, logprobs: null }],
    usage: usageOf(result.promptTokens, result.completionTokens, result.cachedTokens),
  };
}

/** Options of {@link chat}: generation options plus the template. */
export interface ChatOptions extends GenerateOptions {
  /** auto | solar | chatml | llama2 | mistral | raw | a .jinja path. Defaults to "auto". */
  template?: string;
}

/** Renders messages with a template and tokenizes them (special tokens parsed, BOS added when wanted). */
export function renderChatPrompt(model: InferenceModel, messages: readonly ChatMessage[], template = "auto"): { text: string; tokens: Token[]; stop: readonly string[] } {
  const rendered = renderChat(resolveTemplate(template, model.chatTemplate), messages, model.model.tokenizer);
  const tokens = rendered.tokens ?? tokenizePrompt(model, rendered.text, { specialTokens: true });
  const bos = model.model.tokens.bos;
  if (rendered.tokens && model.model.tokens.shouldPrependBosToken && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
  return { text: rendered.text, tokens, stop: rendered.stop };
}

/** Answers a conversation, as an OpenAI `chat.completion` object. */
export async function chat(model: InferenceModel, messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatCompletion> {
  const { template = "auto", ...rest } = options;
  const prompt = renderChatPrompt(model, messages, template);
  const result = await generateTokens(model, prompt.tokens, { ...rest, stop: [...(rest.stop ?? []), ...prompt.stop] });
  return {
    id: completionId("chatcmpl"),
    object: "chat.completion",
    created: nowSeconds(),
    model: model.name,
    choices: [{ index: 0, message: { role: "assistant", content: result.text }, finish_reason: result.finishReason, logprobs: result.logprobs ? { content: result.logprobs.map(chatLogprob) } : null }],
    usage: usageOf(result.promptTokens, result.completionTokens, result.cachedTokens),
  };
}

const bytesOf = (text: string): number[] => [...Buffer.from(text, "utf8")];

/** One token's log-probabilities in the chat API's shape. */
export function chatLogprob(entry: TokenLogprob): ChatTokenLogprob {
  const top: TopLogprob[] = entry.top.map((t) => ({ token: t.text, logprob: t.logprob, bytes: bytesOf(t.text) }));
  return { token: entry.text, logprob: entry.logprob, bytes: bytesOf(entry.text), top_logprobs: top };
}

/** Streams the text of a generation as an async iterator; the iterator's return value is the result. */
export async function* streamTokens(model: InferenceModel, promptTokens: readonly Token[], options: GenerateOptions = {}): AsyncGenerator<string, GenerationResult, void> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const running = generateTokens(model, promptTokens, { ...options, onText: (text) => { queue.push(text); options.onText?.(text); wake?.(); } })
    .finally(() => { done = true; wake?.(); });
  running.catch(() => undefined);
  while (true) {
    if (queue.length > 0) {
      yield queue.shift()!;
      continue;
    }
    if (done) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  return await running;
}

/** Options of {@link complete}: a prompt answered through a template (or raw), as `dusk run` does. */
export interface CompleteOptions extends ChatOptions {
  /** System message. Defaults to none. */
  system?: string;
}

/** Answers one prompt: `raw` without a system message is a text completion; anything else is a one-turn chat. */
export async function complete(model: InferenceModel, prompt: string, options: CompleteOptions = {}): Promise<TextCompletion | ChatCompletion> {
  const { template = model.chatTemplate ? "auto" : "raw", system, ...rest } = options;
  if (template === "raw" && system === undefined) return generate(model, prompt, rest);
  const messages: ChatMessage[] = system !== undefined ? [{ role: "system", content: system }, { role: "user", content: prompt }] : [{ role: "user", content: prompt }];
  return chat(model, messages, { ...rest, template });
}
