// `dusk chat <model>`: an interactive conversation with history; /system, /reset, /save; Ctrl-C stops the current
// answer and a second Ctrl-C (or Ctrl-D) leaves.
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { writeAtomically } from "../../common/index.js";
import { chat, loadModel, type ChatMessage } from "../../infer/index.js";
import { addModelOptions, addSamplingOptions, modelOptions, resolveModelPath, samplingOptions, type ModelCliOptions, type SamplingCliOptions } from "./infer-options.js";
import { writeFile } from "node:fs/promises";

interface ChatCliOptions extends ModelCliOptions, SamplingCliOptions {
  template: string;
  system?: string;
}

/** Registers `dusk chat`. */
export function register(program: Command): void {
  const command = program
    .command("chat")
    .description("chat with a GGUF model in the terminal (history, /system <text>, /reset, /save <file>, /exit)")
    .argument("<model>", "a .gguf file or a Hub id");
  addModelOptions(command);
  addSamplingOptions(command, "512");
  command
    .option("--template <name>", "chat template: auto, solar, chatml, llama2, mistral, raw or a .jinja file", "auto")
    .option("--system <text>", "system message")
    .addHelpText("after", "\nExamples:\n  dusk chat solar-10.7b-instruct-v1.0.Q2_K.gguf --template solar -c 4096\n  (inside) /system You answer in one sentence.   /reset   /save chat.json   /exit\n")
    .action(async (reference: string, options: ChatCliOptions) => {
      const sampling = samplingOptions(options);
      const model = await loadModel(await resolveModelPath(reference), { ...modelOptions(options), sequences: 1 });
      let system = options.system;
      let history: ChatMessage[] = [];
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
      let answering: AbortController | undefined;
      let lastInterrupt = 0;
      const say = (text: string): void => void process.stdout.write(text);
      rl.on("SIGINT", () => {
        if (answering) {
          answering.abort();
          return;
        }
        if (Date.now() - lastInterrupt < 2000) rl.close();
        else {
          lastInterrupt = Date.now();
          say("\n(press Ctrl-C again to leave)\n> ");
        }
      });
      process.on("SIGINT", () => rl.emit("SIGINT"));
      say(`dusk chat: ${model.name} (/system, /reset, /save <file>, /exit)\n`);
      try {
        for await (const line of rl) {
          const input = line.trim();
          if (!input) continue;
          if (input === "/exit" || input === "/quit") break;
          if (input === "/reset") {
            history = [];
            say("(conversation cleared)\n");
            continue;
          }
          if (input.startsWith("/system")) {
            system = input.slice("/system".length).trim() || undefined;
            say(system ? "(system message set)\n" : "(system message removed)\n");
            continue;
          }
          if (input.startsWith("/save")) {
            const file = input.slice("/save".length).trim();
            if (!file) {
              say("usage: /save <file.json>\n");
              continue;
            }
            const conversation = { model: model.name, template: options.template, messages: [...(system ? [{ role: "system", content: system }] : []), ...history] };
            await writeAtomically(file, (tmp) => writeFile(tmp, `${JSON.stringify(conversation, null, 2)}\n`));
            say(`(saved ${history.length} messages to ${file})\n`);
            continue;
          }
          history.push({ role: "user", content: input });
          answering = new AbortController();
          const messages: ChatMessage[] = [...(system ? [{ role: "system" as const, content: system }] : []), ...history];
          const answer = await chat(model, messages, { ...sampling, template: options.template, signal: answering.signal, onText: say });
          answering = undefined;
          history.push({ role: "assistant", content: answer.choices[0]!.message.content });
          say("\n");
        }
      } finally {
        rl.close();
        await model.dispose();
      }
    });
}
