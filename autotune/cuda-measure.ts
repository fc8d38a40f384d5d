// Measuring candidates on an NVIDIA GPU: a round of candidates (any number of kernels, a few configs each) becomes
// tuning binaries, each a .cu with the candidates' kernels, a launch wrapper per generated config, and the table the
// harness walks: GEMMs through backends/cuda/runtime/gemm-bench.h (sampled float64 reference, cuBLASLt algorithms as
// candidates of the same table), every other kernel through kernel-bench.h (random inputs by dtype and role, the
// heuristic's outputs as the reference, so each kernel's configs go with its heuristic first); both flush the L2 and
// take the median of CUDA event times. The round is cut into binaries (per harness, as many as the machine has cores;
// a kernel with many candidates in several pieces) built at once (nvcc compiles one kernel after another, so a round
// builds in parallel), then run one after another with --json; each line of their output is one candidate's time or
// the reason it failed. The roofline comes from the harness's own measurements (--ceilings: a write of twice the L2
// for bandwidth, the fastest of cuBLASLt's first algorithms on a large bf16 GEMM for arithmetic). The toolchain a
// tuning is keyed by names the cuBLASLt that loads here (--library), as its algorithms are candidates.
// Invariants: a candidate missing from a binary's output is an error, never a time: when a binary dies, the candidate
// it was measuring is recorded as what killed it and the ones after it are left unmeasured (not recorded), so a later
// sweep, which does not measure recorded candidates again, gets past it and measures them; binaries are built through
// buildProgramAsync, so an unchanged round reuses its builds.
//
// Error codes defined here:
//   5805  no NVIDIA GPU (nvidia-smi finds none) to measure on
//   5806  a tuning binary printed no ceilings, or no cuBLASLt line (its output is quoted)

import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { fail } from "../compiler/diagnostics.ts";
import { buildProgramAsync, cudaDeviceKey, toolchainKey } from "../backends/cuda/build.ts";
import type { KernelParam, KernelSource, LibraryGemm } from "../backends/kernel.ts";
import { CUDA } from "../backends/cuda/language.ts";
import { CUDA_PRELUDE } from "../backends/cuda/prelude.ts";
import { DEVICE_ERROR_SOURCE } from "../backends/cuda/templates/device-error.ts";
import { elementBytes, numel } from "../backends/cuda/templates/anchor.ts";
import type { DType } from "../ir/dtype.ts";
import { sameConfig, type Ceilings, type Config } from "../backends/tunable.ts";
import { describeGemm } from "../backends/cuda/gemm/spec.ts";
import { libraryAlgo } from "../backends/cuda/gemm/space.ts";
import type { Tunable } from "./sweep.ts";
import type { Outcome } from "./search.ts";

/** One candidate of a round: a kernel and a config of its space. */
interface RoundItem {
  readonly tunable: Tunable;
  readonly config: Config;
}

const cType = (dtype: string): string => (dtype === "bf16" ? "__nv_bfloat16" : dtype === "f16" ? "__half" : dtype === "i32" ? "int" : "float");
/** The harness's element type of a GEMM dtype. */
export const benchType = (dtype: string): string => `gemm_bench::Type::${dtype.toUpperCase()}`;
const cString = (text: string): string => JSON.stringify(text);

/**
 * The setup and launch functions of one generated GEMM in a gemm-bench binary: `variable` names the harness pointer
 * (a, b, c_in, c or flags) each kernel parameter takes; `extra` arguments follow the parameters.
 */
export function benchWrapper(id: string, source: KernelSource, variable: (p: KernelParam) => string, extra: readonly string[] = []): string {
  const args = source.params.map((p) => {
    const v = variable(p);
    return v === "flags" ? v : `static_cast<${p.access === "read" ? "const " : ""}${cType(p.dtype)}*>(${v})`;
  });
  return `static void setup_${id}() {
  BENCH_CHECK(cudaFuncSetAttribute(${source.name}, cudaFuncAttributeMaxDynamicSharedMemorySize, ${source.sharedBytes}));
}
static void launch_${id}(const void* a, const void* b, const void* c_in, void* c, int* flags, cudaStream_t stream) {
  (void)c_in;
  (void)flags;
  ${source.name}<<<dim3(${source.grid.join(", ")}), dim3(${source.block.join(", ")}), ${source.sharedBytes}, stream>>>(${[...args, ...extra].join(", ")});
}
`;
}

/** The wrapper of a schedule kernel's GEMM source: its parameters are buffers named by its LibraryGemm. */
function wrapper(id: string, source: KernelSource): string {
  const g = source.libraryGemm!;
  const variable = (p: KernelParam): string => {
    if (p.name === g.a || p.name === g.b || p.name === g.c) return p.name === g.a ? "a" : p.name === g.b ? "b" : "c";
    throw new Error(`${source.name}: parameter ${p.name} is not the GEMM's A, B or C`);
  };
  return benchWrapper(id, source, variable, (source.workspaceBytes ?? 0) > 0 ? ["flags"] : []);
}

/** The GEMM of a tunable kernel (its heuristic source's library description). */
function gemmOf(t: Tunable): LibraryGemm {
  return t.space.render(t.space.heuristic)[0]!.libraryGemm!;
}

/** The .cu of one binary: `shapes` each with its configs. */
export function renderTuning(shapes: readonly { tunable: Tunable; configs: readonly Config[] }[]): string {
  const kernels = new Map<string, string>();
  const parts: string[] = [];
  const rows = shapes.map(({ tunable, configs }, i) => {
    const candidates = configs.map((config, j) => {
      const source = tunable.space.render(config)[0]!;
      const label = cString(tunable.space.describe(config));
      const algo = source.libraryGemm?.tuned;
      if (algo !== undefined && algo >= 0) return `  {${label}, nullptr, nullptr, 0, ${algo}},`;
      kernels.set(source.name, source.code);
      parts.push(wrapper(`${i}_${j}`, source));
      return `  {${label}, setup_${i}_${j}, launch_${i}_${j}, ${(source.workspaceBytes ?? 0) / 4}, -1},`;
    });
    parts.push(`static const gemm_bench::Candidate candidates_${i}[] = {\n${candidates.join("\n")}\n};\n`);
    const g = gemmOf(tunable);
    const dims = [g.m, g.n, g.k, g.batch, g.transposeA, g.transposeB, g.broadcastA, g.broadcastB, false].join(", ");
    return `  {"k${i}", ${cString(describeGemm({ ...g, accumulate: false }))}, {${dims}}, ${benchType(g.inputDtype)}, ` +
      `${benchType(g.outputDtype)}, ${2 * g.batch * g.m * g.n * g.k}.0, candidates_${i}, ${configs.length}},`;
  });
  return tuningProgram({ what: "GEMMs", items: shapes, includes: '#include "gemm-bench.h"', codes: kernels.values(), parts,
    table: "shapes", type: "gemm_bench::Shape", rows, main: "gemm_bench::main" });
}

/**
 * A tuning binary's .cu: a summary line, `includes`, the kernels' `codes`, then in namespace tuning the harness's
 * `parts` and the table of `rows` (a null pointer without rows), and main walking that table.
 */
function tuningProgram(p: {
  what: string; items: readonly { configs: readonly Config[] }[]; includes: string; codes: Iterable<string>; parts: readonly string[];
  table: string; type: string; rows: readonly string[]; main: string;
}): string {
  const table = p.rows.length > 0 ? `static const ${p.type} ${p.table}[] = {\n${p.rows.join("\n")}\n};`
    : `static const ${p.type}* const ${p.table} = nullptr;`;
  return `// trainc tuning binary: ${p.items.length} ${p.what}, ${p.items.reduce((n, s) => n + s.configs.length, 0)} candidates.
${p.includes}

${[...p.codes].join("\n")}
namespace tuning {

${p.parts.join("\n")}
${table}

}  // namespace tuning

int main(int argc, char** argv) { return ${p.main}(argc, argv, tuning::${p.table}, ${p.rows.length}); }
`;
}

/** The harness's element type of a buffer dtype (packed 4-bit types as their bytes). */
function kernelBenchType(dtype: DType): string {
  const names: Partial<Record<DType, string>> = {
    f64: "F64", f32: "F32", f16: "F16", bf16: "BF16", f8e4m3: "F8E4M3", f8e5m2: "F8E5M2", i64: "I64", i32: "I32", i8: "I8", bool: "BOOL",
  };
  return `kernel_bench::Type::${names[dtype] ?? "U8"}`;
}

/** One buffer of a kernel-bench kernel: a name its candidates' parameters use, its dtype, elements and role. */
interface BenchBuffer {
  readonly name: string;
  readonly dtype: DType;
  readonly count: number;
  readonly role: "Input" | "Output" | "Scratch" | "Ranges";
  readonly tokens: number;
}

/**
 * The buffers every candidate of `t` may use, in the heuristic's parameter order: graph values and the space's side
 * buffers (packed 4-bit types counted in bytes); written ones not scratch are outputs.
 */
function benchBuffers(t: Tunable, sources: readonly KernelSource[]): BenchBuffer[] {
  const g = t.kernel.graph;
  const params = new Map<string, KernelParam>();
  for (const p of sources.flatMap((source) => source.params)) {
    if (!params.has(p.name) || p.access !== "read") params.set(p.name, p);
  }
  return [...params.values()].map((p) => {
    const side = t.space.sideBuffers?.find((b) => b.name === p.name);
    const value = [...g.inputs, ...g.outputs].find((v) => v.name === p.name);
    if (!side && !value) throw new Error(`${t.kernel.name}: parameter ${p.name} is neither a graph value nor a side buffer of its space`);
    const elements = side?.count ?? numel(g.types[value!.id]!.shape as number[]);
    const count = kernelBenchType(p.dtype).endsWith("U8") ? Math.ceil(elements * elementBytes(p.dtype)) : elements;
    const ranges = t.space.documentRanges?.name === p.name;
    const role = side?.scratch ? "Scratch" : ranges ? "Ranges" : p.access === "read" ? "Input" : "Output";
    return { name: p.name, dtype: p.dtype, count, role, tokens: ranges ? t.space.documentRanges!.tokens : 0 };
  });
}

/** The setup and launch functions of one candidate in a kernel-bench binary: its sources launched in order. */
function kernelWrapper(id: string, sources: readonly KernelSource[], buffers: readonly BenchBuffer[]): string {
  const launch = (source: KernelSource) => {
    const args = source.params.map((p) => {
      const k = buffers.findIndex((b) => b.name === p.name);
      return `static_cast<${p.access === "read" ? "const " : ""}${CUDA.storageType(p.dtype)}*>(b[${k}])`;
    });
    if ((source.workspaceBytes ?? 0) > 0) args.push("trainc_ptr{workspace}");
    return `  ${source.name}<<<dim3(${source.grid.join(", ")}), dim3(${source.block.join(", ")}), ${source.sharedBytes}, stream>>>(${args.join(", ")});`;
  };
  const attribute = (source: KernelSource) =>
    `  BENCH_CHECK(cudaFuncSetAttribute(${source.name}, cudaFuncAttributeMaxDynamicSharedMemorySize, ${source.sharedBytes}));`;
  return `static void setup_${id}() {
${sources.map(attribute).join("\n")}
}
static void launch_${id}(void* const* b, void* workspace, cudaStream_t stream) {
  (void)workspace;
${sources.map(launch).join("\n")}
}
`;
}

/** The .cu of one kernel-bench binary: `kernels` each with its configs, the heuristic first. */
export function renderKernelTuning(kernels: readonly { tunable: Tunable; configs: readonly Config[] }[]): string {
  const codes = new Map<string, string>();
  const parts: string[] = [];
  const rows = kernels.map(({ tunable, configs }, i) => {
    const rendered = configs.map((config) => tunable.space.render(config));
    const buffers = benchBuffers(tunable, rendered.flat());
    const table = buffers.map((b) => `  {${kernelBenchType(b.dtype)}, ${b.count}, kernel_bench::Role::${b.role}, ${b.tokens}},  // ${b.name}`);
    parts.push(`static const kernel_bench::Buffer buffers_${i}[] = {\n${table.join("\n")}\n};\n`);
    const candidates = rendered.map((sources, j) => {
      for (const source of sources) codes.set(source.name, source.code);
      parts.push(kernelWrapper(`${i}_${j}`, sources, buffers));
      const workspace = Math.max(0, ...sources.map((source) => source.workspaceBytes ?? 0));
      return `  {${cString(tunable.space.describe(configs[j]!))}, setup_${i}_${j}, launch_${i}_${j}, ${workspace}},`;
    });
    parts.push(`static const kernel_bench::Candidate candidates_${i}[] = {\n${candidates.join("\n")}\n};\n`);
    return `  {${cString(tunable.space.problem)}, buffers_${i}, ${buffers.length}, candidates_${i}, ${configs.length}},`;
  });
  return tuningProgram({ what: "kernels", items: kernels, includes: `${CUDA_PRELUDE}\n${DEVICE_ERROR_SOURCE}\n#include "kernel-bench.h"`,
    codes: codes.values(), parts, table: "kernels", type: "kernel_bench::Kernel", rows, main: "kernel_bench::main" });
}

/** How a tuning binary ended: its stdout, and its exit status (0: all validated, 1: some failed, else it died). */
function runBinary(binary: string, args: readonly string[]): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((done, reject) => {
    let out = "";
    let err = "";
    const child = spawn(binary, args);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => done({ out, err, code }));
  });
}

/** The JSON line of the empty tuning binary's run with `flag` that holds `field` (E5806 when it printed none). */
async function harnessLine(arch: string, flag: string, field: string): Promise<Record<string, unknown>> {
  const built = await buildProgramAsync(renderTuning([]), arch, "tune");
  const run = await runBinary(built.binary, [flag]);
  const line = run.out.split("\n").find((l) => l.includes(`"${field}"`));
  return JSON.parse(line ?? fail(5806, `the tuning binary ${built.binary} printed nothing for ${flag} (exit status ${run.code}): ` +
    `${(run.err || run.out).slice(-1500)}`, "report it with that output")) as Record<string, unknown>;
}

/**
 * The toolchain CUDA tunings of `arch` are keyed by: the compiler's (toolchainKey) and the cuBLASLt that loads here
 * ($TRAINC_CUBLASLT or the loader's), since its algorithms are candidates numbered in its heuristic's order, which
 * another version may change.
 */
export async function cudaTuningToolchain(arch: string): Promise<string> {
  const version = (await harnessLine(arch, "--library", "cublaslt_version"))["cublaslt_version"];
  return `${toolchainKey(arch)}, ${typeof version === "string" ? `cuBLASLt ${version}` : "no cuBLASLt"}`;
}

export class CudaMeasurer {
  readonly #arch: string;
  /** Binaries built at once per round. */
  readonly #chunks: number;

  private constructor(readonly device: string, readonly toolchain: string, arch: string) {
    this.#arch = arch;
    this.#chunks = Math.max(1, availableParallelism());
  }

  /** A measurer on this machine's NVIDIA GPU (E5805 without one) for `arch`. */
  static async open(arch: string): Promise<CudaMeasurer> {
    const device = cudaDeviceKey() ?? fail(5805, "nvidia-smi finds no NVIDIA GPU to measure on",
      "run trainc autotune --target cuda on the machine with the GPU (nvcc and nvidia-smi on PATH)");
    return new CudaMeasurer(device, await cudaTuningToolchain(arch), arch);
  }

  /** The roofline, from the harness's --ceilings run. */
  async ceilings(): Promise<Ceilings> {
    const parsed = await harnessLine(this.#arch, "--ceilings", "flops_per_second");
    return { flopsPerSecond: Number(parsed["flops_per_second"]), bytesPerSecond: Number(parsed["bytes_per_second"]) };
  }

  /** Measures every item of a round; outcomes in item order. `note` hears how long building and running took. */
  async measureRound(items: readonly RoundItem[], note: (m: string) => void): Promise<Outcome[]> {
    const byKernel = new Map<Tunable, Config[]>();
    for (const item of items) byKernel.set(item.tunable, [...(byKernel.get(item.tunable) ?? []), item.config]);
    const shapes = [...byKernel].map(([tunable, configs]) => ({ tunable, configs }));
    const gemm = (s: { tunable: Tunable }) => s.tunable.kernel.kind === "matmul";
    const chunks = [...chunked(shapes.filter(gemm), this.#chunks), ...chunked(referenced(shapes.filter((s) => !gemm(s)), this.#chunks), this.#chunks)];
    const start = performance.now();
    const built = await Promise.all(chunks.map((c) =>
      buildProgramAsync(gemm(c[0]!) ? renderTuning(c) : renderKernelTuning(c), this.#arch, "tune")));
    const builtSeconds = (performance.now() - start) / 1000;
    const outcomes = new Map<string, Outcome>();
    const key = (t: Tunable, c: Config) => `${t.space.kernelHash} ${JSON.stringify(c)}`;
    for (const [i, chunk] of chunks.entries()) {
      const run = await runBinary(built[i]!.binary, ["--json", "--repeats", "10"]);
      for (const line of run.out.split("\n").filter((l) => l.startsWith("{\"shape\""))) {
        const r = JSON.parse(line) as { shape: number; candidate: number; ms?: number; error?: string };
        const shape = chunk[r.shape]!;
        outcomes.set(key(shape.tunable, shape.configs[r.candidate]!), r.ms !== undefined ? { ms: r.ms } : { error: r.error ?? "failed" });
      }
      const died = run.code !== 0 && run.code !== 1;
      const first = died ? chunk.flatMap((s) => s.configs.map((c) => key(s.tunable, c))).find((k) => !outcomes.has(k)) : undefined;
      if (first) outcomes.set(first, { error: `the tuning binary died on it (exit status ${run.code}): ${(run.err || "no message").trim().slice(-300)}` });
    }
    note(`round of ${items.length} candidates of ${shapes.length} kernels: built ${chunks.length} binaries in ` +
      `${builtSeconds.toFixed(1)} s, ran them in ${((performance.now() - start) / 1000 - builtSeconds).toFixed(1)} s`);
    return items.map((item) => outcomes.get(key(item.tunable, item.config)) ?? { error: "not measured: the tuning binary died before it", unmeasured: true });
  }
}

/**
 * Kernel-bench kernels with the heuristic first (the reference), those with more configs than an n-th of the round cut
 * into pieces, each with the heuristic first again, so one kernel's candidates build in several binaries at once.
 */
function referenced(shapes: readonly { tunable: Tunable; configs: readonly Config[] }[], n: number): { tunable: Tunable; configs: Config[] }[] {
  const size = Math.max(4, Math.ceil(shapes.reduce((sum, s) => sum + s.configs.length, 0) / n));
  return shapes.flatMap(({ tunable, configs }) => {
    const heuristic = tunable.space.heuristic;
    const rest = configs.filter((c) => !sameConfig(c, heuristic));
    const pieces = Array.from({ length: Math.max(1, Math.ceil(rest.length / size)) }, (_, i) => rest.slice(i * size, (i + 1) * size));
    return pieces.map((piece) => ({ tunable, configs: [heuristic, ...piece] }));
  });
}

/** `shapes` in at most `n` chunks of about equal numbers of generated kernels (whole shapes per chunk). */
function chunked<T extends { configs: readonly Config[] }>(shapes: readonly T[], n: number): T[][] {
  const chunks: { items: T[]; load: number }[] = Array.from({ length: Math.min(n, shapes.length) }, () => ({ items: [], load: 0 }));
  const load = (s: T) => s.configs.filter((c) => libraryAlgo(c) === undefined).length;
  for (const s of [...shapes].sort((a, b) => load(b) - load(a))) {
    const lightest = chunks.reduce((a, c) => (c.load < a.load ? c : a));
    lightest.items.push(s);
    lightest.load += load(s);
  }
  return chunks.map((c) => c.items).filter((c) => c.length > 0);
}
