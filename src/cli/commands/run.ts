// `dusk run <model> [prompt]`: one answer from a GGUF model, streamed to stdout or printed as one completion object.
import type { Command } from "commander";
import { complete, loadModel } from "../../infer/index.js";
import { addModelOptions, addSamplingOptions, modelOptions, resolveModelPath, samplingOptions, type ModelCliOptions, type SamplingCliOptions } from "./infer-options.js";

interface RunCliOptions extends ModelCliOptions, SamplingCliOptions {
  template?: string;
  system?: string;
  json?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Registers `dusk run`. */
export function register(program: Command): void {
  const command = program
    .command("run")
    .description("generate an answer to one prompt with a GGUF model (llama.cpp through node-llama-cpp)")
    .argument("<model>", "a .gguf file or a Hub id such as TheBloke/SOLAR-10.7B-Instruct-v1.0-GGUF:Q2_K")
    .argument("[prompt]", "the prompt (read from stdin when omitted)");
  addModelOptions(command);
  addSamplingOptions(command);
  command
    .option("--template <name>", "chat template: auto, solar, chatml, llama2, mistral, raw or a .jinja file (default: auto when the model has one, else raw)")
    .option("--system <text>", "system message")
    .option("--json", "print one OpenAI-style completion object instead of streaming text")
    .addHelpText("after", '\nExamples:\n  dusk run solar-10.7b-instruct-v1.0.Q2_K.gguf --template solar -c 512 -t 8 -ngl 110 -n 512 --stop "</s>" "Hello"\n  echo "Tell me a joke" | dusk run model.gguf --template chatml --json\n  dusk run model.gguf --json-schema \'{"type":"object"}\' "Describe a cat as JSON"\n')
    .action(async (reference: string, promptArgument: string | undefined, options: RunCliOptions) => {
      const sampling = samplingOptions(options);
      const loadOptions = modelOptions(options);
      const prompt = promptArgument ?? (await readStdin());
      const path = await resolveModelPath(reference);
      const model = await loadModel(path, { ...loadOptions, sequences: 1 });
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once("SIGINT", onSigint);
      try {
        const completion = await complete(model, prompt, {
          ...sampling,
          ...(options.template !== undefined ? { template: options.template } : {}),
          ...(options.system !== undefined ? { system: options.system } : {}),
          signal: controller.signal,
          ...(options.json ? {} : { onText: (text: string) => process.stdout.write(text) }),
        });
        process.stdout.write(options.json ? `${JSON.stringify(completion, null, 2)}\n` : "\n");
      } finally {
        process.off("SIGINT", onSigint);
        await model.dispose();
      }
    });
}
