// The anchor-template lab: writes a self-contained folder that checks every rendered template kernel against the
// interpreter. `npx tsx test/backends/cuda/templates/lab.ts <dir>` writes, for the cases of lab-cases.ts (kernels cut
// from the tiny-llama train step plus hand-built ones for the ops and paths it lacks):
//   lab.cu      the CUDA prelude, each kernel once, trainc_check_device_error, a launcher and a buffer table per case;
//   lab.h       the host harness (upload, launch, compare, report), emu.h the CPU emulation, error.h the runtime's;
//   data/<case>/<param>.bin inputs and .want expected outputs, in device layout, computed by `interpret`;
//   run.sh      builds with nvcc for sm_90 and runs (`sh run.sh --time` also times each kernel; `sh run.sh --bench`
//               times the full-size bench cases of lab-bench.ts instead): the GPU commands;
//   run-emulated.sh builds with g++ and emu.h and runs on the CPU (bench cases need a GPU).
// A case may expect a device error instead of outputs; the interpreter must then fail with the same code. A bench
// case has no data files: its inputs are filled on the device.
// Invariants: the folder needs nothing of the repository; every kernel parameter is one buffer of its case (or
// aliases an input when the case updates in place, as the memory plan does for AdamW).

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeFloat } from "../../../../compiler/import/float-bits.ts";
import { TraincError } from "../../../../compiler/diagnostics.ts";
import { ANCHOR_TEMPLATES, hasTemplate } from "../../../../backends/cuda/templates/index.ts";
import { DEVICE_ERROR_SOURCE, errorSite, hostErrorCheckSource } from "../../../../backends/cuda/templates/device-error.ts";
import { CUDA_PRELUDE } from "../../../../backends/cuda/prelude.ts";
import { cType, tensorBytes } from "../../../../backends/cuda/templates/anchor.ts";
import type { KernelSource } from "../../../../backends/kernel.ts";
import type { Kernel } from "../../../../backends/schedule/partition.ts";
import type { DType } from "../../../../ir/dtype.ts";
import { interpret } from "../../../../ir/interpret/index.ts";
import { numel, type Tensor } from "../../../../ir/tensor.ts";

/** Device-side fill of an input: every byte set to `byte`, or element i = start + (i * stride) % mod. */
export type Fill = { readonly byte: number } | { readonly start: number; readonly stride: number; readonly mod: number };

/** One lab case: a kernel, its inputs by graph input name, and what it must do. */
export interface LabCase {
  readonly name: string;
  readonly kernel: Kernel;
  readonly inputs: Readonly<Record<string, Tensor>>;
  /** A timing-only case (`--bench`, GPU only): inputs filled on the device, one fill per graph input, no comparison. */
  readonly fills?: readonly Fill[];
  /** Output k shares the buffer of input j (an in-place update). */
  readonly inPlace?: Readonly<Record<number, number>>;
  /** The device error the kernel must record instead of producing outputs. */
  readonly error?: { readonly code: number; readonly position: number; readonly value: number; readonly bound: number };
}

const HERE = import.meta.dirname;
const RUNTIME_ERROR_H = join(HERE, "../../../../backends/cuda/runtime/error.h");

/** Device bytes of a tensor (little-endian, as the device stores it). */
export function deviceBytes(t: Tensor): Uint8Array {
  const n = numel(t.shape);
  const d = t.data;
  switch (t.dtype) {
    case "f64": return new Uint8Array(Float64Array.from(d).buffer);
    case "f32": return new Uint8Array(Float32Array.from(d).buffer);
    case "bf16": return new Uint8Array(Uint16Array.from(d, (v) => encodeFloat(v, 8, 7)).buffer);
    case "f16": return new Uint8Array(Uint16Array.from(d, (v) => encodeFloat(v, 5, 10)).buffer);
    case "i64": return new Uint8Array(BigInt64Array.from(d, (v) => BigInt(v)).buffer);
    case "i32": return new Uint8Array(Int32Array.from(d).buffer);
    case "i8": return new Uint8Array(Int8Array.from(d).buffer);
    case "u8": case "bool": case "nf4": case "int4": return Uint8Array.from(d);
    default: throw new Error(`the lab has no device layout for ${t.dtype} (${n} elements)`);
  }
}

const LAB_DTYPE: Partial<Record<DType, string>> = {
  f64: "f64", f32: "f32", f16: "f16", bf16: "bf16", i64: "i64", i32: "i32", i8: "i8", u8: "u8", bool: "u8",
  nf4: "packed4", int4: "packed4",
};

/** Allowed relative error of an output of `dtype` (0: exact). */
function tolerance(dtype: DType): number {
  return ({ f64: 1e-12, f32: 1e-5, bf16: 1e-2, f16: 1e-3 } as Partial<Record<DType, number>>)[dtype] ?? 0;
}

/** Checks that the interpreter fails the way the case says the device will. */
function expectInterpreterError(c: LabCase): void {
  try {
    interpret(c.kernel.graph, c.inputs);
  } catch (e) {
    if (e instanceof TraincError && e.code === c.error!.code) return;
    throw e;
  }
  throw new Error(`lab case ${c.name}: the interpreter accepts the inputs, but the case expects error ${c.error!.code}`);
}

function launcher(index: number, src: KernelSource): string {
  const args = src.params.map((p, k) => `static_cast<${p.access === "read" ? "const " : ""}${cType(p.dtype, src.name)}*>(b[${k}])`);
  return `static void launch_${index}(void* const* b) {
  TRAINC_LAUNCH(${src.name}, dim3(${src.grid.join(", ")}), dim3(${src.block.join(", ")}),
                ${args.join(",\n                ")});
}`;
}

function bufferTable(index: number, c: LabCase, src: KernelSource): string {
  const graph = c.kernel.graph;
  const types = [...graph.inputs, ...graph.outputs].map((v) => graph.types[v.id]!);
  const inputs = graph.inputs.length;
  const rows = src.params.map((p, k) => {
    const t = types[k]!;
    const count = numel(t.shape as number[]);
    const bytes = tensorBytes({ dtype: p.dtype, shape: t.shape as number[] });
    const output = p.access !== "read";
    const alias = output ? c.inPlace?.[k - inputs] ?? -1 : -1;
    const fill = output ? undefined : c.fills?.[k];
    const fillText = fill === undefined ? "-1, 0, 0, 0" : "byte" in fill ? `${fill.byte}, 0, 0, 0`
      : `-1, ${fill.start}, ${fill.stride}, ${fill.mod}`;
    return `    {"${output ? `out${k - inputs}` : `in${k}`}", lab::Dtype::${LAB_DTYPE[p.dtype]}, ${count}, ${bytes}, ` +
      `${output}, ${alias}, ${tolerance(p.dtype)}, ${fillText}},`;
  });
  return `static const lab::Buffer BUFFERS_${index}[] = {\n${rows.join("\n")}\n};`;
}

function caseRow(index: number, c: LabCase, src: KernelSource): string {
  const e = c.error;
  return `    {${JSON.stringify(c.name)}, "${src.name}", ${errorSite(src.name)}LL, launch_${index}, BUFFERS_${index}, ` +
    `${src.params.length}, ${e?.code ?? 0}, {${e?.position ?? 0}, ${e?.value ?? 0}, ${e?.bound ?? 0}}, ${src.bytes}, ` +
    `${c.fills !== undefined}},`;
}

/** Writes the data files of case `index`: inputs, and the interpreter's outputs unless an error is expected. */
function writeData(dir: string, index: number, c: LabCase): void {
  if (c.fills) return;
  const caseDir = join(dir, "data", String(index));
  mkdirSync(caseDir, { recursive: true });
  const graph = c.kernel.graph;
  graph.inputs.forEach((input, k) => writeFileSync(join(caseDir, `${k}.bin`), deviceBytes(c.inputs[input.name]!)));
  if (c.error) {
    expectInterpreterError(c);
    return;
  }
  const want = interpret(graph, c.inputs);
  graph.outputs.forEach((o, k) => {
    writeFileSync(join(caseDir, `${graph.inputs.length + k}.want`), deviceBytes(want[o.name]!));
  });
}

function labSource(cases: readonly LabCase[], sources: readonly KernelSource[]): string {
  const kernels = new Map(sources.map((s) => [s.name, s]));
  const sites = [...kernels.keys()].map((name) => `    case ${errorSite(name)}LL: return "${name}";`);
  return `// The anchor-template lab, written by test/backends/cuda/templates/lab.ts: ${cases.length} cases.
${CUDA_PRELUDE}
${DEVICE_ERROR_SOURCE}

${[...kernels.values()].map((s) => s.code).join("\n")}
#include <string>
#include "error.h"

${hostErrorCheckSource()}

#include "lab.h"

${sources.map((s, i) => `${launcher(i, s)}\n${bufferTable(i, cases[i]!, s)}`).join("\n\n")}

static const lab::Case CASES[] = {
${cases.map((c, i) => caseRow(i, c, sources[i]!)).join("\n")}
};

static std::string kernel_of_site(long long site) {
  switch (site) {
${sites.join("\n")}
  }
  return "with unknown site " + std::to_string(site);
}

int main(int argc, char** argv) {
  return lab::lab_main(argc, argv, CASES, ${cases.length}, kernel_of_site);
}
`;
}

const RUN = `#!/bin/sh
# Builds the anchor-template lab for sm_90 (H100/H200) and runs it: sh run.sh [--time] [--bench] [--only <text>]
set -e
cd "$(dirname "$0")"
nvcc -arch=sm_90 -O2 -std=c++17 -o lab lab.cu
./lab data "$@"
`;

const RUN_EMULATED = [
  "#!/bin/sh",
  "# Builds the anchor-template lab over the CPU emulation (emu.h) and runs it: sh run-emulated.sh [--only <text>]",
  "set -e",
  'cd "$(dirname "$0")"',
  "CUDA_INCLUDE=${CUDA_INCLUDE:-$(nvcc -dryrun -c -x cu /dev/null 2>&1 | sed -n 's/.*INCLUDES=\"-I\\([^\" ]*\\).*/\\1/p' | head -1)}",
  'g++ -std=c++20 -O1 -ffp-contract=off -w -x c++ -include emu.h -I"$CUDA_INCLUDE" -o lab-emulated lab.cu',
  './lab-emulated data "$@"',
  "",
].join("\n");

/** Writes the lab folder for `cases` into `dir`. */
export function writeLab(dir: string, cases: readonly LabCase[]): void {
  mkdirSync(dir, { recursive: true });
  const sources = cases.map((c) => {
    if (!hasTemplate(c.kernel.kind)) throw new Error(`lab case ${c.name}: no template for ${c.kernel.kind}`);
    return ANCHOR_TEMPLATES[c.kernel.kind](c.kernel);
  });
  cases.forEach((c, i) => writeData(dir, i, c));
  writeFileSync(join(dir, "lab.cu"), labSource(cases, sources));
  for (const file of ["lab.h", "emu.h"]) copyFileSync(join(HERE, "lab", file), join(dir, file));
  copyFileSync(RUNTIME_ERROR_H, join(dir, "error.h"));
  writeFileSync(join(dir, "run.sh"), RUN, { mode: 0o755 });
  writeFileSync(join(dir, "run-emulated.sh"), RUN_EMULATED, { mode: 0o755 });
}

if (process.argv[1] === import.meta.filename) {
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: npx tsx test/backends/cuda/templates/lab.ts <output-dir>");
    process.exit(2);
  }
  const { labCases } = await import("./lab-cases.ts");
  const { benchCases } = await import("./lab-bench.ts");
  const cases = [...labCases(), ...benchCases()];
  writeLab(dir, cases);
  console.log(`wrote ${cases.length} cases to ${dir}; on the GPU machine: sh ${join(dir, "run.sh")} --time, ` +
    `then sh ${join(dir, "run.sh")} --bench`);
}
