// `trainc compile`. On the cpu target the program is the train-step IR itself (the interpreter
// runs it), so compile writes program.ir and report.json (stages, graphs, parameter count, content hash). On cuda it
// builds the training binary (compiler/cuda-run.ts) and writes report.json: kernels, FLOPs per step, predicted peak
// device memory. On wgsl it writes a bundle (compiler/wgsl-run.ts): the program as an ES module, its runtime, a page
// that trains in a browser tab, and the run files the page reads (so on wgsl compile reads the weights and the data).
// hip is the cuda program built as HIP for an AMD arch (--arch gfx90a by default, or gfx942). Compiling reads no
// parameter values (a model folder with config.json alone compiles) and, when max_steps is set, no tokenizer or dataset
// (compiler/plan.ts). On cuda and wgsl the tunable kernels take the configs the tuning DB (--db) holds for this
// machine's GPU or WebGPU adapter, and the report lists which were tuned.

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { STAGES } from "../pipeline.ts";
import { launchesPerStep } from "../program-report.ts";
import { chooseArch, compileCuda, cudaReport } from "../cuda-run.ts";
import { BUNDLE_LIMITS, compileWgsl } from "../wgsl-run.ts";
import { countParameters, importFromConfig, makePlan, type Plan } from "../plan.ts";
import { resolveTarget } from "../targets.ts";
import { hashModule } from "../../ir/hash.ts";
import { cudaTuning, dbForBuild, wgslTuning, type TuningUse } from "../../autotune/lookup.ts";
import { printModule } from "../../ir/print.ts";

export interface CompileOptions {
  readonly out?: string;
  /** Absent: chosen from the machine (compiler/targets.ts chooseTarget). */
  readonly target?: string;
  readonly arch?: string;
  readonly build: boolean;
  /** wgsl: the bundle's reductions use subgroups. */
  readonly subgroups?: boolean;
  /** cuda, wgsl: the tuning DB whose configs the tunable kernels take (default: autotune/db.ts defaultDbPath). */
  readonly db?: string;
}

export async function compile(configFile: string, options: CompileOptions): Promise<void> {
  const note = (message: string) => process.stderr.write(`trainc: ${message}\n`);
  const target = await resolveTarget(options.target, note);
  const plan = makePlan(importFromConfig(configFile, target, note), { note });
  const out = resolve(options.out ?? join(plan.config.output_dir, "program"));
  mkdirSync(out, { recursive: true });
  if (target.name === "cuda" || target.name === "hip") {
    const arch = chooseArch(target.name, options.arch, note);
    const db = target.name === "cuda" ? dbForBuild(options.db, note) : undefined;
    const tuning = db && await cudaTuning(db, arch, note);
    compileForCuda(plan, out, { ...options, arch }, note, tuning);
    return;
  }
  if (target.name === "wgsl") {
    const db = dbForBuild(options.db, note);
    const tuning = db && await wgslTuning(db, note);
    compileForWgsl(plan, out, options.subgroups === true, note, tuning);
    return;
  }
  writeFileSync(join(out, "program.ir"), printModule(plan.module));
  const parameters = countParameters(plan.model.parameterTypes);
  const report = {
    target: target.name,
    config: plan.config.config_path,
    model: plan.model.path,
    dtype: plan.precision.compute,
    parameter_dtype: plan.precision.parameters,
    parameters,
    steps: plan.totalSteps,
    stages: STAGES,
    hash: hashModule(plan.module),
    graphs: plan.module.graphs.map((g) => ({ name: g.name, inputs: g.inputs.length, nodes: g.nodes.length, outputs: g.outputs.length })),
  };
  writeFileSync(join(out, "report.json"), JSON.stringify(report, null, 2) + "\n");
  process.stdout.write(`compiled for ${target.name}: ${report.graphs.map((g) => `@${g.name} ${g.nodes} nodes`).join(", ")}; ` +
    `${parameters.toLocaleString("en-US")} parameters; wrote ${join(out, "program.ir")} and report.json\n`);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

function compileForCuda(plan: Plan, out: string, options: CompileOptions, note: (m: string) => void, tuning: TuningUse | undefined): void {
  const arch = options.arch!;
  const build = compileCuda(plan, arch, options.build, note, tuning);
  const report: Record<string, unknown> = { ...cudaReport(build, plan, arch), ...(tuning ? { tuning: tuning.report() } : {}) };
  writeFileSync(join(out, "report.json"), JSON.stringify(report, null, 2) + "\n");
  const memory = report["memory"] as Record<string, number>;
  const kernels = report["kernels"] as { graph: string }[];
  process.stdout.write(`compiled for ${report["target"]} (${arch}): ${(report["parameters"] as number).toLocaleString("en-US")} ` +
    `parameters, ${launchesPerStep(kernels)} kernel launches per step, ` +
    `${((report["flops_per_step"] as number) / 1e12).toFixed(3)} TFLOP per step; predicted peak device memory ` +
    `${gib(memory["predicted_peak_bytes"]!)} (state ${gib(memory["state_bytes"]!)}, activations ${gib(memory["activation_bytes"]!)}, ` +
    `workspace ${gib(memory["workspace_bytes"]!)}); ${build.built ? `binary ${build.built.binary}` : "not built (--no-build)"}; ` +
    `report in ${join(out, "report.json")}\n`);
}

function compileForWgsl(plan: Plan, out: string, subgroups: boolean, note: (m: string) => void, tuning: TuningUse | undefined): void {
  const report = compileWgsl(plan, out, { ...BUNDLE_LIMITS, subgroups }, note, tuning);
  writeFileSync(join(out, "report.json"), JSON.stringify(report, null, 2) + "\n");
  const memory = report["memory"] as Record<string, number>;
  process.stdout.write(`compiled for wgsl: ${(report["parameters"] as number).toLocaleString("en-US")} parameters, ` +
    `${launchesPerStep(report["kernels"] as { graph: string }[])} kernel launches per step, ${((report["flops_per_step"] as number) / 1e9).toFixed(3)} ` +
    `GFLOP per step; predicted device memory ${(memory["predicted_peak_bytes"]! / 2 ** 20).toFixed(1)} MiB; bundle in ${out} ` +
    `(train in a browser: trainc serve ${out})\n`);
}
