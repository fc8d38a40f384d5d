// The WGSL GEMM for the schedule's `matmul` kernels: C[b] = op(A)[b] · op(B)[b] in f32 (the GemmSpec the CUDA
// generator takes, from gemmSpecForMatmul: transposes, batch, operands broadcast over the batch, a batch folded into
// M), and its search space. A config sets the workgroup's tile of C (bm x bn), each thread's block of it (tm x tn:
// the workgroup is (bn/tn) x (bm/tm) threads) and the K step (bk) staged through workgroup memory ((bm + bn) x bk
// floats). The heuristic, 64 x 64 tiles of 4 x 4 with K steps of 16 (8 KiB), is the tile the target ran before it
// was tunable. The K loops take bounds the shader compiler cannot fold: lavapipe unrolls constant loops fully, and the
// unrolled 16 x 4 x 4 multiply-adds cost it 3-5 s of JIT per GEMM (0.7 s as loops).
// Invariants: A and B read out of range as 0 (select; WebGPU bounds every access, so the unused read is harmless) and
// C is written only in range, so any M, N, K works with any config of the space; the grid is
// (ceil(N/bn), ceil(M/bm), batch); buffers bind as kernelParams orders them (A, B, then C); every config of the space
// fits WebGPU's default limits (256 invocations, 256 per dimension, 16 KiB of workgroup memory), so a tuned bundle
// runs on any device.

import { fail } from "../../compiler/diagnostics.ts";
import type { Kernel } from "../schedule/partition.ts";
import { KERNEL_NAME, kernelParams, namedByCode, type KernelSource } from "../kernel.ts";
import { enumerate, kernelContentHash, rooflineSeconds, type Ceilings, type SearchSpace } from "../tunable.ts";
import { gemmSpecForMatmul } from "../cuda/gemm/from-matmul.ts";
import { describeGemm, type GemmSpec } from "../cuda/gemm/spec.ts";
import { WGSL } from "./language.ts";

export interface WgslGemmConfig {
  readonly [field: string]: number;
  readonly bm: number;
  readonly bn: number;
  readonly bk: number;
  readonly tm: number;
  readonly tn: number;
}

/** The config compile uses for a GEMM nobody tuned. */
const HEURISTIC_WGSL_GEMM: WgslGemmConfig = { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 };

const AXES = { bm: [16, 32, 64, 128], bn: [16, 32, 64, 128], bk: [8, 16, 32], tm: [1, 2, 4, 8], tn: [1, 2, 4, 8] };

/** WebGPU's default limits, which every config keeps within. */
const MAX_INVOCATIONS = 256;
const MAX_WORKGROUP_BYTES = 16384;

/** Bumped whenever the space or the kernel a config renders changes. */
const SPACE_ID = "wgsl-gemm/1";

function threads(c: WgslGemmConfig): number {
  return (c.bm / c.tm) * (c.bn / c.tn);
}

/** Whether `c` renders a kernel within WebGPU's default limits (at least a warp's worth of threads). */
export function wgslGemmFits(c: WgslGemmConfig): boolean {
  return c.bm % c.tm === 0 && c.bn % c.tn === 0 && threads(c) >= 32 && threads(c) <= MAX_INVOCATIONS &&
    (c.bm + c.bn) * c.bk * 4 <= MAX_WORKGROUP_BYTES;
}

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

/**
 * A loop over the `count` elements of a staged tile, `per` at a time; the last pass is guarded when the workgroup's
 * threads do not divide the tile.
 */
function stageLoop(count: number, per: number, body: string[]): string[] {
  const guarded = count % per !== 0;
  return [
    `    for (var e: i32 = 0; e < ${Math.ceil(count / per)}; e++) {`,
    `      let idx = t + e * ${per};`,
    ...(guarded ? [`      if (idx < ${count}) {`, ...body.map((l) => `  ${l}`), "      }"] : body),
    "    }",
  ];
}

function body(s: GemmSpec, c: WgslGemmConfig, names: readonly string[]): string {
  const [a, b, out] = names;
  const per = threads(c);
  const loadA = stageLoop(c.bm * c.bk, per, [
    `      let m = m0 + idx / ${c.bk};`,
    `      let k = k0 + idx % ${c.bk};`,
    `      tile_a[(idx % ${c.bk}) * ${c.bm} + idx / ${c.bk}] = select(0.0, ${a}[${aIndex(s, "m", "k")}], m < ${s.m} && k < ${s.k});`,
  ]);
  const loadB = stageLoop(c.bk * c.bn, per, [
    `      let k = k0 + idx / ${c.bn};`,
    `      let n = n0 + idx % ${c.bn};`,
    `      tile_b[idx] = select(0.0, ${b}[${bIndex(s, "k", "n")}], k < ${s.k} && n < ${s.n});`,
  ]);
  return [
    "  let b = i32(wg.z);",
    `  let m0 = i32(wg.y) * ${c.bm};`,
    `  let n0 = i32(wg.x) * ${c.bn};`,
    `  let t = i32(lid.y) * ${c.bn / c.tn} + i32(lid.x);`,
    `  var acc: array<array<f32, ${c.tn}>, ${c.tm}>;`,
    "  // max(n, wg.x - 70000) is n (wg.x < 65536), but no compiler folds it: these loops stay loops.",
    `  let k_end = max(${s.k}, i32(wg.x) - 70000);`,
    `  let step_end = max(${c.bk}, i32(wg.x) - 70000);`,
    `  for (var k0: i32 = 0; k0 < k_end; k0 += ${c.bk}) {`,
    ...loadA, ...loadB,
    "    workgroupBarrier();",
    "    for (var kk: i32 = 0; kk < step_end; kk++) {",
    `      for (var i: i32 = 0; i < ${c.tm}; i++) {`,
    `        let x = tile_a[kk * ${c.bm} + i32(lid.y) * ${c.tm} + i];`,
    `        for (var j: i32 = 0; j < ${c.tn}; j++) {`,
    `          acc[i][j] = fma(x, tile_b[kk * ${c.bn} + i32(lid.x) * ${c.tn} + j], acc[i][j]);`,
    "        }",
    "      }",
    "    }",
    "    workgroupBarrier();",
    "  }",
    `  for (var i: i32 = 0; i < ${c.tm}; i++) {`,
    `    let m = m0 + i32(lid.y) * ${c.tm} + i;`,
    `    for (var j: i32 = 0; j < ${c.tn}; j++) {`,
    `      let n = n0 + i32(lid.x) * ${c.tn} + j;`,
    `      if (m < ${s.m} && n < ${s.n}) {`,
    `        ${out}[b * ${s.m * s.n} + m * ${s.n} + n] = acc[i][j];`,
    "      }",
    "    }",
    "  }",
  ].join("\n");
}

/** The GEMM spec of a `matmul` kernel as the WGSL kernel computes it (f32; E5700 for operands it cannot read). */
function wgslGemmSpec(kernel: Kernel): GemmSpec {
  const node = kernel.graph.nodes.find((n) => n.op === "matmul");
  if (!node) throw new Error(`${kernel.name}: no matmul node`);
  const other = kernelParams(kernel.graph).find((p) => p.dtype !== "f32" && p.dtype !== "f16");
  if (other) {
    fail(5700, `${kernel.name}: the wgsl GEMM takes f32 or f16 operands, not ${other.dtype} (${other.name})`,
      "train in f32 (bf16: false) or f16 (fp16: true) on wgsl");
  }
  // The kernel computes in f32 whatever the operands' storage (f16 goes through its accessor), so its spec is f32's.
  const [ta, tb] = node.args.map((v) => ({ ...kernel.graph.types[v]!, dtype: "f32" as const }));
  return gemmSpecForMatmul(ta!, tb!, { transpose_a: node.attrs["transpose_a"] as boolean,
    transpose_b: node.attrs["transpose_b"] as boolean });
}

/** Useful FLOPs and least bytes of one launch (f32 operands and result, each read or written once per batch entry). */
function cost(spec: GemmSpec): { flops: number; bytes: number } {
  return { flops: 2 * spec.batch * spec.m * spec.n * spec.k, bytes: 4 * spec.batch * (spec.m * spec.k + spec.k * spec.n + spec.m * spec.n) };
}

/** The WGSL kernel of a `matmul` kernel with `config` (f32 or f16 operands, f32 accumulation; E5700 for others). */
export function renderWgslMatmul(kernel: Kernel, config: WgslGemmConfig = HEURISTIC_WGSL_GEMM): KernelSource {
  if (!wgslGemmFits(config)) throw new Error(`${kernel.name}: the wgsl GEMM config ${JSON.stringify(config)} does not fit`);
  const spec = wgslGemmSpec(kernel);
  const node = kernel.graph.nodes.find((n) => n.op === "matmul")!;
  const params = kernelParams(kernel.graph);
  const binding = (name: string) => params.findIndex((p) => p.name === name);
  const input = (v: number) => `p${binding(kernel.graph.inputs.find((i) => i.id === v)!.name)}`;
  const names = [input(node.args[0]!), input(node.args[1]!), `p${binding(kernel.graph.outputs[0]!.name)}`];
  const bindings = params.map((p, k) => WGSL.pointer(`p${k}`, p.dtype, p.access !== "read", k));
  const code = `${bindings.join("\n")}

var<workgroup> tile_a: array<f32, ${config.bm * config.bk}>;
var<workgroup> tile_b: array<f32, ${config.bk * config.bn}>;

@compute @workgroup_size(${config.bn / config.tn}, ${config.bm / config.tm})
fn ${KERNEL_NAME}(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
${body(spec, config, names)}
}`;
  return namedByCode("matmul", {
    code, params,
    grid: [Math.ceil(spec.n / config.bn), Math.ceil(spec.m / config.bm), spec.batch], block: [config.bn / config.tn, config.bm / config.tm, 1],
    sharedBytes: 4 * (config.bm + config.bn) * config.bk, ...cost(spec),
  });
}

/** Cost of a thread's global load into workgroup memory, and of one K step's two barriers, in multiply-adds. */
const STAGE_COST = 4;
const BARRIER_COST = 32;

/**
 * Predicted time of `config` on `spec`: the multiply-adds of whole tiles (edge tiles compute their padding) at the
 * FLOP ceiling scaled by the share of a thread's instructions that are multiply-adds (per K step of bk: bk x tm x tn
 * of them beside bk x (tm + tn) workgroup-memory reads, its share of staging the tiles and the barriers), against the
 * bytes read when each tile row re-reads A and each tile column re-reads B, plus C, at the bandwidth ceiling.
 */
function predict(spec: GemmSpec, c: WgslGemmConfig, ceilings: Ceilings): number {
  const tilesM = Math.ceil(spec.m / c.bm);
  const tilesN = Math.ceil(spec.n / c.bn);
  const paddedK = Math.ceil(spec.k / c.bk) * c.bk;
  const flops = 2 * spec.batch * tilesM * c.bm * tilesN * c.bn * paddedK;
  const useful = c.bk * c.tm * c.tn;
  const issued = useful + c.bk * (c.tm + c.tn) + (STAGE_COST * (c.bm + c.bn) * c.bk) / threads(c) + BARRIER_COST;
  const bytes = 4 * spec.batch * (tilesN * spec.m * spec.k + tilesM * spec.k * spec.n + spec.m * spec.n);
  return rooflineSeconds((flops * issued) / useful, bytes, ceilings);
}

/** The search space of a `matmul` kernel on wgsl. */
export function wgslGemmSpace(kernel: Kernel): SearchSpace<WgslGemmConfig> {
  const spec = wgslGemmSpec(kernel);
  const candidates = enumerate(AXES, wgslGemmFits, HEURISTIC_WGSL_GEMM);
  return {
    id: SPACE_ID, kernelHash: kernelContentHash(kernel), problem: describeGemm(spec).replace(/^gemm f32->f32/, "gemm"),
    axes: AXES, candidates, heuristic: HEURISTIC_WGSL_GEMM, ...cost(spec),
    describe: (c) => `${c.bm}x${c.bn}x${c.bk} t${c.tm}x${c.tn}`,
    render: (c) => [renderWgslMatmul(kernel, c)],
    predict: (c, ceilings) => predict(spec, c, ceilings),
  };
}
