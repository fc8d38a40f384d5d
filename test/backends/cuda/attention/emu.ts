// Runs rendered attention kernels on the CPU: swaps each CUDA primitive helper (of bf16 or f16 kernels) for its
// emulation (emu/cuda_bf16.h), writes a g++ program that holds the kernels plus, per case, its buffers and launches in
// order, builds it once and runs every case. This is how the generated CUDA is checked against the interpreter on a machine with no GPU.
// Invariants: a case's buffers are either inputs (bytes given) or outputs/scratch (allocated, filled with 0xff so
// unwritten elements read as NaN); every kernel parameter names one of them.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KernelSource } from "../../../../backends/kernel.ts";
import { primitiveSources, WGMMA_RS, WGMMA_SS, type Primitive } from "../../../../backends/cuda/attention/primitives.ts";
import { HALF_TYPES } from "../../../../backends/cuda/half.ts";
import { cType } from "../../../../backends/cuda/attention/source.ts";

/** Whether the kernel's half_t (source.ts) is f16, which the emulated 16-bit helpers decode by. */
const F16 = "std::is_same<half_t, __half>::value";

const EMU_PRIMITIVES: Readonly<Record<Primitive, string>> = {
  shared_base: "inline unsigned char* shared_base() { return emu_shared_base(); }",
  smem_addr: "// smem_addr: shared memory is ordinary memory on the CPU.",
  cp_async16: "inline void cp_async16(void* dst, const void* src, bool valid) { emu_cp_async(dst, src, valid, 16); }",
  cp_async4: "inline void cp_async4(void* dst, const void* src, bool valid) { emu_cp_async(dst, src, valid, 4); }",
  cp_async_commit: "inline void cp_async_commit() { emu_cp_async_commit(); }",
  cp_async_wait: "template <int N>\ninline void cp_async_wait() { emu_cp_async_wait(N); }",
  ldsm_x4: "inline void ldsm_x4(unsigned (&r)[4], const void* row) { emu_ldsm_x4(r, row, false); }",
  ldsm_x4_t: "inline void ldsm_x4_t(unsigned (&r)[4], const void* row) { emu_ldsm_x4(r, row, true); }",
  mma_16816: "inline void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) " +
    `{ emu_mma(d, a, b0, b1, ${F16}); }`,
  pack_half: `inline unsigned pack_half(float lo, float hi) { return emu_pack(lo, hi, ${F16}); }`,
  half_to_f32: `inline float half_to_f32(unsigned short b) { return half_bits::to_float(b, ${F16}); }`,
  fast_exp2: "inline float fast_exp2(float x) { return std::exp2(x); }",
  shfl_xor: "template <typename T>\ninline T shfl_xor(T v, int mask) { return emu_shfl_xor(v, mask); }",
  any_sync: "inline bool any_sync(bool p) { return emu_any_sync(p); }",
  red_add_f32: "inline void red_add_f32(float* p, float a) { emu_red_add(p, a); }",
  red_add_f32x2: "inline void red_add_f32x2(float* p, float a, float b) { emu_red_add(p, a); emu_red_add(p + 1, b); }",
  red_add_f32x4: "inline void red_add_f32x4(float* p, float4 v) { emu_red_add4(p, v); }",
  shared_base_1024: "inline unsigned char* shared_base_1024() { return emu_shared_base(); }",
  fence_proxy_async: "inline void fence_proxy_async() {}",
  wgmma_desc: "inline unsigned long long wgmma_desc(const void* p, unsigned lbo, unsigned sbo) " +
    "{ return emu_wgmma_desc(p, lbo, sbo); }",
  wgmma_fence: "inline void wgmma_fence() {}",
  wgmma_commit: "inline void wgmma_commit() { emu_wgmma_commit(); }",
  wgmma_wait: "template <int N>\ninline void wgmma_wait() { emu_wgmma_wait(N); }",
  fence_operands: "template <int N>\ninline void fence_operands(float (&)[N]) {}",
  mbar_init: "inline void mbar_init(unsigned long long* bar, unsigned count) { emu_mbar_init(bar, count); }",
  mbar_wait: "inline void mbar_wait(unsigned long long* bar, unsigned parity) { emu_mbar_wait(bar, parity); }",
  mbar_arrive: "inline void mbar_arrive(unsigned long long* bar) { emu_mbar_arrive(bar); }",
  cp_async_arrive: "inline void cp_async_arrive(unsigned long long* bar) { emu_cp_async_arrive(bar); }",
  named_sync: "inline void named_sync(int id, int count) { emu_named_sync(id, count); }",
  named_arrive: "inline void named_arrive(int id, int count) { emu_named_arrive(id, count); }",
  bulk_reduce_add: "inline void bulk_reduce_add(float* dst, const float* src, int bytes) " +
    "{ emu_bulk_reduce_add(dst, src, bytes); }",
  bulk_commit: "inline void bulk_commit() { emu_bulk_commit(); }",
  bulk_wait_read: "template <int N>\ninline void bulk_wait_read() { emu_bulk_wait(N); }",
  bulk_wait: "template <int N>\ninline void bulk_wait() { emu_bulk_wait(N); }",
  setmaxnreg_inc: "template <int N>\ninline void setmaxnreg_inc() {}",
  setmaxnreg_dec: "template <int N>\ninline void setmaxnreg_dec() {}",
  ...Object.fromEntries(WGMMA_SS.map((n) => [`wgmma_ss_n${n}`, `template <int TA, int TB>\ninline void ` +
    `wgmma_ss_n${n}(float (&d)[${n / 2}], unsigned long long da, unsigned long long db) ` +
    `{ emu_wgmma_ss<${n}>(d, da, db, TA, TB, ${F16}); }`])),
  ...Object.fromEntries(WGMMA_RS.map((n) => [`wgmma_rs_n${n}`, `template <int TB>\ninline void ` +
    `wgmma_rs_n${n}(float (&d)[${n / 2}], const unsigned (&a)[4], unsigned long long db) ` +
    `{ emu_wgmma_rs<${n}>(d, a, db, TB, ${F16}); }`])),
} as Record<Primitive, string>;

/** One run: kernels launched in order over named buffers. */
export interface EmuCase {
  readonly name: string;
  readonly kernels: readonly KernelSource[];
  readonly inputs: Readonly<Record<string, Uint8Array>>;
  /** Outputs and scratch buffers, with their sizes in bytes. */
  readonly outputs: Readonly<Record<string, number>>;
}

/** A kernel's code with every CUDA primitive replaced by its emulation; throws if one is not found verbatim. */
export function emulated(code: string): string {
  let out = code;
  for (const half of Object.values(HALF_TYPES)) {
    for (const [name, text] of Object.entries(primitiveSources(half)) as [Primitive, string][]) {
      if (out.includes(text)) out = out.replace(text, EMU_PRIMITIVES[name]);
    }
  }
  if (out.includes("asm")) throw new Error("a primitive was not swapped for its emulation");
  return out;
}

function launchCall(k: KernelSource): string {
  const args = k.params.map((p) => `reinterpret_cast<${p.access === "read" ? "const " : ""}${cType(p.dtype)}*>(` +
    `b_${p.name}.data())`);
  return `    emu::launch({${k.grid.join(", ")}}, ${k.block[0]}, ${k.sharedBytes}, ` +
    `[&] { ${k.name}(${args.join(", ")}); });`;
}

function caseBlock(c: EmuCase): string {
  const inputs = Object.keys(c.inputs).map((n) => `    auto b_${n} = load(dir + "/${c.name}.${n}");`);
  const outputs = Object.entries(c.outputs)
    .map(([n, bytes]) => `    std::vector<unsigned char> b_${n}(${bytes}, 0xff);`);
  const saves = Object.keys(c.outputs).map((n) => `    save(dir + "/${c.name}.${n}", b_${n});`);
  const lines = [...inputs, ...outputs, ...c.kernels.map(launchCall), ...saves];
  return `  if (which == "${c.name}") {\n${lines.join("\n")}\n  }`;
}

function program(cases: readonly EmuCase[]): string {
  const kernels = new Map<string, string>();
  for (const c of cases) for (const k of c.kernels) kernels.set(k.name, emulated(k.code));
  return `#include <cuda_bf16.h>
#include <fstream>
#include <iterator>
#include <string>
${[...kernels.values()].join("\n")}
static std::vector<unsigned char> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}
static void save(const std::string& path, const std::vector<unsigned char>& data) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()), data.size());
}
int main(int argc, char** argv) {
  const std::string dir = argv[1];
  for (int a = 2; a < argc; ++a) {
  const std::string which = argv[a];
${cases.map(caseBlock).join("\n")}
  }
  return 0;
}
`;
}

const EMU_DIR = join(import.meta.dirname, "emu");

/**
 * How a run schedules: cp.async copies land when the issuing thread waits for them (`late`) or at once (`eager`);
 * the first warp runs ahead of the others, or the last (`-reverse`).
 */
export type EmuMode = "late" | "eager" | "eager-reverse";

const MODE_ENV: Readonly<Record<EmuMode, Record<string, string>>> = {
  "late": { EMU_COPIES: "late", EMU_ORDER: "forward" },
  "eager": { EMU_COPIES: "eager", EMU_ORDER: "forward" },
  "eager-reverse": { EMU_COPIES: "eager", EMU_ORDER: "reverse" },
};

/** Builds one program for all cases, runs them once per mode, and returns each case's output buffers. */
export function runEmulated(cases: readonly EmuCase[], modes: readonly EmuMode[] = ["late"]):
  Map<EmuMode, Map<string, Record<string, Uint8Array>>> {
  const dir = mkdtempSync(join(tmpdir(), "attn-emu-"));
  writeFileSync(join(dir, "main.cpp"), program(cases));
  execFileSync("g++", ["-std=c++20", "-O1", "-pthread", "-w", "-I", EMU_DIR, "main.cpp", "-o", "emu"],
    { cwd: dir, stdio: "pipe" });
  for (const c of cases) {
    for (const [n, bytes] of Object.entries(c.inputs)) writeFileSync(join(dir, `${c.name}.${n}`), bytes);
  }
  const results = new Map<EmuMode, Map<string, Record<string, Uint8Array>>>();
  for (const mode of modes) {
    execFileSync(join(dir, "emu"), [dir, ...cases.map((c) => c.name)],
      { stdio: "pipe", timeout: 300_000, env: { ...process.env, ...MODE_ENV[mode] } });
    const byCase = new Map<string, Record<string, Uint8Array>>();
    for (const c of cases) {
      const outs: Record<string, Uint8Array> = {};
      for (const n of Object.keys(c.outputs)) outs[n] = new Uint8Array(readFileSync(join(dir, `${c.name}.${n}`)));
      byCase.set(c.name, outs);
    }
    results.set(mode, byCase);
  }
  return results;
}
