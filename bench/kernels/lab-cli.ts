// The command line every kernel lab shares (bench/kernels/<kernel>/lab.ts): renders the lab for the chosen case sets
// and variants into one .cu file, and with --build / --run builds it with nvcc and runs it (on the GPU machine).
//   npx tsx bench/kernels/<kernel>/lab.ts [--set a,b] [--configs all|default] [--out <dir>] [--build] [--run]
//       [-- <arguments for the lab binary: --filter <text>, --repeats <n>, --validate-only>]
// Invariants: the .cu is written before anything is built; a failed build or run gives a non-zero exit status.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Which variants per case: the defaults alone, or the defaults and the case's other candidates. */
export type ConfigChoice = "default" | "all";

/** The arch the labs build for: the H200's, with wgmma (a lab's defaults are trainc's defaults for this arch). */
export const LAB_ARCH = "sm_90a";

/** nvcc arguments that build the lab source `cu` into the executable `exe` (LAB_ARCH, optimized). */
export function labBuildArgs(cu: string, exe: string): string[] {
  return ["-O3", "-std=c++17", `-gencode=arch=compute_90a,code=${LAB_ARCH}`, "-lineinfo", cu, "-o", exe, "-ldl"];
}

/**
 * `text` with every `#include "<file>"` of a header in `dir` replaced by that header's text, recursively, each header
 * once (its `#pragma once` dropped), so a lab's .cu builds with nvcc alone.
 */
export function inlineIncludes(text: string, dir: string, seen: Set<string> = new Set()): string {
  return text.replace(/^#include "([\w.-]+)"\n/gm, (_, file: string) => {
    if (seen.has(file)) return "";
    seen.add(file);
    return inlineIncludes(readFileSync(join(dir, file), "utf8").replace("#pragma once\n", ""), dir, seen);
  });
}

/** One lab: its name (file names `<name>_lab.cu`), case sets, and renderer. */
export interface Lab<Case> {
  readonly name: string;
  readonly caseSets: Readonly<Record<string, () => Case[]>>;
  readonly defaultSets: readonly string[];
  readonly render: (cases: readonly Case[], choice: ConfigChoice) => string;
}

interface Options {
  sets: string[];
  configs: ConfigChoice;
  out: string;
  build: boolean;
  run: boolean;
  binaryArgs: string[];
}

function parseArgs<Case>(lab: Lab<Case>, argv: readonly string[]): Options {
  const options: Options = {
    sets: [...lab.defaultSets], configs: "all", out: `out/${lab.name}-lab`, build: false, run: false, binaryArgs: [],
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
    else throw new Error(`unknown argument ${arg} (see the header of bench/kernels/lab-cli.ts)`);
  }
  const unknown = options.sets.filter((s) => lab.caseSets[s] === undefined);
  if (unknown.length > 0) throw new Error(`unknown case set ${unknown.join(", ")}: use ${Object.keys(lab.caseSets).join(", ")}`);
  return options;
}

/** Runs a lab's command line on `argv`; returns the process exit status. */
export function runLab<Case>(lab: Lab<Case>, argv: readonly string[]): number {
  const options = parseArgs(lab, argv);
  const cases = options.sets.flatMap((s) => lab.caseSets[s]!());
  const dir = resolve(options.out);
  mkdirSync(dir, { recursive: true });
  const cu = join(dir, `${lab.name}_lab.cu`);
  const exe = join(dir, `${lab.name}_lab`);
  writeFileSync(cu, lab.render(cases, options.configs));
  console.log(`wrote ${cu} (${cases.length} cases)`);
  if (!options.build) return 0;
  const build = spawnSync("nvcc", labBuildArgs(cu, exe), { stdio: "inherit" });
  if (build.status !== 0) return build.status ?? 1;
  if (!options.run) return 0;
  return spawnSync(exe, options.binaryArgs, { stdio: "inherit" }).status ?? 1;
}
