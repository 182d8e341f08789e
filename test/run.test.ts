// End-to-end tests of the built CLI: `dusk run` (--json, streaming, -ngl, the seed's parameters, stdin, bad input)
// and `dusk chat` driven through its stdin (history, /system, /reset, /save).
import { execFile, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTinyModel } from "../src/tiny/index.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const dusk = join(root, "bin/dusk.js");
let dir: string;
let model: string;

function stale(): boolean {
  const built = join(root, "dist/cli/commands/run.js");
  if (!existsSync(built)) return true;
  const sources = ["src/cli/commands/run.ts", "src/cli/commands/chat.ts", "src/cli/commands/infer-options.ts", "src/infer/generate.ts", "src/infer/model.ts", "src/infer/templates.ts"];
  return sources.some((s) => statSync(join(root, s)).mtimeMs > statSync(built).mtimeMs);
}

beforeAll(async () => {
  if (stale()) await run("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root }).catch(() => undefined); // other layers' type errors do not stop emitting
  dir = await mkdtemp(join(tmpdir(), "dusk-run-"));
  model = (await makeTinyModel({ output: join(dir, "tiny.gguf"), type: "Q8_0", layers: 2 })).path;
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("dusk run", () => {
  it("--json prints only a valid completion object; -ngl is accepted", async () => {
    const { stdout } = await run("node", [dusk, "run", model, "-ngl", "0", "-t", "1", "-n", "6", "--temperature", "0", "--json", "hi"]);
    const completion = JSON.parse(stdout) as { id: string; object: string; created: number; model: string; choices: { index: number; text: string; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
    expect(completion.object).toBe("text_completion");
    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.model).toBe("tiny");
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect(completion.usage.completion_tokens).toBe(6);
    expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + 6);
  });

  it("runs with the seed's parameters (-c 512 -t 8 -ngl 110 -n 512 --stop </s> --template solar) and streams the same text", async () => {
    const args = [dusk, "run", model, "--template", "solar", "-c", "512", "-t", "8", "-ngl", "110", "-n", "12", "--stop", "</s>", "--temperature", "0"];
    const json = JSON.parse((await run("node", [...args, "--json", "Hello"])).stdout) as { object: string; choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    expect(json.object).toBe("chat.completion");
    const streamed = (await run("node", [...args, "Hello"])).stdout;
    expect(streamed).toBe(`${json.choices[0]!.message.content}\n`);
    const raw = JSON.parse((await run("node", [dusk, "run", model, "--template", "raw", "-t", "1", "-n", "1", "--json", "### User:\nHello\n\n### Assistant:\n"])).stdout) as { usage: { prompt_tokens: number } };
    expect(json.usage.prompt_tokens).toBe(raw.usage.prompt_tokens); // solar renders exactly the seed's prompt
  });

  it("reads the prompt from stdin and rejects bad options without a stack trace", async () => {
    const child = spawn("node", [dusk, "run", model, "-t", "1", "-n", "2", "--json"], { stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end("from stdin\n");
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.on("close", r));
    expect((JSON.parse(out) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(2);
    const bad = await run("node", [dusk, "run", model, "--temperature", "warm", "x"]).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toMatch(/^dusk: error: expected --temperature to be a number/);
    expect((bad as { stderr: string }).stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

describe("dusk chat", () => {
  it("keeps history, /system, /reset and /save", async () => {
    const saved = join(dir, "chat.json");
    const afterReset = join(dir, "reset.json");
    const child = spawn("node", [dusk, "chat", model, "-ngl", "0", "-t", "1", "-n", "4", "--temperature", "0", "--template", "solar"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stdin.end(["hello", "/system Be brief.", "and again", `/save ${saved}`, "/reset", `/save ${afterReset}`, "/exit", ""].join("\n"));
    const code = await new Promise((r) => child.on("close", r));
    expect(code).toBe(0);
    const conversation = JSON.parse(await readFile(saved, "utf8")) as { messages: { role: string; content: string }[] };
    expect(conversation.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant"]);
    expect(conversation.messages[0]!.content).toBe("Be brief.");
    expect(conversation.messages[3]!.content).toBe("and again");
    expect(out).toContain(conversation.messages[2]!.content);
    const cleared = JSON.parse(await readFile(afterReset, "utf8")) as { messages: { role: string }[] };
    expect(cleared.messages.map((m) => m.role)).toEqual(["system"]);
  });
});
