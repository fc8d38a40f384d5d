// The HIP target's GEMM for the schedule's `matmul` kernels: C[b] = op(A)[b] · op(B)[b] with f32 accumulation, in the
// CUDA dialect the HIP build compiles through its CUDA-name table (backends/hip/cuda-shim). The CUDA generator's
// kernels are PTX (mma.sync, ldmatrix, cp.async), which AMD GPUs do not run, so this one uses plain loads and
// multiply-adds: a block of 16 x 16 threads computes a 64 x 64 tile of C, each thread a 4 x 4 block, K advancing 16
// at a time through shared memory. Correct for every GemmSpec the CUDA one takes (transposes, batch, broadcast
// operands, a batch folded into M, bf16 or f32 in and out); not tuned, and not run on AMD hardware (none is available).
// Invariants: A and B read out of range as 0 and C is written only in range, so any M, N, K works; the grid is
// (ceil(N/64), ceil(M/64), batch); parameters are kernelParams' (A, B, then C) under their buffer names.

import { KERNEL_NAME, kernelParams, namedByCode, type KernelSource } from "../kernel.ts";
import { gemmSpecForMatmul } from "../cuda/gemm/from-matmul.ts";
import type { GemmSpec } from "../cuda/gemm/spec.ts";
import { CUDA } from "../cuda/language.ts";
import type { Kernel } from "../schedule/partition.ts";

const TILE = 64;
const STEP = 16;

/** Index of A(m, k) in its buffer at batch `b` (row-major, as the spec stores it). */
function aIndex(s: GemmSpec, m: string, k: string): string {
  const within = s.transposeA ? `${k} * ${s.m}LL + ${m}` : `${m} * ${s.k}LL + ${k}`;
  return s.broadcastA ? within : `b * ${s.m * s.k}LL + ${within}`;
}

/** Index of B(k, n) in its buffer at batch `b`. */
function bIndex(s: GemmSpec, k: string, n: string): string {
  const within = s.transposeB ? `${n} * ${s.k}LL + ${k}` : `${k} * ${s.n}LL + ${n}`;
  return s.broadcastB ? within : `b * ${s.k * s.n}LL + ${within}`;
}

function body(s: GemmSpec): string {
  const load = (x: string) => CUDA.load(x, s.inputDtype);
  return `  __shared__ float tile_a[${STEP}][${TILE}];
  __shared__ float tile_b[${STEP}][${TILE}];
  const long long b = blockIdx.z;
  const int m0 = blockIdx.y * ${TILE}, n0 = blockIdx.x * ${TILE};
  const int t = threadIdx.y * 16 + threadIdx.x;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < ${s.k}; k0 += ${STEP}) {
    for (int e = t; e < ${TILE * STEP}; e += 256) {
      const int m = m0 + e / ${STEP}, k = k0 + e % ${STEP};
      tile_a[e % ${STEP}][e / ${STEP}] = m < ${s.m} && k < ${s.k} ? ${load(`a[${aIndex(s, "m", "k")}]`)} : 0.0f;
      const int kb = k0 + e / ${TILE}, n = n0 + e % ${TILE};
      tile_b[e / ${TILE}][e % ${TILE}] = kb < ${s.k} && n < ${s.n} ? ${load(`bm[${bIndex(s, "kb", "n")}]`)} : 0.0f;
    }
    __syncthreads();
    for (int kk = 0; kk < ${STEP}; ++kk) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float x = tile_a[kk][threadIdx.y * 4 + i];
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(x, tile_b[kk][threadIdx.x * 4 + j], acc[i][j]);
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int m = m0 + threadIdx.y * 4 + i;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int n = n0 + threadIdx.x * 4 + j;
      if (m < ${s.m} && n < ${s.n}) c[b * ${s.m * s.n}LL + m * ${s.n}LL + n] = ${CUDA.store("acc[i][j]", s.outputDtype)};
    }
  }`;
}

/** The portable GEMM of a `matmul` kernel. */
export function renderPortableMatmul(kernel: Kernel): KernelSource {
  const node = kernel.graph.nodes.find((n) => n.op === "matmul");
  if (!node) throw new Error(`${kernel.name}: no matmul node`);
  const [ta, tb] = node.args.map((v) => kernel.graph.types[v]!);
  const spec = gemmSpecForMatmul(ta!, tb!, { transpose_a: node.attrs["transpose_a"] as boolean,
    transpose_b: node.attrs["transpose_b"] as boolean });
  const params = kernelParams(kernel.graph);
  const nameOf = (v: number) => kernel.graph.inputs.find((i) => i.id === v)!.name;
  const role = (p: { name: string }) => (p.name === nameOf(node.args[0]!) ? "a" : p.name === nameOf(node.args[1]!) ? "bm" : "c");
  const list = params.map((p) => `${p.access === "read" ? "const " : ""}${CUDA.storageType(p.dtype)}* __restrict__ ${role(p)}`);
  const code = `// C = op(A) · op(B): ${spec.batch} x [${spec.m}, ${spec.k}] x [${spec.k}, ${spec.n}], ${spec.inputDtype} in, ` +
    `${spec.outputDtype} out, f32 accumulation; 64 x 64 tiles, no tensor cores
extern "C" __global__ void __launch_bounds__(256) ${KERNEL_NAME}(${list.join(", ")}) {
${nameOf(node.args[0]!) === nameOf(node.args[1]!) ? "  const auto* bm = a;  // one buffer is both operands\n" : ""}${body(spec)}
}`;
  return namedByCode("matmul", {
    code, params,
    grid: [Math.ceil(spec.n / TILE), Math.ceil(spec.m / TILE), spec.batch], block: [16, 16, 1],
    sharedBytes: 0, flops: 2 * spec.batch * spec.m * spec.n * spec.k,
    bytes: 4 * spec.batch * (spec.m * spec.k + spec.k * spec.n + spec.m * spec.n),
  });
}
