// The attention lab's command line (bench/kernels/lab-cli.ts has the options): renders render-lab.ts's .cu for the chosen
// case sets, and with --build / --run builds and runs it on the GPU machine. See README.md beside it.
//   npx tsx bench/kernels/attention/lab.ts [--set check,h200] [--configs all|default] [--out <dir>] [--build] [--run] [-- <binary args>]

import { runLab } from "../lab-cli.ts";
import { CASE_SETS } from "./cases.ts";
import { renderLab } from "./render-lab.ts";

process.exitCode = runLab({ name: "attention", caseSets: CASE_SETS, defaultSets: ["check", "h200"], render: renderLab }, process.argv.slice(2));
