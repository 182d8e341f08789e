// The list of CLI commands: each file under commands/ exports a `register(program)` that adds one command.
import type { Command } from "commander";
import { register as demo } from "./demo.js";
import { register as inspect } from "./inspect.js";
import { register as makeTiny } from "./make-tiny.js";
import { register as upscale } from "./upscale.js";
import { register as merge } from "./merge.js";
import { register as compare } from "./compare.js";
import { register as run } from "./run.js";
import { register as chat } from "./chat.js";
import { register as serve } from "./serve.js";
import { register as pull } from "./pull.js";
import { register as evalCommand } from "./eval.js";
import { register as train } from "./train.js";
import { register as convert } from "./convert.js";
import { register as data } from "./data.js";

/** Every command, in the order `dusk --help` lists them. Add a line here when adding a command file. */
export const commands: ((program: Command) => void)[] = [demo, upscale, merge, inspect, makeTiny, data, train, convert, evalCommand, compare, pull, run, chat, serve];
