// The device helpers the attention kernels build on: asynchronous copies, ldmatrix, bf16 mma.sync, bf16 packing,
// exp2, warp shuffles and vector atomics, each a small inline function (inline PTX where CUDA C++ has no spelling).
// A kernel renders only the helpers it uses, inside its own `<name>_detail` namespace (backends/kernel.ts).
// Invariants: every helper is one self-contained definition keyed by its name, so a test can swap each one for a
// CPU emulation of the same contract; helpers that touch shared memory take generic pointers to shared memory.

/** Names of the helpers, in the order they are emitted (later ones may use earlier ones). */
export type Primitive =
  | "shared_base" | "smem_addr" | "cp_async16" | "cp_async4" | "cp_async_commit" | "cp_async_wait" | "ldsm_x4"
  | "ldsm_x4_t" | "mma_bf16" | "pack_bf16" | "bf16_to_f32" | "fast_exp2" | "shfl_xor" | "any_sync" | "red_add_f32"
  | "red_add_f32x2";

/** CUDA text of each helper. Contracts are the comments above each definition. */
export const PRIMITIVES: Readonly<Record<Primitive, string>> = {
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
  mma_bf16: `// d += a (16x16 bf16, row) * b (16x8 bf16, col), f32 accumulate: mma.sync m16n8k16.
__device__ __forceinline__ void mma_bf16(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}`,
  pack_bf16: `// Two floats rounded to nearest-even bf16, lo in the low half.
__device__ __forceinline__ unsigned pack_bf16(float lo, float hi) {
  unsigned r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}`,
  bf16_to_f32: `// The float value of the bf16 bits b (exact).
__device__ __forceinline__ float bf16_to_f32(unsigned short b) {
  return __uint_as_float(static_cast<unsigned>(b) << 16);
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
};

const ORDER = Object.keys(PRIMITIVES) as Primitive[];

/** Helpers that others call. */
const NEEDS: Partial<Record<Primitive, readonly Primitive[]>> = {
  cp_async16: ["smem_addr"], cp_async4: ["smem_addr"], ldsm_x4: ["smem_addr"], ldsm_x4_t: ["smem_addr"],
};

/** The CUDA text of the given helpers and those they call, in dependency order, each once. */
export function renderPrimitives(names: Iterable<Primitive>): string {
  const wanted = new Set<Primitive>();
  for (const n of names) {
    wanted.add(n);
    for (const dep of NEEDS[n] ?? []) wanted.add(dep);
  }
  return ORDER.filter((n) => wanted.has(n)).map((n) => PRIMITIVES[n]).join("\n\n");
}
