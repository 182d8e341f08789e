// `dusk eval`: the six Open LLM Leaderboard v1 tasks (H6), scored as the leaderboard scored them, on a GGUF model
// in process or on OpenAI-compatible servers; or, with --dump-prompts, the exact prompts without a model.
import { InvalidArgumentError as CommanderArgumentError, type Command } from "commander";
import { evaluate, parseEndpointList, PROFILES } from "../../eval/index.js";

interface EvalFlags {
  tasks: string;
  profile?: string;
  numFewshot?: number;
  dataDir?: string;
  limit?: number;
  threads?: number;
  parallel?: number;
  bos?: boolean;
  output?: string;
  logSamples?: string;
  dumpPrompts?: string;
  endpoint?: string;
  cache?: boolean;
  store?: string;
  json?: boolean;
  progress?: boolean;
}

function wholeNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new CommanderArgumentError(`${name} must be a whole number >= 0`);
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CommanderArgumentError("--limit must be a positive number (N docs, or a fraction below 1)");
  return n;
}

/** Adds `dusk eval` to the program. */
export function register(program: Command): void {
  program
    .command("eval")
    .description("evaluate a model on the Open LLM Leaderboard v1 tasks (H6) with the leaderboard's exact prompts, few-shot draws and metrics")
    .argument("[model]", "GGUF model file (or the model name an --endpoint serves); not needed with --dump-prompts")
    .requiredOption("--tasks <list>", "comma-separated: arc_challenge, hellaswag, mmlu, mmlu_<subject>, truthfulqa_mc, winogrande, gsm8k, or h6")
    .option("--profile <name>", `scoring rules: ${Object.keys(PROFILES).join(", ")}`, "leaderboard-v1")
    .option("--num-fewshot <n>", "shots for every task with a few-shot pool (default: the leaderboard's 25, 10, 5, 0, 5, 5)", wholeNumber("--num-fewshot"))
    .option("--data-dir <dir>", "local data: DIR/{arc,hellaswag,mmlu,truthfulqa,winogrande,gsm8k,hellaswag_llamacpp}/, split named by file or folder")
    .option("--limit <n>", "only the first N docs of each task after the leaderboard's shuffle", positiveNumber)
    .option("--threads <n>", "CPU threads of the in-process backend (default 2)", wholeNumber("--threads"))
    .option("--parallel <n>", "sequences scored at once (for --endpoint: requests in flight; default 4 per URL)", wholeNumber("--parallel"))
    .option("--bos", "add a BOS token (default: off for leaderboard-v1, the tokenizer's default otherwise)")
    .option("--no-bos", "never add a BOS token")
    .option("--endpoint <urls>", "score on OpenAI-compatible servers (echo + logprobs), comma-separated; requests are spread over all")
    .option("-o, --output <file>", "write results.json (lm-evaluation-harness layout plus h6)")
    .option("--log-samples <file>", "write one JSON line per doc: gold, each request's log-likelihood or text, prediction, metrics")
    .option("--dump-prompts <file>", "write one JSON line per request (context, continuation or until) and run no model")
    .option("--no-cache", "do not answer requests from the results store (fresh answers are still stored)")
    .option("--store <file>", "results store (SQLite; default ~/.cache/dusk/eval-results.sqlite)")
    .option("--no-progress", "no progress bars")
    .option("--json", "print results.json instead of the table")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  dusk eval --dump-prompts prompts.jsonl --tasks h6 --data-dir data/ --limit 20   prompts only, no model\n" +
        "  dusk eval model.gguf --tasks h6 --data-dir data/ -o results.json                the H6 score\n" +
        "  dusk eval solar --endpoint http://gpu1:8080,http://gpu2:8080 --tasks mmlu --data-dir data/\n" +
        "  dusk eval model.gguf --tasks hellaswag --profile llamacpp --data-dir data/       llama.cpp's numbers\n",
    )
    .action(async (model: string | undefined, flags: EvalFlags) => {
      const report = await evaluate({
        model,
        tasks: flags.tasks,
        profile: flags.profile,
        numFewshot: flags.numFewshot,
        dataDir: flags.dataDir,
        limit: flags.limit,
        threads: flags.threads,
        parallel: flags.parallel,
        bos: bosFlag(),
        endpoints: flags.endpoint === undefined ? undefined : parseEndpointList(flags.endpoint),
        output: flags.output,
        logSamples: flags.logSamples,
        dumpPrompts: flags.dumpPrompts,
        noCache: flags.cache === false,
        storePath: flags.store,
        progress: flags.progress !== false,
        onNotice: (message) => process.stderr.write(`dusk: ${message}\n`),
      });
      if (report.mode === "dump") {
        const tasks = report.plans.map((p) => `${p.task} ${p.docs}`).join(", ");
        process.stdout.write(`wrote ${report.promptCount} requests to ${flags.dumpPrompts} (${tasks})\n`);
        return;
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(report.results, null, 2)}\n`);
      else process.stdout.write(`${report.table}\n`);
      if (flags.output !== undefined && !flags.json) process.stdout.write(`wrote ${flags.output}\n`);
    });

  // --bos and --no-bos share the "bos" key; commander gives the --no-bos default (true) even when neither is given.
  function bosFlag(): boolean | undefined {
    const command = program.commands.find((c) => c.name() === "eval");
    const source = command?.getOptionValueSource("bos");
    if (source !== "cli") return undefined;
    return command?.getOptionValue("bos") as boolean;
  }
}
