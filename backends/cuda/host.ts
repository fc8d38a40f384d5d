// The host program of a CUDA training program: writes main.cu — the prelude, every kernel once, the arena tables of
// the memory plan, one launch function per graph (a straight-line sequence of launches, captured into a CUDA graph by
// main), and a main() for the program's mode (backends/cuda/host-main.ts). The runtime headers
// (backends/cuda/runtime/) are copied beside it by the build driver.
// Invariants: every pointer a launch passes is `arena base + planned offset`, cast to the parameter's storage type;
// kernels needing a workspace get the workspace arena zeroed right before their launch.

import type { DType } from "../../ir/dtype.ts";
import type { KernelSource } from "../kernel.ts";
import type { Placement } from "../schedule/memory.ts";
import { CUDA } from "./language.ts";
import { CUDA_PRELUDE } from "./prelude.ts";
import type { CompiledGraph, CudaProgram } from "./program.ts";
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
  const base = placement.arena === "state" ? "A.state" : "A.activations";
  return `(${writable ? "" : "const "}${CUDA.storageType(dtype)}*)(${base} + ${placement.offset}ULL)`;
}

function launch(source: KernelSource, graph: CompiledGraph): string[] {
  const args = source.params.map((p) => {
    const placement = graph.plan.placement.get(p.name);
    if (!placement) throw new Error(`${source.name}: buffer ${p.name} has no placement in @${graph.name}`);
    return pointer(placement, p.dtype, p.access !== "read");
  });
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

/** The launch function of one graph: every kernel in order, then the copies back onto inputs it plans. */
function launchFunction(graph: CompiledGraph): string {
  const body = graph.kernels.flatMap((k) => [`  // ${k.kernel.name}`, ...k.sources.flatMap((s) => launch(s, graph))]);
  for (const copy of graph.plan.copies) {
    const from = graph.plan.placement.get(copy.from)!;
    const to = graph.plan.placement.get(copy.to)!;
    const at = (p: Placement) => `${p.arena === "state" ? "A.state" : "A.activations"} + ${p.offset}ULL`;
    body.push(`  TRAINC_CUDA_CHECK(cudaMemcpyAsync(${at(to)}, ${at(from)}, ${copy.bytes}ULL, cudaMemcpyDeviceToDevice, stream));`);
  }
  return [`static void ${graphFunction(graph.name)}(const Arenas& A, cudaStream_t stream) {`, ...body, "}"].join("\n");
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

/** Host code shared by every mode: arenas, slot tables, shared-memory limits, launch functions, device errors. */
export function programBody(program: CudaProgram): string {
  const all = sources(program);
  const activations = program.graphs.flatMap((g) => [...g.plan.placement].filter(([, p]) => p.arena === "activations")
    .map(([n, p]): [string, Placement] => [`${g.name}:${n}`, p]));
  const sites = all.filter((s) => s.code.includes("trainc_error_code"))
    .map((s) => `    case ${errorSite(s.name)}LL: return ${cString(s.name)};`);
  return [
    `constexpr uint64_t kStateBytes = ${program.memory.stateBytes}ULL;`,
    `constexpr uint64_t kActivationBytes = ${program.memory.activationBytes}ULL;`,
    `constexpr uint64_t kWorkspaceBytes = ${program.workspaceBytes}ULL;`,
    slotTable("kStateSlots", [...program.memory.state]),
    slotTable("kActivationSlots", activations),
    "struct Arenas {\n  char* state;\n  char* activations;\n  char* workspace;\n};",
    "static void allow_shared_memory(const cudaDeviceProp& prop) {",
    ...all.filter((s) => s.sharedBytes > 48 * 1024).map((s) => `  trainc::allow_shared_memory(${s.name}, ${cString(s.name)}, ${s.sharedBytes}, prop);`),
    "}",
    ...program.graphs.map(launchFunction),
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
