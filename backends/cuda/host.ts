// The host program of a CUDA training program: writes main.cu — the prelude, every kernel once, the arena tables of
// the memory plan, the launch table (every launch of every graph: graph, schedule kernel, source, kind, FLOPs, GEMM
// site), one function per GEMM site launching its generated kernel and the site table (shape, buffers, that
// function) from which the runtime picks cuBLASLt or the generated kernel (runtime/gemm-choice.h), one launch
// function per graph (a straight-line sequence of launches, captured into a CUDA graph by main), and a main() for the
// program's mode (backends/cuda/host-main.ts). The runtime headers (backends/cuda/runtime/) are copied beside it by
// the build driver.
// Invariants: every pointer a launch passes is `arena base + planned offset` (256-byte aligned, as cuBLASLt's
// algorithms assume), cast to the parameter's storage type; kernels needing a workspace get the workspace arena
// zeroed right before their launch; the workspace arena holds the largest workspaceNeed of any launch (cuBLASLt's
// beside a GEMM), so it is at least program.workspaceBytes; every launch is wrapped in L.begin/L.end (the profiler's
// hooks), and a GEMM site's launch runs cuBLASLt when L.library_gemm says it chose it, else its generated kernel; a
// GEMM site never writes a graph input (the runtime times it alone before the first step).

import type { DType } from "../../ir/dtype.ts";
import { workspaceNeed, type KernelSource, type LibraryGemm } from "../kernel.ts";
import type { Placement } from "../schedule/memory.ts";
import { describeGemm } from "./gemm/spec.ts";
import { CUDA } from "./language.ts";
import { CUDA_PRELUDE } from "./prelude.ts";
import type { CompiledGraph, CompiledKernel, CudaProgram } from "./program.ts";
import { DEVICE_ERROR_SOURCE, errorSite, hostErrorCheckSource } from "./templates/device-error.ts";

/** A C string literal. */
export function cString(text: string): string {
  return JSON.stringify(text);
}

/** A C++ identifier for a graph name (launch functions: run_micro_step). */
export function graphFunction(name: string): string {
  return `run_${name.replace(/\W/g, "_")}`;
}

/** `(T*)(A.state + 4096)`: a typed pointer to a placed buffer. */
export function pointer(placement: Placement, dtype: DType, writable: boolean): string {
  return `(${writable ? "" : "const "}${CUDA.storageType(dtype)}*)(${address(placement)})`;
}

/** `A.state + 4096ULL`: the address of a placed buffer. */
function address(placement: Placement): string {
  return `${placement.arena === "state" ? "A.state" : "A.activations"} + ${placement.offset}ULL`;
}

/** One kernel launch of the program: its index in the launch table and its GEMM site (-1: not a GEMM). */
export interface Launch {
  readonly graph: CompiledGraph;
  readonly kernel: CompiledKernel;
  readonly source: KernelSource;
  readonly index: number;
  readonly gemm: number;
}

/** Every launch of the program, graph by graph in launch order, numbered, with the GEMM sites numbered in order. */
export function programLaunches(program: CudaProgram): Launch[] {
  const launches: Launch[] = [];
  let gemms = 0;
  for (const graph of program.graphs) {
    for (const kernel of graph.kernels) {
      for (const source of kernel.sources) {
        launches.push({ graph, kernel, source, index: launches.length, gemm: source.libraryGemm ? gemms++ : -1 });
      }
    }
  }
  return launches;
}

function placementOf(graph: CompiledGraph, source: KernelSource, buffer: string): Placement {
  const placement = graph.plan.placement.get(buffer);
  if (!placement) throw new Error(`${source.name}: buffer ${buffer} has no placement in @${graph.name}`);
  return placement;
}

/** The statements launching a source's kernel: zero its workspace if it has one, launch, check the launch. */
function kernelLaunch(source: KernelSource, graph: CompiledGraph): string[] {
  const args = source.params.map((p) => pointer(placementOf(graph, source, p.name), p.dtype, p.access !== "read"));
  const lines: string[] = [];
  if (source.workspaceBytes) {
    lines.push(`  TRAINC_CUDA_CHECK(cudaMemsetAsync(A.workspace, 0, ${source.workspaceBytes}ULL, stream));`);
    args.push("trainc_ptr{A.workspace}");
  }
  const dims = (d: readonly number[]) => `dim3(${d.join(", ")})`;
  lines.push(`  ${source.name}<<<${dims(source.grid)}, ${dims(source.block)}, ${source.sharedBytes}, stream>>>(${args.join(", ")});`,
    `  TRAINC_CHECK_LAUNCH(${source.name});`);
  return lines;
}

/** Name of the function launching GEMM site `site`'s generated kernel. */
function generatedGemm(site: number): string {
  return `gemm${site}_generated`;
}

/** A launch as statements of its graph's launch function, between the profiler's hooks. */
function launchStatements(launch: Launch): string[] {
  const body = launch.gemm >= 0
    ? [`  if (!L.library_gemm(${launch.gemm}, stream)) ${generatedGemm(launch.gemm)}(A, stream);`]
    : kernelLaunch(launch.source, launch.graph);
  return [`  L.begin(${launch.index}, stream);`, ...body, "  L.end(stream);"];
}

/** The launch function of one graph: every kernel in order, then the copies back onto inputs it plans. */
function launchFunction(graph: CompiledGraph, launches: readonly Launch[]): string {
  const body: string[] = [];
  for (const launch of launches.filter((l) => l.graph === graph)) {
    if (launch.source === launch.kernel.sources[0]) body.push(`  // ${launch.kernel.kernel.name}`);
    body.push(...launchStatements(launch));
  }
  for (const copy of graph.plan.copies) {
    const from = graph.plan.placement.get(copy.from)!;
    const to = graph.plan.placement.get(copy.to)!;
    body.push(`  TRAINC_CUDA_CHECK(cudaMemcpyAsync(${address(to)}, ${address(from)}, ${copy.bytes}ULL, cudaMemcpyDeviceToDevice, stream));`);
  }
  return [`static void ${graphFunction(graph.name)}(const Arenas& A, cudaStream_t stream, trainc::Launches& L) {`, ...body, "}"].join("\n");
}

/** A C++ double literal of `x`. */
function cDouble(x: number): string {
  const text = String(x);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

function launchTable(launches: readonly Launch[]): string {
  const rows = launches.map((l) => `  {${[l.graph.name, l.kernel.kernel.name, l.source.name, l.kernel.kernel.kind].map(cString).join(", ")}, ` +
    `${cDouble(l.source.flops)}, ${l.gemm}},`);
  return "// Every launch: graph, schedule kernel, source, kind, FLOPs, GEMM site (-1: none).\n" +
    `static const trainc::LaunchInfo kLaunches[] = {\n${rows.join("\n") || "  {\"none\", \"none\", \"none\", \"none\", 0.0, -1},"}\n};`;
}

/** The runtime's GemmLtShape of a library GEMM, as a C++ initializer. */
export function gemmShape(g: LibraryGemm): string {
  const type = (d: LibraryGemm["inputDtype"]) => `trainc::GemmType::${d.toUpperCase()}`;
  return `{${g.m}, ${g.n}, ${g.k}, ${g.transposeA}, ${g.transposeB}, ${type(g.inputDtype)}, ${type(g.outputDtype)}, ${g.batch}, ` +
    `${g.broadcastA}, ${g.broadcastB}}`;
}

/** The function launching a GEMM site's generated kernel (timed against cuBLASLt, and launched when it wins). */
function generatedGemmFunction(launch: Launch): string {
  const label = `${launch.graph.name} ${launch.kernel.kernel.name}`;
  return [`// GEMM ${launch.gemm}: ${label}, ${describeGemm({ ...launch.source.libraryGemm!, accumulate: false })}`,
    `static void ${generatedGemm(launch.gemm)}(const Arenas& A, cudaStream_t stream) {`,
    ...kernelLaunch(launch.source, launch.graph), "}"].join("\n");
}

/** Throws unless GEMM `launch` writes a buffer of its own: timing it alone before the first step must change no input. */
function checkOwnOutput(launch: Launch, program: CudaProgram): void {
  const c = placementOf(launch.graph, launch.source, launch.source.libraryGemm!.c);
  const inputs = program.graphs.flatMap((g) => g.partition.source.inputs.map((i) => g.plan.placement.get(i.name)!));
  if (inputs.some((p) => p.arena === c.arena && p.offset === c.offset)) {
    throw new Error(`${launch.kernel.kernel.name} in @${launch.graph.name}: the GEMM writes a graph input in place`);
  }
}

/** gemm_sites(A): the runtime's table of GEMM sites (label, shape, A, B, C, generated launch, the tuning DB's choice). */
function gemmSites(gemms: readonly Launch[], program: CudaProgram): string {
  const rows = gemms.map((l) => {
    checkOwnOutput(l, program);
    const g = l.source.libraryGemm!;
    const at = (buffer: string) => address(placementOf(l.graph, l.source, buffer));
    return `    {${cString(`${l.graph.name} ${l.kernel.kernel.name}`)}, ${gemmShape(g)},\n` +
      `     ${at(g.a)}, ${at(g.b)}, ${at(g.c)}, [A](cudaStream_t s) { ${generatedGemm(l.gemm)}(A, s); }` +
      `${g.tuned === undefined ? "" : `, ${g.tuned}`}},`;
  });
  return ["static std::vector<trainc::GemmSite> gemm_sites(const Arenas& A) {",
    ...(rows.length > 0 ? ["  return {", ...rows, "  };"] : ["  return {};"]), "}"].join("\n");
}

function sources(program: CudaProgram): KernelSource[] {
  const seen = new Map<string, KernelSource>();
  for (const g of program.graphs) for (const k of g.kernels) for (const s of k.sources) if (!seen.has(s.name)) seen.set(s.name, s);
  return [...seen.values()];
}

function slotTable(name: string, slots: readonly [string, Placement][]): string {
  const rows = slots.map(([n, p]) => `  {${cString(n)}, ${p.offset}ULL, ${p.bytes}ULL},`);
  return `static const trainc::ArenaSlot ${name}[] = {\n${rows.join("\n") || "  {\"none\", 0ULL, 0ULL},"}\n};`;
}

/** Bytes of the workspace arena: enough for every launch's own scratch and for cuBLASLt beside a GEMM. */
export function workspaceArenaBytes(program: CudaProgram): number {
  return Math.max(program.workspaceBytes, ...sources(program).map(workspaceNeed));
}

/** Host code shared by every mode: arenas, slot and launch tables, GEMM sites, launch functions, device errors. */
export function programBody(program: CudaProgram): string {
  const all = sources(program);
  const launches = programLaunches(program);
  const gemms = launches.filter((l) => l.gemm >= 0);
  const activations = program.graphs.flatMap((g) => [...g.plan.placement].filter(([, p]) => p.arena === "activations")
    .map(([n, p]): [string, Placement] => [`${g.name}:${n}`, p]));
  const sites = all.filter((s) => s.code.includes("trainc_error_code"))
    .map((s) => `    case ${errorSite(s.name)}LL: return ${cString(s.name)};`);
  return [
    `constexpr uint64_t kStateBytes = ${program.memory.stateBytes}ULL;`,
    `constexpr uint64_t kActivationBytes = ${program.memory.activationBytes}ULL;`,
    `constexpr uint64_t kWorkspaceBytes = ${workspaceArenaBytes(program)}ULL;`,
    "// Peak device memory the compiler predicts (its report's predicted_peak_bytes).",
    `constexpr uint64_t kPredictedBytes = ${program.memory.stateBytes + program.memory.activationBytes + program.workspaceBytes}ULL;`,
    slotTable("kStateSlots", [...program.memory.state]),
    slotTable("kActivationSlots", activations),
    "struct Arenas {\n  char* state;\n  char* activations;\n  char* workspace;\n};",
    "static void allow_shared_memory(const cudaDeviceProp& prop) {",
    ...all.filter((s) => s.sharedBytes > 48 * 1024).map((s) => `  trainc::allow_shared_memory(${s.name}, ${cString(s.name)}, ${s.sharedBytes}, prop);`),
    "}",
    launchTable(launches),
    ...gemms.map(generatedGemmFunction),
    gemmSites(gemms, program),
    ...program.graphs.map((g) => launchFunction(g, launches)),
    "static const char* kernel_of_site(long long site) {\n  switch (site) {",
    ...sites,
    "    default: return \"an unknown kernel\";\n  }\n}",
    hostErrorCheckSource(),
  ].join("\n\n");
}

/** The device half of main.cu: prelude, device error flag, every kernel once. */
export function programKernels(program: CudaProgram): string {
  return [CUDA_PRELUDE, DEVICE_ERROR_SOURCE, ...sources(program).map((s) => s.code)].join("\n\n");
}
