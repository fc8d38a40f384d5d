// The device helpers the attention kernels build on: asynchronous copies, ldmatrix, mma.sync, packing to 16 bits,
// exp2, warp shuffles, vector atomics, and Hopper's warpgroup MMA (wgmma), mbarriers, named barriers and register
// budgets (sm_90a), each a small inline function (inline PTX where CUDA C++ has no spelling).
// A kernel renders only the helpers it uses, inside its own `<name>_detail` namespace (backends/kernel.ts).
// The helpers on 16-bit floats (halfPrimitives: mma, wgmma, packing, widening) exist for bf16 and for f16 alike,
// with the kernel's type in their PTX; kernels spell that type half_t (source.ts).
// Invariants: every helper is one self-contained definition keyed by its name, so a test can swap each one for a
// CPU emulation of the same contract; helpers that touch shared memory take generic pointers to shared memory.

import { HALF_TYPES, type HalfDType, type HalfType } from "../half.ts";

/** Names of the helpers, in the order they are emitted (later ones may use earlier ones). */
export type Primitive =
  | "shared_base" | "smem_addr" | "cp_async16" | "cp_async4" | "cp_async_commit" | "cp_async_wait" | "ldsm_x4"
  | "ldsm_x4_t" | "mma_16816" | "pack_half" | "half_to_f32" | "fast_exp2" | "shfl_xor" | "any_sync" | "red_add_f32"
  | "red_add_f32x2" | "red_add_f32x4" | "shared_base_1024" | "fence_proxy_async" | "wgmma_desc" | "wgmma_fence" | "wgmma_commit"
  | "wgmma_wait" | "fence_operands" | "mbar_init" | "mbar_wait" | "mbar_arrive" | "cp_async_arrive" | "named_sync"
  | "setmaxnreg_inc" | "setmaxnreg_dec" | "named_arrive" | "bulk_reduce_add" | "bulk_commit" | "bulk_wait_read"
  | "bulk_wait" | WgmmaPrimitive;

/** Widths N of the wgmma m64nNk16 helpers: wgmma_ss_nN (both operands in shared memory), wgmma_rs_nN (A in registers). */
export const WGMMA_SS = [32, 64, 128] as const;
export const WGMMA_RS = [64, 128] as const;
export type WgmmaPrimitive = `wgmma_ss_n${(typeof WGMMA_SS)[number]}` | `wgmma_rs_n${(typeof WGMMA_RS)[number]}`;

/** The wgmma helper for an m64nNk16 product whose A operand comes from shared memory (`ss`) or registers (`rs`). */
export function wgmmaPrimitive(a: "ss" | "rs", n: number): WgmmaPrimitive {
  if (!(a === "ss" ? WGMMA_SS : WGMMA_RS).some((w) => w === n)) throw new Error(`no wgmma helper wgmma_${a}_n${n}`);
  return `wgmma_${a}_n${n}` as WgmmaPrimitive;
}

/** `{%first, ..., %(first + count - 1)}`. */
function operandList(first: number, count: number): string {
  return `{${Array.from({ length: count }, (_, i) => `%${first + i}`).join(", ")}}`;
}

/** Output constraints "+f"(d[0]) ... for `count` accumulators. */
function accumulators(count: number): string {
  return Array.from({ length: count }, (_, i) => `"+f"(d[${i}])`).join(", ");
}

function wgmmaSs(n: number, h: HalfType): string {
  const regs = n / 2;
  return `// d += A B for the warpgroup on the tensor cores (wgmma m64n${n}k16, ${h.ptx} in, f32 accumulate), A [64 x 16] and
// B [16 x ${n}] both read from shared memory through descriptors; TA / TB = 1: that operand is stored M- / N-major
// (else K-major). d holds this thread's part of the [64 x ${n}] accumulator in mma.sync's C layout, n8 tile by tile.
// Asynchronous: d may be read only after wgmma_wait and fence_operands.
template <int TA, int TB>
__device__ __forceinline__ void wgmma_ss_n${n}(float (&d)[${regs}], unsigned long long da, unsigned long long db) {
  asm volatile("{\\n.reg .pred p;\\nsetp.ne.b32 p, %${regs + 2}, 0;\\n"
               "wgmma.mma_async.sync.aligned.m64n${n}k16.f32.${h.ptx}.${h.ptx} ${operandList(0, regs)}, %${regs}, %${regs + 1}, "
               "p, 1, 1, %${regs + 3}, %${regs + 4};\\n}\\n"
               : ${accumulators(regs)}
               : "l"(da), "l"(db), "r"(1), "n"(TA), "n"(TB));
}`;
}

function wgmmaRs(n: number, h: HalfType): string {
  const regs = n / 2;
  return `// d += A B for the warpgroup on the tensor cores (wgmma m64n${n}k16, ${h.ptx} in, f32 accumulate), A [64 x 16] from
// registers (each warp its 16 rows, in mma.sync's A-fragment layout) and B [16 x ${n}] from shared memory through a
// descriptor; TB = 1: B is stored N-major (else K-major). Asynchronous, like wgmma_ss_n*: a must stay unchanged and d
// unread until wgmma_wait and fence_operands.
template <int TB>
__device__ __forceinline__ void wgmma_rs_n${n}(float (&d)[${regs}], const unsigned (&a)[4], unsigned long long db) {
  asm volatile("{\\n.reg .pred p;\\nsetp.ne.b32 p, %${regs + 5}, 0;\\n"
               "wgmma.mma_async.sync.aligned.m64n${n}k16.f32.${h.ptx}.${h.ptx} ${operandList(0, regs)}, ${operandList(regs, 4)}, "
               "%${regs + 4}, p, 1, 1, %${regs + 6};\\n}\\n"
               : ${accumulators(regs)}
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(1), "n"(TB));
}`;
}

/** The helpers on the 16-bit type h: their text depends on it. */
function halfPrimitives(h: HalfType): Record<HalfPrimitive, string> {
  return {
    mma_16816: `// d += a (16x16 ${h.ptx}, row) * b (16x8 ${h.ptx}, col), f32 accumulate: mma.sync m16n8k16.
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.${h.ptx}.${h.ptx}.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}`,
    pack_half: `// Two floats rounded to nearest-even ${h.ptx}, lo in the low half.
__device__ __forceinline__ unsigned pack_half(float lo, float hi) {
  unsigned r;
  asm("cvt.rn.${h.ptx}x2.f32 %0, %1, %2;\\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}`,
    half_to_f32: `// The float value of the ${h.ptx} bits b (exact).
__device__ __forceinline__ float half_to_f32(unsigned short b) {
${h.dtype === "bf16" ? "  return __uint_as_float(static_cast<unsigned>(b) << 16);" : "  return __half2float(__ushort_as_half(b));"}
}`,
    ...Object.fromEntries(WGMMA_SS.map((n) => [`wgmma_ss_n${n}`, wgmmaSs(n, h)])),
    ...Object.fromEntries(WGMMA_RS.map((n) => [`wgmma_rs_n${n}`, wgmmaRs(n, h)])),
  } as Record<HalfPrimitive, string>;
}

/** CUDA text of the helpers that do not depend on a 16-bit type. Contracts are the comments above each definition. */
const TYPELESS: Readonly<Record<Exclude<Primitive, HalfPrimitive>, string>> = {
  shared_base: `// Base of the block's dynamic shared memory (128-byte aligned).
__device__ __forceinline__ unsigned char* shared_base() {
  extern __shared__ __align__(128) unsigned char smem[];
  return smem;
}`,
  smem_addr: `// 32-bit shared-memory address of a generic pointer into shared memory.
__device__ __forceinline__ unsigned smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}`,
  cp_async16: `// Starts a 16-byte copy global -> shared; when !valid the 16 bytes are zero-filled (src not read).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\\n"
               :: "r"(smem_addr(dst)), "l"(src), "r"(valid ? 16 : 0) : "memory");
}`,
  cp_async4: `// Starts a 4-byte copy global -> shared (both 4-byte aligned); when !valid the 4 bytes are zero-filled.
__device__ __forceinline__ void cp_async4(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\\n"
               :: "r"(smem_addr(dst)), "l"(src), "r"(valid ? 4 : 0) : "memory");
}`,
  cp_async_commit: `// Closes the group of copies this thread started since the last commit.
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\\n" ::: "memory");
}`,
  cp_async_wait: `// Waits until at most N of this thread's committed copy groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\\n" :: "n"(N) : "memory");
}`,
  ldsm_x4: `// ldmatrix x4: lane l gives the address of row l%8 of 8x8 bf16 matrix l/8; r[m] gets row lane/4,
// cols 2*(lane%4)+{0,1} of matrix m.
__device__ __forceinline__ void ldsm_x4(unsigned (&r)[4], const void* row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_addr(row)) : "memory");
}`,
  ldsm_x4_t: `// ldmatrix x4 transposed: r[m] gets rows 2*(lane%4)+{0,1}, col lane/4 of matrix m.
__device__ __forceinline__ void ldsm_x4_t(unsigned (&r)[4], const void* row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_addr(row)) : "memory");
}`,
  fast_exp2: `// 2^x by the hardware approximation (relative error about 2^-22; 2^-inf = 0).
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\\n" : "=f"(y) : "f"(x));
  return y;
}`,
  shfl_xor: `// The value v of lane (lane ^ mask) of the warp (all 32 lanes take part).
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}`,
  any_sync: `// Whether p holds on any lane of the warp (all 32 lanes take part).
__device__ __forceinline__ bool any_sync(bool p) {
  return __any_sync(0xffffffffu, p);
}`,
  red_add_f32: `// *p += a atomically (global memory; the result is not read, so this compiles to a reduction).
__device__ __forceinline__ void red_add_f32(float* p, float a) {
  atomicAdd(p, a);
}`,
  red_add_f32x2: `// p[0] += a, p[1] += b atomically (p 8-byte aligned, global memory; one vector reduction on sm_90).
__device__ __forceinline__ void red_add_f32x2(float* p, float a, float b) {
  atomicAdd(reinterpret_cast<float2*>(p), make_float2(a, b));
}`,
  red_add_f32x4: `// p[0..3] += v atomically (p 16-byte aligned, global memory; one vector reduction on sm_90).
__device__ __forceinline__ void red_add_f32x4(float* p, float4 v) {
  atomicAdd(reinterpret_cast<float4*>(p), v);
}`,
  shared_base_1024: `// Base of the block's dynamic shared memory rounded up to a 1024-byte shared address (wgmma's 128-byte swizzle
// repeats every 1024 bytes, so tiles it reads start on such a boundary); the kernel asks for 1024 bytes more.
__device__ __forceinline__ unsigned char* shared_base_1024() {
  extern __shared__ __align__(1024) unsigned char smem[];
  return smem + ((1024u - (smem_addr(smem) & 1023u)) & 1023u);
}`,
  fence_proxy_async: `// Makes this thread's earlier shared-memory writes (stores, finished cp.async copies) visible to wgmma, which reads
// through the async proxy; a barrier must follow before another thread's wgmma reads them.
__device__ __forceinline__ void fence_proxy_async() {
  asm volatile("fence.proxy.async.shared::cta;\\n" ::: "memory");
}`,
  wgmma_desc: `// wgmma shared-memory matrix descriptor, 128-byte swizzle: the operand starts at p; lbo and sbo are its leading and
// stride byte offsets (K-major: sbo = bytes between 8-row groups, lbo unused; M/N-major: lbo = bytes between 64-column
// blocks, sbo = bytes between 8-row groups of K).
__device__ __forceinline__ unsigned long long wgmma_desc(const void* p, unsigned lbo, unsigned sbo) {
  return static_cast<unsigned long long>((smem_addr(p) & 0x3FFFFu) >> 4) |
         (static_cast<unsigned long long>((lbo >> 4) & 0x3FFFu) << 16) |
         (static_cast<unsigned long long>((sbo >> 4) & 0x3FFFu) << 32) | (1ull << 62);
}`,
  wgmma_fence: `// Orders this warpgroup's register writes before the wgmma operations that follow read them.
__device__ __forceinline__ void wgmma_fence() {
  asm volatile("wgmma.fence.sync.aligned;\\n" ::: "memory");
}`,
  wgmma_commit: `// Closes the group of wgmma operations this warpgroup issued since the last commit.
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\\n" ::: "memory");
}`,
  wgmma_wait: `// Waits until at most N of this warpgroup's committed wgmma groups are still running.
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\\n" :: "n"(N) : "memory");
}`,
  fence_operands: `// Keeps the compiler from moving reads or writes of d across this point: call it after wgmma_wait on the
// accumulators it waited for (wgmma writes them behind the compiler's back), and between zeroing accumulators and
// wgmma_fence (else the zeroing may sink below the fence and ptxas must add a wait of its own).
template <int N>
__device__ __forceinline__ void fence_operands(float (&d)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i]) :: "memory");
}`,
  mbar_init: `// Sets up the mbarrier at bar (8 bytes of shared memory, 8-byte aligned) for \`count\` arrivals per phase, in
// phase 0. One thread calls it; a barrier of the block must follow before any thread uses bar.
__device__ __forceinline__ void mbar_init(unsigned long long* bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\\n" :: "r"(smem_addr(bar)), "r"(count) : "memory");
}`,
  mbar_wait: `// Waits until the phase of parity \`parity\` of the mbarrier has completed (a fresh barrier is in phase 0, so
// waiting for parity 1 returns at once).
__device__ __forceinline__ void mbar_wait(unsigned long long* bar, unsigned parity) {
  asm volatile("{\\n.reg .pred done;\\nWAIT:\\nmbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\\n"
               "@!done bra WAIT;\\n}\\n" :: "r"(smem_addr(bar)), "r"(parity) : "memory");
}`,
  mbar_arrive: `// Counts one arrival of this thread on the mbarrier's current phase (release: its earlier accesses are ordered before).
__device__ __forceinline__ void mbar_arrive(unsigned long long* bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\\n" :: "r"(smem_addr(bar)) : "memory");
}`,
  cp_async_arrive: `// Counts one arrival on the mbarrier once every cp.async this thread started so far has landed (the barrier's
// count must include it: noinc).
__device__ __forceinline__ void cp_async_arrive(unsigned long long* bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\\n" :: "r"(smem_addr(bar)) : "memory");
}`,
  named_sync: `// Barrier \`id\` (1-15; 0 is __syncthreads) over \`count\` threads, whole warps: waits until that many arrived.
__device__ __forceinline__ void named_sync(int id, int count) {
  asm volatile("bar.sync %0, %1;\\n" :: "r"(id), "r"(count) : "memory");
}`,
  named_arrive: `// Counts this warp's arrival at barrier \`id\` (1-15) of \`count\` threads without waiting (the threads
// that named_sync it wait for every arrival). A warp must not arrive again before that phase has completed.
__device__ __forceinline__ void named_arrive(int id, int count) {
  asm volatile("bar.arrive %0, %1;\\n" :: "r"(id), "r"(count) : "memory");
}`,
  setmaxnreg_inc: `// Raises this warpgroup's register budget to N per thread (all its threads, together; N a multiple of 8).
template <int N>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\\n" :: "n"(N));
}`,
  setmaxnreg_dec: `// Lowers this warpgroup's register budget to N per thread, freeing registers for the other warpgroups.
template <int N>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\\n" :: "n"(N));
}`,
  bulk_reduce_add: `// Starts adding \`bytes\` (a multiple of 16) of f32 from shared memory at src into global memory at
// dst (both 16-byte aligned) on the TMA, element by element as atomics would; src must not change until bulk_wait_read,
// and the writes that filled it must be published to the async proxy first (fence_proxy_async, then a barrier if
// another thread issues this).
__device__ __forceinline__ void bulk_reduce_add(float* dst, const float* src, int bytes) {
  asm volatile("cp.reduce.async.bulk.global.shared::cta.bulk_group.add.f32 [%0], [%1], %2;\\n"
               :: "l"(dst), "r"(smem_addr(src)), "r"(bytes) : "memory");
}`,
  bulk_commit: `// Closes the group of bulk operations this thread started since the last commit (an empty group counts).
__device__ __forceinline__ void bulk_commit() {
  asm volatile("cp.async.bulk.commit_group;\\n" ::: "memory");
}`,
  bulk_wait_read: `// Waits until at most N of this thread's committed bulk groups still read their shared memory.
template <int N>
__device__ __forceinline__ void bulk_wait_read() {
  asm volatile("cp.async.bulk.wait_group.read %0;\\n" :: "n"(N) : "memory");
}`,
  bulk_wait: `// Waits until at most N of this thread's committed bulk groups are still running (their writes done).
template <int N>
__device__ __forceinline__ void bulk_wait() {
  asm volatile("cp.async.bulk.wait_group %0;\\n" :: "n"(N) : "memory");
}`,
};

/** The helpers whose text depends on the kernel's 16-bit type. */
type HalfPrimitive = "mma_16816" | "pack_half" | "half_to_f32" | WgmmaPrimitive;

const HALF_ONLY: ReadonlySet<Primitive> = new Set(Object.keys(halfPrimitives(HALF_TYPES.bf16)) as Primitive[]);

/** CUDA text of every helper for kernels on the 16-bit type h. */
export function primitiveSources(h: HalfType): Readonly<Record<Primitive, string>> {
  const typed = halfPrimitives(h);
  return Object.fromEntries(ORDER.map((n) => [n, n in typed ? typed[n as HalfPrimitive] : TYPELESS[n as keyof typeof TYPELESS]])) as
    Record<Primitive, string>;
}

/** Emission order: as the helpers are listed in TYPELESS, mma and packing after ldmatrix, wgmma last. */
const ORDER: readonly Primitive[] = (() => {
  const typeless = Object.keys(TYPELESS) as Primitive[];
  const at = typeless.indexOf("ldsm_x4_t") + 1;
  const wgmma = [...WGMMA_SS.map((n) => `wgmma_ss_n${n}`), ...WGMMA_RS.map((n) => `wgmma_rs_n${n}`)] as Primitive[];
  return [...typeless.slice(0, at), "mma_16816", "pack_half", "half_to_f32", ...typeless.slice(at), ...wgmma];
})();

/** Helpers that others call. */
const NEEDS: Partial<Record<Primitive, readonly Primitive[]>> = {
  cp_async16: ["smem_addr"], cp_async4: ["smem_addr"], ldsm_x4: ["smem_addr"], ldsm_x4_t: ["smem_addr"],
  shared_base_1024: ["smem_addr"], wgmma_desc: ["smem_addr"], mbar_init: ["smem_addr"], mbar_wait: ["smem_addr"],
  mbar_arrive: ["smem_addr"], cp_async_arrive: ["smem_addr"], bulk_reduce_add: ["smem_addr"],
};

/**
 * The CUDA text of the given helpers and those they call, in dependency order, each once, for a kernel on `dtype`:
 * helpers on 16-bit floats take its type (an f32 kernel asking for one is a generator bug).
 */
export function renderPrimitives(names: Iterable<Primitive>, dtype: HalfDType | "f32"): string {
  const wanted = new Set<Primitive>();
  for (const n of names) {
    wanted.add(n);
    for (const dep of NEEDS[n] ?? []) wanted.add(dep);
  }
  if (dtype === "f32" && [...wanted].some((n) => HALF_ONLY.has(n))) {
    throw new Error(`an f32 attention kernel asked for 16-bit helpers: ${[...wanted].filter((n) => HALF_ONLY.has(n)).join(", ")}`);
  }
  const sources = primitiveSources(HALF_TYPES[dtype === "f32" ? "bf16" : dtype]);
  return ORDER.filter((n) => wanted.has(n)).map((n) => sources[n]).join("\n\n");
}
