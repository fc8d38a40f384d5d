// renderGemm: one GEMM spec plus a config -> a KernelSource (backends/kernel.ts) for the CUDA host emitter. The code
// is a fixed C++ body per mainloop (mma.ts, simt.ts) around baked constants, the shared epilogue (common.ts) and the
// device-instruction layer (ptx.ts), all inside `namespace <name>_detail`.
// Parameters, in launch order: a, b, c_in (only when accumulating), c, flags (only with split-K: i32, gemmFlagCount
// entries, zero before the first launch; every launch leaves them zero). Grid: (tiles, splitK, batch).
// Invariants: `name` is `gemm_` + the first 16 hex digits of the sha256 of the code written with a placeholder name,
// so equal code gets an equal name; an invalid spec or config throws the TraincError of its first problem. The
// kernel assumes every buffer starts 16-byte aligned (16-byte cp.async and float4 accesses).

import { TraincError } from "../../../compiler/diagnostics.ts";
import { hashText } from "../../../ir/hash.ts";
import type { KernelParam, KernelSource } from "../../kernel.ts";
import { commonConstants, epilogue, gemmCType, RASTER, RUN } from "./common.ts";
import { describeConfig, gemmConfigProblems, gemmGeometry, type GemmConfig, type GemmGeometry } from "./config.ts";
import { MMA_MAINLOOP, mmaConstants } from "./mma.ts";
import { ptxLayer } from "./ptx.ts";
import { SIMT_LOADER, SIMT_MAINLOOP, simtConstants, simtOperands } from "./simt.ts";
import { describeGemm, gemmBytes, gemmFlops, validateGemmSpec, type GemmDtype, type GemmSpec } from "./spec.ts";

const PLACEHOLDER = "GEMM_KERNEL_NAME";

/** The kernel for `spec` with `config` (see defaultGemmConfig for a good one). */
export function renderGemm(spec: GemmSpec, config: GemmConfig): KernelSource {
  return renderGemmWithLayer(spec, config, ptxLayer(spec));
}

/**
 * renderGemm with another device-instruction layer (same functions as ptxLayer's, which may use in_t and out_t),
 * e.g. the tests' host emulation.
 */
export function renderGemmWithLayer(spec: GemmSpec, config: GemmConfig, layer: string): KernelSource {
  validateGemmSpec(spec);
  const problem = gemmConfigProblems(spec, config)[0];
  if (problem !== undefined) throw new TraincError(problem.code, problem.message, problem.fix);
  const g = gemmGeometry(spec, config);
  const params = gemmParams(spec, config);
  const code = assemble(spec, config, g, layer, params);
  const name = `gemm_${hashText(code).slice(0, 16)}`;
  return {
    name, code: code.replaceAll(PLACEHOLDER, name), params,
    grid: [g.tilesM * g.tilesN, config.splitK, spec.batch], block: [g.threads, 1, 1], sharedBytes: g.sharedBytes,
    flops: gemmFlops(spec), bytes: gemmBytes(spec),
  };
}

/** Entries of the i32 flags buffer a split-K kernel needs (one per output tile), 0 without split-K. */
export function gemmFlagCount(spec: GemmSpec, config: GemmConfig): number {
  if (config.splitK === 1) return 0;
  const g = gemmGeometry(spec, config);
  return spec.batch * g.tilesM * g.tilesN;
}

function gemmParams(spec: GemmSpec, config: GemmConfig): KernelParam[] {
  const params: KernelParam[] = [
    { name: "a", dtype: spec.inputDtype, access: "read" },
    { name: "b", dtype: spec.inputDtype, access: "read" },
  ];
  if (spec.accumulate) params.push({ name: "c_in", dtype: spec.outputDtype, access: "read" });
  params.push({ name: "c", dtype: spec.outputDtype, access: config.splitK > 1 ? "readwrite" : "write" });
  if (config.splitK > 1) params.push({ name: "flags", dtype: "i32", access: "readwrite" });
  return params;
}

function mainloopText(spec: GemmSpec, config: GemmConfig): { constants: string; body: string; width: 2 | 4 } {
  if (config.mainloop === "mma") {
    return { constants: mmaConstants(spec, config), body: MMA_MAINLOOP, width: 2 };
  }
  const constants = `${simtConstants(config)}\n${SIMT_LOADER}\n${simtOperands(spec, config)}`;
  return { constants, body: SIMT_MAINLOOP, width: 4 };
}

function signature(spec: GemmSpec, params: readonly KernelParam[]): string {
  const type = (p: KernelParam): string => (p.dtype === "i32" ? "int" : gemmCType(p.dtype as GemmDtype));
  const decl = (p: KernelParam): string => {
    if (p.name === "a" || p.name === "b") return `const ${type(p)}* __restrict__ ${p.name}`;
    return p.access === "read" ? `const ${type(p)}* ${p.name}` : `${type(p)}* ${p.name}`;
  };
  const names = new Set(params.map((p) => p.name));
  const args = ["a", "b", spec.accumulate ? "c_in" : "nullptr", "c", names.has("flags") ? "flags" : "nullptr"];
  return `extern "C" __global__ void __launch_bounds__(${PLACEHOLDER}_detail::THREADS, 1)
${PLACEHOLDER}(${params.map(decl).join(", ")}) {
  ${PLACEHOLDER}_detail::run(${args.join(", ")});
}
`;
}

function assemble(spec: GemmSpec, config: GemmConfig, g: GemmGeometry, layer: string, params: readonly KernelParam[]): string {
  const main = mainloopText(spec, config);
  const flags = config.splitK > 1 ? `; flags: ${gemmFlagCount(spec, config)} ints, zero before the first launch` : "";
  return `// trainc GEMM ${PLACEHOLDER}: ${describeGemm(spec)}; config ${describeConfig(config)}
// grid (${g.tilesM * g.tilesN}, ${config.splitK}, ${spec.batch}), block ${g.threads}, dynamic shared memory ${g.sharedBytes} bytes${flags}
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace ${PLACEHOLDER}_detail {

${commonConstants(spec, config, g)}
${layer}
${main.constants}
${RASTER}
${epilogue(spec, main.width)}
${main.body}
${RUN}
}  // namespace ${PLACEHOLDER}_detail

${signature(spec, params)}`;
}
