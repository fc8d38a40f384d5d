// The gemm lab's command line (bench/kernels/lab-cli.ts has the options): renders render-lab.ts's .cu for the chosen
// case sets, and with --build / --run builds and runs it on the GPU machine. See README.md beside it.
//   npx tsx bench/kernels/gemm/lab.ts [--set check,tiny,llama] [--configs all|default] [--out <dir>] [--build] [--run] [-- <binary args>]

import { runLab } from "../lab-cli.ts";
import { CASE_SETS } from "./cases.ts";
import { renderLab } from "./render-lab.ts";

process.exitCode = runLab({ name: "gemm", caseSets: CASE_SETS, defaultSets: ["check", "tiny", "llama"], render: renderLab }, process.argv.slice(2));
