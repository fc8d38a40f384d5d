// The attention lab's command line: renders the lab (render-lab.ts) for the chosen case sets and variants into one
// .cu file, and with --build / --run builds it with nvcc and runs it (on the GPU machine). See README.md beside it.
//   npx tsx bench/kernels/attention/lab.ts [--set check,h200] [--configs all|default] [--out <dir>] [--build] [--run]
//       [-- <arguments for the lab binary: --filter <text>, --repeats <n>, --validate-only>]
// Invariants: the .cu is written before anything is built; a failed build or run gives a non-zero exit status.

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CASE_SETS, type LabCase } from "./cases.ts";
import { labBuildArgs, renderLab, type ConfigChoice } from "./render-lab.ts";

interface Options {
  sets: string[];
  configs: ConfigChoice;
  out: string;
  build: boolean;
  run: boolean;
  binaryArgs: string[];
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    sets: ["check", "h200"], configs: "all", out: "out/attention-lab", build: false, run: false, binaryArgs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      options.binaryArgs = argv.slice(i + 1);
      break;
    }
    if (arg === "--set") options.sets = (argv[++i] ?? "").split(",");
    else if (arg === "--configs") options.configs = argv[++i] === "default" ? "default" : "all";
    else if (arg === "--out") options.out = argv[++i] ?? options.out;
    else if (arg === "--build") options.build = true;
    else if (arg === "--run") options.run = options.build = true;
    else throw new Error(`unknown argument ${arg} (see the header of bench/kernels/attention/lab.ts)`);
  }
  const unknown = options.sets.filter((s) => CASE_SETS[s] === undefined);
  if (unknown.length > 0) {
    throw new Error(`unknown case set ${unknown.join(", ")}: use ${Object.keys(CASE_SETS).join(", ")}`);
  }
  return options;
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  const cases: LabCase[] = options.sets.flatMap((s) => CASE_SETS[s]!());
  const dir = resolve(options.out);
  mkdirSync(dir, { recursive: true });
  const cu = join(dir, "attention_lab.cu");
  const exe = join(dir, "attention_lab");
  writeFileSync(cu, renderLab(cases, options.configs));
  console.log(`wrote ${cu} (${cases.length} cases)`);
  if (!options.build) return 0;
  const build = spawnSync("nvcc", labBuildArgs(cu, exe), { stdio: "inherit" });
  if (build.status !== 0) return build.status ?? 1;
  if (!options.run) return 0;
  return spawnSync(exe, options.binaryArgs, { stdio: "inherit" }).status ?? 1;
}

process.exitCode = main();
