// trainc's command line (the contract in DESIGN.md): parses arguments with commander and dispatches to
// compiler/commands/*. Returns the exit code: 0 success, 1 a user error (printed as `error[E<code>]` with a fix and
// no stack trace), 2 bad command-line usage, 70 an internal error (printed with its stack: a bug to report); a command
// that runs a generated program passes that program's status on through process.exitCode.

import { Command, CommanderError, Option } from "commander";
import { asTraincError } from "./diagnostics.ts";
import { STAGES } from "./pipeline.ts";

const TARGETS = ["cuda", "hip", "wgsl", "cpu"];

function program(): Command {
  const cli = new Command("trainc")
    .description("A training compiler: Hugging Face or ONNX model + Axolotl config -> IR -> passes -> a training program.")
    .exitOverride()
    .showHelpAfterError();
  const target = () => new Option("--target <target>", "where the program runs (default: chosen from this machine: cuda, else a " +
    "WebGPU GPU, else cpu)").choices(TARGETS);

  cli.command("compile <config>").description("compile a model + config into a training program and a report")
    .option("-o, --out <dir>", "output folder (default: <output_dir>/program)")
    .addOption(target()).option("--arch <arch>", "GPU architecture, e.g. sm_90 or gfx90a (default: this machine's)").option("--no-build", "write sources only")
    .option("--subgroups", "wgsl: reductions use subgroups (the bundle then runs only where the adapter offers them)")
    .option("--db <path>", "cuda, wgsl: tuning DB whose configs tunable kernels take (default: tuning.jsonl in trainc's cache folder)")
    .action(async (config: string, o) => (await import("./commands/compile.ts")).compile(config, o));

  cli.command("train <config>").description("train: compile if needed, then run with a progress line")
    .addOption(target()).option("--arch <arch>", "GPU architecture, e.g. sm_90 or gfx90a (default: this machine's)")
    .option("--max-steps <n>", "stop after n optimizer steps", positiveInt)
    .option("--profile <file>", "cuda: time every kernel of the first step and write the times to <file> (JSON)")
    .option("--db <path>", "cuda, wgsl: tuning DB whose configs tunable kernels take (default: tuning.jsonl in trainc's cache folder)")
    .action(async (config: string, o) => (await import("./commands/train.ts")).train(config, o));

  cli.command("prepare <config>").description("tokenize (and cache) the datasets; print counts, lengths and the packing efficiency")
    .action(async (config: string) => (await import("./commands/prepare.ts")).prepare(config));

  cli.command("ir <config>").description("print the IR of a model + config after a pass, or after every pass")
    .option("--after <pass>", "a pass name, or `all` for every stage", STAGES.at(-1))
    .addOption(new Option("--stage <stage>", "graph or kernels").choices(["graph", "kernels"]).default("graph"))
    .addOption(new Option("--format <format>", "output format").choices(["text", "json", "dot"]).default("text"))
    .action(async (config: string, o) => (await import("./commands/ir.ts")).ir(config, o));

  cli.command("autotune <config>").description("search kernel configurations on the hardware; keep results in a tuning DB")
    .addOption(target()).option("--arch <arch>", "cuda: GPU architecture the kernels are built for (default: this machine's)").option("--budget <seconds>", "seconds of measuring for the whole sweep (default 300)", positiveInt)
    .option("--db <path>", "tuning DB file (default: tuning.jsonl in trainc's cache folder)")
    .option("--report", "measure nothing: print what the tuning DB holds for this config")
    .action(async (config: string, o) => (await import("./commands/autotune.ts")).autotune(config, o));

  cli.command("grads <model_dir>").description("one forward + backward on a batch; writes loss, logits and gradients")
    .requiredOption("--batch <file>", "safetensors with input_ids, labels and optionally position_ids")
    .requiredOption("--out <file>", "safetensors to write")
    .option("--config <config>", "an Axolotl config (dtype, attention)")
    .addOption(new Option("--target <target>", "where it runs (default: chosen as for train)").choices(["cpu", "cuda", "hip", "wgsl"]))
    .option("--arch <arch>", "GPU architecture, e.g. sm_90 or gfx90a (default: this machine's)")
    .option("--adapter <peft_dir>", "a PEFT adapter folder")
    .action(async (dir: string, o) => (await import("./commands/grads.ts")).grads(dir, o));

  cli.command("serve <dir>").description("serve a wgsl bundle (trainc compile --target wgsl) to train in a browser tab")
    .option("--port <n>", "port", nonNegativeInt, 8080).option("--host <host>", "address to listen on", "127.0.0.1")
    .action(async (dir: string, o) => (await import("./commands/serve.ts")).serve(dir, o));

  cli.command("init-model <config_json>").description("write a randomly initialized Hugging Face model folder")
    .requiredOption("-o, --out <dir>", "model folder to create").option("--seed <n>", "random seed", nonNegativeInt, 0)
    .action(async (config: string, o) => (await import("./commands/init-model.ts")).initModel(config, o));
  return cli;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CommanderError(2, "trainc.invalidArgument", `expected a positive integer, got '${text}'`);
  return n;
}

function nonNegativeInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CommanderError(2, "trainc.invalidArgument", `expected an integer >= 0, got '${text}'`);
  return n;
}

/** Runs the CLI on `argv` (without node and script) and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    process.exitCode = undefined;
    await program().parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    const known = asTraincError(e);
    if (known) {
      process.stderr.write(`${known.format()}\n`);
      return 1;
    }
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`internal error (a bug in trainc; please report it with the command you ran):\n${(e as Error).stack ?? e}\n`);
    return 70;
  }
}
