// The device-instruction layer of generated GEMMs: every inline PTX statement they use, as small C++ functions placed
// inside each kernel's detail namespace. The mainloops call only these names, so another layer with the same
// functions can stand in: the tests' host emulation does (test/backends/cuda/gemm/emu/), and a wgmma layer will.
// Invariants: pointers are generic (the helpers convert to shared-space addresses themselves); cp_async zero-fills
// when `valid` is false and then reads nothing; cp_async_wait and ldmatrix are compiler memory barriers, so ordinary
// shared stores are never moved across them; flag_wait / flag_release are gpu-scope acquire / release.

import { HALF_TYPES } from "../half.ts";
import type { GemmSpec } from "./spec.ts";

/** The C++ text of the PTX layer for `spec` (functions: shared_memory, cp_async<BYTES>, cp_async_commit,
 * cp_async_wait<N>, ldmatrix_x4, ldmatrix_x4_trans, mma_16816 (on the 16-bit input type; bf16's for f32 kernels,
 * which never call it), flag_wait, flag_release). */
export function ptxLayer(spec: GemmSpec): string {
  const input = HALF_TYPES[spec.inputDtype === "f32" ? "bf16" : spec.inputDtype].ptx;
  return `// Dynamic shared memory of the block.
__device__ __forceinline__ unsigned char* shared_memory() {
  extern __shared__ __align__(128) unsigned char dynamic_smem[];
  return dynamic_smem;
}

__device__ __forceinline__ unsigned shared_address(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// Asynchronous global -> shared copy of BYTES (4, 8 or 16); zero-fills the destination when !valid.
template <int BYTES>
__device__ __forceinline__ void cp_async(void* dst, const void* src, bool valid) {
  const int src_bytes = valid ? BYTES : 0;
  if constexpr (BYTES == 16) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\\n"
                 :: "r"(shared_address(dst)), "l"(src), "r"(src_bytes));
  } else {
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\\n"
                 :: "r"(shared_address(dst)), "l"(src), "n"(BYTES), "r"(src_bytes));
  }
}

__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\\n" ::);
}

// Waits until at most N committed groups of this thread are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\\n" :: "n"(N) : "memory");
}

// Four 8x8 b16 matrices; lane l addresses row l % 8 of matrix l / 8.
__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(shared_address(p)) : "memory");
}

__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(shared_address(p)) : "memory");
}

// d += a (16x16, row) * b (16x8, col), ${input} in, f32 accumulate.
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.${input}.${input}.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Spins until *flag == value (gpu-scope acquire).
__device__ __forceinline__ void flag_wait(const int* flag, int value) {
  int seen;
  do {
    asm volatile("ld.acquire.gpu.global.b32 %0, [%1];\\n" : "=r"(seen) : "l"(flag) : "memory");
  } while (seen != value);
}

// *flag = value (gpu-scope release).
__device__ __forceinline__ void flag_release(int* flag, int value) {
  asm volatile("st.release.gpu.global.b32 [%0], %1;\\n" :: "l"(flag), "r"(value) : "memory");
}
`;
}
