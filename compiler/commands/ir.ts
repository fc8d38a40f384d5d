// `trainc ir <config.yml> [--after <stage>|all] [--stage graph|kernels] [--format text|json|dot]`: prints the IR of a
// model + config after one pipeline stage (default: the last), or after every stage, each under a header naming it.
// Progress notes go to stderr, the IR to stdout, so `trainc ir ... > step.ir` captures only IR.
//
// Error codes defined here:
//   4001  --after names no stage (the message lists them, with a did-you-mean)
//   5002  --stage kernels: the kernel schedule comes with the GPU backends and is not built yet

import { didYouMean, fail } from "../diagnostics.ts";
import { importFromConfig, makePlan } from "../plan.ts";
import { STAGES, type Stage } from "../pipeline.ts";
import { targetInfo } from "../targets.ts";
import { printModule } from "../../ir/print.ts";
import { moduleToDot, moduleToJson } from "../../ir/render.ts";

export interface IrOptions {
  readonly after?: string;
  readonly stage: string;
  readonly format: string;
}

export async function ir(configFile: string, options: IrOptions): Promise<void> {
  if (options.stage === "kernels") {
    fail(5002, "--stage kernels: the kernel schedule comes with the GPU backends, which are not built yet",
      "use --stage graph (the default)");
  }
  const after = options.after ?? STAGES.at(-1)!;
  if (after !== "all" && !STAGES.includes(after)) {
    const close = didYouMean(after, STAGES);
    fail(4001, `--after ${after}: no such stage (stages: ${STAGES.join(", ")}, or all)`,
      close ? `did you mean --after ${close}?` : "pick one of the stages listed");
  }
  const note = (message: string) => process.stderr.write(`trainc: ${message}\n`);
  const imported = importFromConfig(configFile, targetInfo("cpu"), note);
  const stages: Stage[] = [{ name: "import", module: { graphs: [imported.model.forward] } }];
  if (after !== "import") {
    makePlan(imported, { note, onStage: (s) => s.name !== "import" && stages.push(s) });
  }
  const shown = after === "all" ? stages : stages.filter((s) => s.name === after);
  process.stdout.write(render(shown, options.format, after === "all"));
}

function render(stages: readonly Stage[], format: string, headers: boolean): string {
  switch (format) {
    case "json":
      return JSON.stringify(headers ? { stages: stages.map((s) => ({ name: s.name, ...(moduleToJson(s.module) as object) })) }
        : moduleToJson(stages[0]!.module), null, 1) + "\n";
    case "dot":
      return stages.map((s) => moduleToDot(s.module)).join("");
    default:
      return stages.map((s) => (headers ? `// ----- IR after ${s.name} -----\n` : "") + printModule(s.module)).join("\n");
  }
}
