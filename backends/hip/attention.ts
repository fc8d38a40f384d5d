// The HIP target's attention and its gradient, in the CUDA dialect the HIP build compiles through its CUDA-name table
// (backends/hip/cuda-shim). The CUDA target's FlashAttention kernels are PTX (mma.sync, ldmatrix), which AMD GPUs do
// not run; these are the wgsl target's kernels (backends/wgsl/templates/attention.ts) in C++: a thread per row, keys
// and queries read from global memory, f32 arithmetic over bf16 or f32 tensors. forward: online softmax per query,
// writing the output and the row's log-sum-exp (+inf for a row that sees no key); backward: each row's statistics
// (lse, delta) into the scratch stats [B,Hq,Tq,2], then dq a thread per query, then dk and dv a thread per key.
// delta is sum_j p_j dp_j over the recomputed probabilities, as the interpreter defines it, not rowsum(dout * out):
// in bf16 the stored output is rounded, and where dp_j - delta cancels (near-uniform attention) that rounding
// alone put dq and dk 50% off.
// Same meaning as ir/interpret/attention.ts: causal, GQA, sliding window, document ranges and prefix-LM ranges (a
// query reads its keys from the first pair, a key its queries from the second, as backends/cuda/attention/mask.ts
// reads them). Not tuned, and not run on AMD hardware (none is available).
// Invariants: parameters are schedule buffer names (the host binds them); every output element is written by one
// thread; Dv == D.

import type { AttentionSpec } from "../cuda/attention/index.ts";
import { CUDA } from "../cuda/language.ts";
import { attentionSpec } from "../cuda/kernels.ts";
import { KERNEL_NAME, namedByCode, type KernelParam, type KernelSource } from "../kernel.ts";
import type { Kernel } from "../schedule/partition.ts";
import { rowStatsScratch } from "../schedule/side-buffers.ts";

const THREADS = 256;

function constants(s: AttentionSpec): string {
  return `  constexpr int D = ${s.D}, TQ = ${s.Tq}, TK = ${s.Tk}, HQ = ${s.Hq}, HK = ${s.Hk}, GROUP = ${s.Hq / s.Hk};
  constexpr float SCALE = ${CUDA.literal(s.scale, "float")};`;
}

/** Statement computing `s = scale * q[b, i, h] . k[b, j, kvh]` in f32. */
function score(s: AttentionSpec): string {
  const load = (x: string) => CUDA.load(x, s.dtype);
  return `float s = 0.0f;
      for (int d = 0; d < D; ++d) s += ${load("q[((b * TQ + i) * HQ + h) * (long long)D + d]")} * ${load("k[((b * TK + j) * HK + kvh) * (long long)D + d]")};
      s *= SCALE;`;
}

/**
 * C++ text of the range of row `t` on one side: [start, end) of its document, or of prefix-LM ranges the keys a query
 * sees (query side, the first pair) or the queries that see a key (key side, the second).
 */
function rangeAt(s: AttentionSpec, side: "query" | "key", t: string, bound: "start" | "end"): string {
  const offset = (s.prefix && side === "key" ? 2 : 0) + (bound === "end" ? 1 : 0);
  return `rg[${s.prefix ? 4 : 2} * (${t})${offset === 0 ? "" : ` + ${offset}`}]`;
}

/** `lo` and `hi`, the keys query i sees (inclusive): causal, window, and its range. */
function keyRange(s: AttentionSpec): string {
  const lo = s.window > 0 ? `trainc_max(0, i - ${s.window - 1})` : "0";
  const hi = s.causal ? "trainc_min(i, TK - 1)" : "TK - 1";
  const row = "b * TQ + i";
  return `    const int lo = ${s.documents ? `trainc_max(${lo}, ${rangeAt(s, "query", row, "start")})` : lo};
    const int hi = ${s.documents ? `trainc_min(${hi}, ${rangeAt(s, "query", row, "end")} - 1)` : hi};`;
}

/** The queries key j is seen by (inclusive), the same rules from the key's side. */
function queryRange(s: AttentionSpec): string {
  const lo = s.causal ? "j" : "0";
  const hi = s.window > 0 ? `trainc_min(TQ - 1, j + ${s.window - 1})` : "TQ - 1";
  const row = "b * TK + j";
  return `    const int first = ${s.documents ? `trainc_max(${lo}, ${rangeAt(s, "key", row, "start")})` : lo};
    const int last = ${s.documents ? `trainc_min(${hi}, ${rangeAt(s, "key", row, "end")} - 1)` : hi};`;
}

/** A launch over `items` threads, grid-stride, at most 65535 blocks. */
function launch(items: number): { grid: [number, number, number]; block: [number, number, number] } {
  return { grid: [Math.max(1, Math.min(65535, Math.ceil(items / THREADS))), 1, 1], block: [THREADS, 1, 1] };
}

/** A kernel over `params` (role name -> buffer), each declared const unless written. */
function kernel(kind: string, summary: string, params: readonly (readonly [string, KernelParam])[], body: string, items: number,
  flops: number): KernelSource {
  const list = params.map(([role, p]) => `${p.access === "read" ? "const " : ""}${CUDA.storageType(p.dtype)}* __restrict__ ${role}`);
  const code = `// ${summary}
extern "C" __global__ void __launch_bounds__(${THREADS}) ${KERNEL_NAME}(${list.join(", ")}) {
${body}
}`;
  return namedByCode(kind, { code, params: params.map(([, p]) => p), ...launch(items), sharedBytes: 0, flops, bytes: 0 });
}

function loop(count: string): string {
  return `for (long long item = blockIdx.x * (long long)blockDim.x + threadIdx.x; item < ${count}; item += (long long)gridDim.x * blockDim.x) {`;
}

/** The parameter of a schedule buffer. */
function param(kernelOf: Kernel, name: string, access: KernelParam["access"]): KernelParam {
  const input = kernelOf.graph.inputs.find((i) => i.name === name);
  const output = kernelOf.graph.outputs.find((o) => o.name === name);
  const id = input?.id ?? output?.id;
  return { name, dtype: id === undefined ? "f32" : kernelOf.graph.types[id]!.dtype, access };
}

function operands(k: Kernel, count: number): KernelParam[] {
  const node = k.graph.nodes.find((n) => n.op === k.kind)!;
  return node.args.slice(0, count).map((v) => param(k, k.graph.inputs.find((i) => i.id === v)!.name, "read"));
}

/** The forward kernel of an `attention` kernel: out and its side buffer lse. */
export function renderPortableAttention(k: Kernel): KernelSource[] {
  const s = attentionSpec(k);
  const ops = operands(k, s.documents ? 4 : 3);
  const [q, kk, v, rg] = ops;
  const out = param(k, k.graph.outputs[0]!.name, "write");
  const lse = param(k, k.extraWrites![0]!, "write");
  const rows = s.B * s.Hq * s.Tq;
  const load = (x: string) => CUDA.load(x, s.dtype);
  const body = `${constants(s)}
  ${loop(`${rows}LL`)}
    const int i = item % TQ, h = item / TQ % HQ, kvh = h / GROUP;
    const long long b = item / ((long long)TQ * HQ);
${keyRange(s)}
    float acc[D] = {};
    float m = -CUDART_INF_F, l = 0.0f;
    for (int j = lo; j <= hi; ++j) {
      ${score(s)}
      const float top = fmaxf(m, s), correction = expf(m - top), p = expf(s - top);
      l = l * correction + p;
      const long long vo = ((b * TK + j) * HK + kvh) * (long long)D;
      for (int d = 0; d < D; ++d) acc[d] = acc[d] * correction + p * ${load("v[vo + d]")};
      m = top;
    }
    const long long oo = ((b * TQ + i) * HQ + h) * (long long)D;
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (int d = 0; d < D; ++d) out[oo + d] = ${CUDA.store("acc[d] * inv", s.dtype)};
    lse[(b * HQ + h) * TQ + i] = l > 0.0f ? m + logf(l) : CUDART_INF_F;
  }`;
  const roles: [string, KernelParam][] = [["q", q!], ["k", kk!], ["v", v!], ...(rg ? [["rg", rg] as [string, KernelParam]] : []),
    ["out", out], ["lse", lse]];
  return [kernel("attention", `attention [${s.B}, ${s.Tq}, ${s.Hq}, ${s.D}], ${s.Hk} kv heads, a thread per query`, roles, body, rows,
    4 * rows * s.Tk * s.D / (s.causal ? 2 : 1))];
}

/** The backward kernels of an `attention_grad` kernel: row statistics, dq, then dk and dv. */
export function renderPortableAttentionGrad(k: Kernel): KernelSource[] {
  const s = attentionSpec(k);
  const ops = operands(k, s.documents ? 5 : 4);
  const [q, kk, v, dout, rg] = ops;
  const [dq, dk, dv] = k.graph.outputs.map((o) => param(k, o.name, "write"));
  const lse = param(k, k.extraReads![1]!, "read");
  const statsName = rowStatsScratch(k)[0]!.name;
  const [statsOut, stats] = [param(k, statsName, "write"), param(k, statsName, "read")];
  const rows = s.B * s.Hq * s.Tq;
  const keys = s.B * s.Hk * s.Tk;
  const load = (x: string) => CUDA.load(x, s.dtype);
  const inputs: [string, KernelParam][] = [["q", q!], ["k", kk!], ["v", v!], ["dout", dout!],
    ...(rg ? [["rg", rg] as [string, KernelParam]] : [])];
  const flops = 4 * rows * s.Tk * s.D / (s.causal ? 2 : 1);
  const prep = kernel("attention_grad_stats", "attention gradient: each row's lse and delta = sum_j p_j (dout . v_j)",
    [...inputs, ["lse", lse!], ["stats", statsOut]], `${constants(s)}
  ${loop(`${rows}LL`)}
    const int i = item % TQ, h = item / TQ % HQ, kvh = h / GROUP;
    const long long b = item / ((long long)TQ * HQ);
    const long long oo = ((b * TQ + i) * HQ + h) * (long long)D;
    const float row_lse = lse[item];
${keyRange(s)}
    float delta = 0.0f;
    for (int j = lo; j <= hi; ++j) {
      ${score(s)}
      const long long ko = ((b * TK + j) * HK + kvh) * (long long)D;
      float dp = 0.0f;
      for (int d = 0; d < D; ++d) dp += ${load("dout[oo + d]")} * ${load("v[ko + d]")};
      delta += expf(s - row_lse) * dp;
    }
    stats[2 * item] = row_lse;
    stats[2 * item + 1] = delta;
  }`, rows, flops);
  const dqKernel = kernel("attention_grad_dq", "attention gradient: dq, a thread per query", [...inputs, ["stats", stats], ["dq", dq!]],
    `${constants(s)}
  ${loop(`${rows}LL`)}
    const int i = item % TQ, h = item / TQ % HQ, kvh = h / GROUP;
    const long long b = item / ((long long)TQ * HQ);
    const long long oo = ((b * TQ + i) * HQ + h) * (long long)D, row = (b * HQ + h) * TQ + i;
    const float row_lse = stats[2 * row], delta = stats[2 * row + 1];
${keyRange(s)}
    float acc[D] = {};
    for (int j = lo; j <= hi; ++j) {
      ${score(s)}
      const float p = expf(s - row_lse);
      const long long ko = ((b * TK + j) * HK + kvh) * (long long)D;
      float dp = 0.0f;
      for (int d = 0; d < D; ++d) dp += ${load("dout[oo + d]")} * ${load("v[ko + d]")};
      const float ds = p * (dp - delta) * SCALE;
      for (int d = 0; d < D; ++d) acc[d] += ds * ${load("k[ko + d]")};
    }
    for (int d = 0; d < D; ++d) dq[oo + d] = ${CUDA.store("acc[d]", s.dtype)};
  }`, rows, flops);
  const dkvKernel = kernel("attention_grad_dkv", "attention gradient: dk and dv, a thread per key and kv head",
    [...inputs, ["stats", stats], ["dk", dk!], ["dv", dv!]], `${constants(s)}
  ${loop(`${keys}LL`)}
    const int j = item % TK, kvh = item / TK % HK;
    const long long b = item / ((long long)TK * HK);
    const long long ko = ((b * TK + j) * HK + kvh) * (long long)D;
${queryRange(s)}
    float dk_acc[D] = {}, dv_acc[D] = {};
    for (int h = kvh * GROUP; h < (kvh + 1) * GROUP; ++h) {
      for (int i = first; i <= last; ++i) {
        ${score(s).replace(/\n      /g, "\n        ")}
        const long long row = (b * HQ + h) * TQ + i, qo = ((b * TQ + i) * HQ + h) * (long long)D;
        const float p = expf(s - stats[2 * row]);
        float dp = 0.0f;
        for (int d = 0; d < D; ++d) {
          const float g = ${load("dout[qo + d]")};
          dp += g * ${load("v[ko + d]")};
          dv_acc[d] += p * g;
        }
        const float ds = p * (dp - stats[2 * row + 1]) * SCALE;
        for (int d = 0; d < D; ++d) dk_acc[d] += ds * ${load("q[qo + d]")};
      }
    }
    for (int d = 0; d < D; ++d) {
      dk[ko + d] = ${CUDA.store("dk_acc[d]", s.dtype)};
      dv[ko + d] = ${CUDA.store("dv_acc[d]", s.dtype)};
    }
  }`, keys, 2 * flops);
  return [prep, dqKernel, dkvKernel];
}
