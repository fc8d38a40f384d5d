// Running generated CUDA-dialect kernels on the CPU: the CUDA emulation (test/backends/cuda/templates/lab/emu.h: every
// thread a fiber, barriers honoured) built with g++, with host arrays written from IR tensors and the printed outputs
// read back. The CUDA and HIP kernel tests share it.
// Invariant: a program's outputs are printed as `== <label>` then one value per line (%.9g).

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cType } from "../../backends/cuda/templates/anchor.ts";
import { encodeFloat } from "../../compiler/import/float-bits.ts";
import { DTYPES, isFloat } from "../../ir/dtype.ts";
import type { Tensor } from "../../ir/tensor.ts";
import { CUDA_INCLUDE, HAVE_GXX } from "../backends/cuda/nvcc.ts";

const EMU = join(import.meta.dirname, "../backends/cuda/templates/lab/emu.h");

/** Why emulated tests cannot run here (no g++ or no CUDA headers), or undefined when they can. */
export const EMU_MISSING = !HAVE_GXX ? "g++ is missing" : CUDA_INCLUDE === undefined ? "the CUDA headers (nvcc) are missing" : undefined;

/** `show(x)`: any stored element as a double, for printing. */
export const SHOW = `#include <cstdio>
static double show(__nv_bfloat16 x) { return __bfloat162float(x); }
static double show(__half x) { return __half2float(x); }
template <typename T> static double show(T x) { return (double)x; }`;

/** Builds `file` with g++ over the CUDA emulation into `${file}.exe`; returns what g++ printed. */
export function buildEmulated(file: string): string {
  const build = spawnSync("g++", ["-std=c++20", "-O1", "-ffp-contract=off", "-w", "-x", "c++", "-include", EMU,
    `-I${CUDA_INCLUDE}`, "-o", `${file}.exe`, file], { encoding: "utf8", maxBuffer: 1 << 26 });
  return `${build.stdout}${build.stderr}`;
}

/** A C++ array holding tensor `t` as the device stores it (narrow floats by their bits). */
export function hostArray(name: string, t: Tensor): string {
  const bits = DTYPES[t.dtype].bits;
  const narrow = isFloat(t.dtype) && bits < 32;
  const values = Array.from(t.data, (x) => (narrow ? encodeFloat(x, t.dtype === "bf16" ? 8 : 5, t.dtype === "bf16" ? 7 : 10) : t.dtype === "bool" ? Number(x !== 0) : x));
  const literal = (x: number) => (Number.isInteger(x) ? `${x}` : x.toPrecision(17));
  const type = narrow ? "uint16_t" : cType(t.dtype, name);
  return `  static ${type} ${name}[] = {${values.map(literal).join(", ")}};`;
}

/** A number as printf's %g writes it (inf, -inf and nan are not JavaScript's spellings). */
export function fromPrintf(text: string): number {
  if (/^-?nan/i.test(text)) return NaN;
  if (/^-?inf/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return Number(text);
}

/** Writes `source` to `file`, builds it over the emulation and runs it: its printed outputs by label, or an error. */
export function runEmulated(file: string, source: string): { outputs: Map<string, number[]>; error: string } {
  writeFileSync(file, source);
  const built = buildEmulated(file);
  if (built !== "") return { outputs: new Map(), error: `g++: ${built.slice(0, 3000)}` };
  const run = spawnSync(`${file}.exe`, [], { encoding: "utf8", maxBuffer: 1 << 28 });
  const outputs = new Map<string, number[]>();
  let current: number[] = [];
  for (const line of run.stdout.trim().split("\n")) {
    if (line.startsWith("== ")) outputs.set(line.slice(3), (current = []));
    else if (line !== "") current.push(fromPrintf(line));
  }
  return { outputs, error: run.stderr };
}
