// The WGSL GEMM for the schedule's `matmul` kernels: C[b] = op(A)[b] · op(B)[b] in f32 (the GemmSpec the CUDA
// generator takes, from gemmSpecForMatmul: transposes, batch, operands broadcast over the batch, a batch folded into
// M). One workgroup of 16 x 16 threads computes a 64 x 64 tile of C, each thread a 4 x 4 block; K advances 16 at a
// time through workgroup memory (8 KiB, a quarter of WebGPU's guaranteed 16 KiB). A first kernel for correctness
// everywhere (lavapipe included), not yet tuned. The K loops take bounds the shader compiler cannot fold: lavapipe
// unrolls constant loops fully, and the unrolled 16 x 4 x 4 multiply-adds cost it 3-5 s of JIT per GEMM (0.7 s as
// loops).
// Invariants: A and B read out of range as 0 (select; WebGPU bounds every access, so the unused read is harmless) and
// C is written only in range, so any M, N, K works; the grid is
// (ceil(N/64), ceil(M/64), batch); buffers bind as kernelParams orders them (A, B, then C).

import { fail } from "../../compiler/diagnostics.ts";
import type { Kernel } from "../schedule/partition.ts";
import { KERNEL_NAME, kernelParams, namedByCode, type KernelSource } from "../kernel.ts";
import { gemmSpecForMatmul } from "../cuda/gemm/from-matmul.ts";
import type { GemmSpec } from "../cuda/gemm/spec.ts";
import { WGSL, WORKGROUP_SIZE } from "./language.ts";

const TILE = 64;
const STEP = 16;

/** WGSL index of A(m, k) in its buffer at batch `b` (row-major, as the spec stores it). */
function aIndex(s: GemmSpec, m: string, k: string): string {
  const within = s.transposeA ? `${k} * ${s.m} + ${m}` : `${m} * ${s.k} + ${k}`;
  return s.broadcastA ? within : `b * ${s.m * s.k} + ${within}`;
}

/** WGSL index of B(k, n) in its buffer at batch `b`. */
function bIndex(s: GemmSpec, k: string, n: string): string {
  const within = s.transposeB ? `${n} * ${s.k} + ${k}` : `${k} * ${s.n} + ${n}`;
  return s.broadcastB ? within : `b * ${s.k * s.n} + ${within}`;
}

function body(s: GemmSpec, names: readonly string[]): string {
  const [a, b, c] = names;
  return `  let b = i32(wg.z);
  let m0 = i32(wg.y) * ${TILE};
  let n0 = i32(wg.x) * ${TILE};
  let t = i32(lid.y) * 16 + i32(lid.x);
  var acc: array<array<f32, 4>, 4>;
  // max(n, wg.x - 70000) is n (wg.x < 65536), but no compiler folds it: these loops stay loops.
  let k_end = max(${s.k}, i32(wg.x) - 70000);
  let step_end = max(${STEP}, i32(wg.x) - 70000);
  for (var k0: i32 = 0; k0 < k_end; k0 += ${STEP}) {
    for (var e: i32 = 0; e < ${(TILE * STEP) / WORKGROUP_SIZE}; e++) {
      let idx = t + e * ${WORKGROUP_SIZE};
      let m = m0 + idx / ${STEP};
      let k = k0 + idx % ${STEP};
      let va = select(0.0, ${a}[${aIndex(s, "m", "k")}], m < ${s.m} && k < ${s.k});
      tile_a[(idx % ${STEP}) * ${TILE} + idx / ${STEP}] = va;
      let kb = k0 + idx / ${TILE};
      let n = n0 + idx % ${TILE};
      tile_b[idx] = select(0.0, ${b}[${bIndex(s, "kb", "n")}], kb < ${s.k} && n < ${s.n});
    }
    workgroupBarrier();
    for (var kk: i32 = 0; kk < step_end; kk++) {
      for (var i: i32 = 0; i < 4; i++) {
        let x = tile_a[kk * ${TILE} + i32(lid.y) * 4 + i];
        for (var j: i32 = 0; j < 4; j++) {
          acc[i][j] = fma(x, tile_b[kk * ${TILE} + i32(lid.x) * 4 + j], acc[i][j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i: i32 = 0; i < 4; i++) {
    let m = m0 + i32(lid.y) * 4 + i;
    for (var j: i32 = 0; j < 4; j++) {
      let n = n0 + i32(lid.x) * 4 + j;
      if (m < ${s.m} && n < ${s.n}) {
        ${c}[b * ${s.m * s.n} + m * ${s.n} + n] = acc[i][j];
      }
    }
  }`;
}

/** The WGSL kernel of a `matmul` kernel (f32 or f16 operands, f32 accumulation; E5700 for others). */
export function renderWgslMatmul(kernel: Kernel): KernelSource {
  const node = kernel.graph.nodes.find((n) => n.op === "matmul");
  if (!node) throw new Error(`${kernel.name}: no matmul node`);
  // The kernel computes in f32 whatever the operands' storage (f16 goes through its accessor), so its spec is f32's.
  const [ta, tb] = node.args.map((v) => ({ ...kernel.graph.types[v]!, dtype: "f32" as const }));
  const spec = gemmSpecForMatmul(ta!, tb!, { transpose_a: node.attrs["transpose_a"] as boolean,
    transpose_b: node.attrs["transpose_b"] as boolean });
  const params = kernelParams(kernel.graph);
  const other = params.find((p) => p.dtype !== "f32" && p.dtype !== "f16");
  if (other) {
    fail(5700, `${kernel.name}: the wgsl GEMM takes f32 or f16 operands, not ${other.dtype} (${other.name})`,
      "train in f32 (bf16: false) or f16 (fp16: true) on wgsl");
  }
  const binding = (name: string) => params.findIndex((p) => p.name === name);
  const input = (v: number) => `p${binding(kernel.graph.inputs.find((i) => i.id === v)!.name)}`;
  const names = [input(node.args[0]!), input(node.args[1]!), `p${binding(kernel.graph.outputs[0]!.name)}`];
  const bindings = params.map((p, k) => WGSL.pointer(`p${k}`, p.dtype, p.access !== "read", k));
  const code = `${bindings.join("\n")}

var<workgroup> tile_a: array<f32, ${TILE * STEP}>;
var<workgroup> tile_b: array<f32, ${TILE * STEP}>;

@compute @workgroup_size(16, 16)
fn ${KERNEL_NAME}(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
${body(spec, names)}
}`;
  return namedByCode("matmul", {
    code, params,
    grid: [Math.ceil(spec.n / TILE), Math.ceil(spec.m / TILE), spec.batch], block: [16, 16, 1],
    sharedBytes: 8 * TILE * STEP, flops: 2 * spec.batch * spec.m * spec.n * spec.k,
    bytes: 4 * spec.batch * (spec.m * spec.k + spec.k * spec.n + spec.m * spec.n),
  });
}
