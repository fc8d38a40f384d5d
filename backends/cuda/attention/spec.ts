// What an attention kernel computes (AttentionSpec: the `attention` / `attention_grad` node with every size made a
// number by the schedule) and how it is tiled (AttentionConfig), with the checks that reject what the generators
// cannot build. Sits between backends/schedule (which builds specs from IR nodes) and the CUDA renderers here.
// Invariants: a spec that passes checkSpec has Hq % Hk == 0, Tq == Tk when causal or with documents, a positive finite
// scale, and a head dim the dtype's path supports; a config that passes checkForwardConfig / checkBackwardConfig
// fits the register layout its renderer assumes and the sm_90 shared-memory limit.
//
// Error codes (5xxx backends; 530x is attention's block):
//   5301  dtype other than bf16, f16 or f32
//   5302  head dim the kernel path does not support
//   5303  query heads not a positive multiple of key/value heads, or a size that is not a positive integer
//   5304  causal attention or documents with Tq != Tk, or a block table or prefix-LM without document ranges
//   5305  scale not positive and finite, or window negative
//   5306  tile config whose shape does not fit the kernel's warp layout (or, with a block table, does not divide a block)
//   5307  tile config whose shared memory exceeds what one block may use on sm_90

import { fail } from "../../../compiler/diagnostics.ts";
import { isHalf, type HalfDType } from "../half.ts";

/**
 * One attention node with static sizes. q [B,Tq,Hq,D], k/v [B,Tk,Hk,D], document ranges i32 [B,Tq,2] when
 * `documents` (or prefix-LM ranges [B,Tq,4] with `prefix`; mask.ts). The op allows v a head dim of its own; these
 * kernels need it equal to q's (the schedule must not build a spec otherwise).
 */
export interface AttentionSpec {
  /** bf16 and f16 run on the tensor cores (HalfDType), f32 on the f32 kernels. */
  readonly dtype: HalfDType | "f32";
  readonly B: number;
  readonly Tq: number;
  readonly Tk: number;
  readonly Hq: number;
  readonly Hk: number;
  readonly D: number;
  readonly causal: boolean;
  readonly scale: number;
  /** 0 = no window; otherwise key j is visible from query i only when i - j < window. */
  readonly window: number;
  /** Queries see only keys of their own document, given as ranges [start, end) per position. */
  readonly documents: boolean;
  /**
   * The documents are prefix-LM ranges [klo, khi, qlo, qhi) per position instead (prefix_lm_ranges): the keys query t
   * sees, then the queries that see key t (mask.ts reads the pair of the side a kernel walks).
   */
  readonly prefix?: boolean;
  /** The kernels visit only the blocks a block table lists (block_mask, the flex lowering; needs documents). */
  readonly blocks?: boolean;
}

/**
 * Tiling of one kernel: `Br` query rows and `Bc` key rows per tile, `warps` warps per block. The forward kernel owns a
 * query tile and walks key tiles; the backward kernel owns a key tile and walks query tiles of every head in its group.
 */
export interface AttentionConfig {
  readonly Br: number;
  readonly Bc: number;
  readonly warps: number;
  /** The 16-bit kernels' tensor-core path: `mma` (mma.sync, any sm_80+; the default) or `wgmma` (sm_90a only). */
  readonly mainloop?: "mma" | "wgmma";
  /**
   * wgmma kernels only: one more warpgroup (counted in `warps`) loads the tiles through mbarriers while the others
   * compute (warp specialization, producer.ts), instead of every thread loading between block barriers.
   */
  readonly producer?: boolean;
  /**
   * The mma.sync backward only (xformers' split-key walk): blocks per (batch, kv head) along the keys, block `split`
   * walking key tiles split, split + keySplits, ... one after another; absent: one block per key tile.
   */
  readonly keySplits?: number;
  /**
   * The wgmma backward only: dq_accum in 64 x 64 blocks (backward-prep.ts dqAccumulatorShape); each warpgroup stages
   * its dQ piece of a query tile in shared memory and one of its threads adds it into dq_accum with one bulk
   * reduction (cp.reduce.async.bulk, FlashAttention-3's dQ writer), instead of every thread issuing f32 atomics.
   */
  readonly dqBlocked?: boolean;
  /**
   * The wgmma backward with a producer only: buffers of each query tile (Q, dO, lse, delta) the producer fills ahead of
   * the computing warpgroups, 2 (absent) or 3 (at head dim 128 with dqBlocked, then one dQ staging buffer fits, not two).
   */
  readonly queryStages?: 2 | 3;
}

/** Shared memory one block may use on sm_90 (227 KiB). */
export const MAX_SHARED_BYTES = 227 * 1024;

/** log2(e): scores are scaled by scale * LOG2E so the kernels can use exp2. */
export const LOG2E = Math.LOG2E;

function describe(s: AttentionSpec): string {
  return `attention ${s.dtype} B=${s.B} Tq=${s.Tq} Tk=${s.Tk} Hq=${s.Hq} Hk=${s.Hk} D=${s.D}`;
}

/** Throws a TraincError (5301-5305) naming the first rule the spec breaks. */
export function checkSpec(s: AttentionSpec): void {
  if (!isHalf(s.dtype) && s.dtype !== "f32") {
    fail(5301, `${describe(s)}: the CUDA attention kernels take bf16, f16 or f32, not ${s.dtype}`,
      "train with bf16: true (bf16), fp16: true (f16) or bf16: false (f32)");
  }
  const sizes = { B: s.B, Tq: s.Tq, Tk: s.Tk, Hq: s.Hq, Hk: s.Hk, D: s.D };
  for (const [key, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value <= 0) {
      fail(5303, `${describe(s)}: ${key} = ${value} is not a positive integer`,
        "the schedule must specialize every size of the attention node to a number");
    }
  }
  if (s.Hq % s.Hk !== 0) {
    fail(5303, `${describe(s)}: ${s.Hq} query heads are not a multiple of ${s.Hk} key/value heads`,
      "check num_attention_heads and num_key_value_heads in the model's config.json");
  }
  checkHeadDim(s);
  if ((s.blocks || s.prefix) && !s.documents) {
    fail(5304, `${describe(s)}: ${s.blocks ? "a block table" : "prefix-LM"} needs document ranges`,
      "build attention through the compiler pipeline");
  }
  if ((s.causal || s.documents) && s.Tq !== s.Tk) {
    fail(5304, `${describe(s)}: ${s.causal ? "causal attention" : "documents"} need as many keys as queries`,
      "use Tq == Tk (self-attention) or non-causal attention without documents");
  }
  if (!Number.isFinite(s.scale) || s.scale <= 0) {
    fail(5305, `${describe(s)}: scale ${s.scale} must be positive and finite`,
      "use 1/sqrt(head_dim) or the model's scale");
  }
  if (!Number.isInteger(s.window) || s.window < 0) {
    fail(5305, `${describe(s)}: window ${s.window} must be a non-negative integer`,
      "check sliding_window in config.json");
  }
}

/** Head dims the 16-bit tensor-core kernels take (backends/cuda/legalize.ts runs other bf16 / f16 attention in f32). */
export const TENSOR_CORE_HEAD_DIMS: readonly number[] = [64, 128];

/** Head dims the f32 kernels take are multiples of this (legalize.ts zero-pads others up to one) ... */
export const F32_HEAD_DIM_STEP = 8;
/** ... up to this. */
export const F32_MAX_HEAD_DIM = 256;

function checkHeadDim(s: AttentionSpec): void {
  if (isHalf(s.dtype) && !TENSOR_CORE_HEAD_DIMS.includes(s.D)) {
    fail(5302, `${describe(s)}: the ${s.dtype} tensor-core kernels take head dim 64 or 128, not ${s.D}`,
      "use a model with head_dim 64 or 128, or train in f32 (bf16: false, fp16: false)");
  }
  if (s.dtype === "f32" && (s.D % F32_HEAD_DIM_STEP !== 0 || s.D > F32_MAX_HEAD_DIM)) {
    fail(5302, `${describe(s)}: the f32 kernels take a head dim that is a multiple of 8 up to 256, not ${s.D}`,
      "use a model whose head_dim is a multiple of 8 and at most 256");
  }
}

/** "Br=64 Bc=128 warps=8" (and the mainloop when it is not the default). */
export function describeConfig(c: AttentionConfig): string {
  return `Br=${c.Br} Bc=${c.Bc} warps=${c.warps}${c.mainloop === "wgmma" ? " wgmma" : ""}${c.producer ? " producer" : ""}` +
    `${c.keySplits !== undefined ? ` keySplits=${c.keySplits}` : ""}${c.dqBlocked ? " dqBlocked" : ""}` +
    `${c.queryStages !== undefined ? ` queryStages=${c.queryStages}` : ""}`;
}

/** Throws 5306 with the config, the rule it breaks and a hint. */
export function badConfig(kernel: string, c: AttentionConfig, rule: string): never {
  fail(5306, `${kernel} config ${describeConfig(c)}: ${rule}`,
    "use the default config for this spec or one the autotuner lists");
}

/** Throws 5307 when `bytes` of shared memory do not fit one block. */
export function checkShared(kernel: string, c: AttentionConfig, bytes: number): void {
  if (bytes > MAX_SHARED_BYTES) {
    fail(5307, `${kernel} config ${describeConfig(c)} needs ${bytes} bytes of shared memory, ` +
      `more than the ${MAX_SHARED_BYTES} one block may use`, "use smaller tiles (Br, Bc)");
  }
}

/**
 * Whether the spec's mask is causal in shape: causal, or prefix-LM (not causal as an op attribute, but causal past
 * each document's prefix), so counts and launch orders treat it as causal.
 */
export function causalShape(s: AttentionSpec): boolean {
  return s.causal || s.prefix === true;
}

/**
 * Number of (query, key) pairs that causal and window masking leave visible (documents are data: not counted;
 * prefix-LM counts as causal, a lower bound).
 */
export function visiblePairs(s: AttentionSpec): number {
  let pairs = 0;
  for (let i = 0; i < s.Tq; i++) {
    const hi = causalShape(s) ? Math.min(i, s.Tk - 1) : s.Tk - 1;
    const lo = s.window > 0 ? Math.max(0, i - s.window + 1) : 0;
    pairs += Math.max(0, hi - lo + 1);
  }
  return pairs;
}

/** Useful flops of the forward pass: two matmuls over the visible pairs of every (batch, query head). */
export function forwardFlops(s: AttentionSpec): number {
  return 4 * s.B * s.Hq * s.D * visiblePairs(s);
}

/** Bytes per element of the spec's dtype. */
export function elementBytes(s: AttentionSpec): number {
  return s.dtype === "f32" ? 4 : 2;
}

/** Elements of q (and of out, dout, dq). */
export function queryElements(s: AttentionSpec): number {
  return s.B * s.Tq * s.Hq * s.D;
}

/** Elements of k (and of v, dk, dv). */
export function keyElements(s: AttentionSpec): number {
  return s.B * s.Tk * s.Hk * s.D;
}

/** Elements of one per-row f32 vector [B,Hq,Tq] (lse, delta). */
export function rowElements(s: AttentionSpec): number {
  return s.B * s.Hq * s.Tq;
}

/** Bytes of the document ranges (0 when the spec has none). */
export function documentBytes(s: AttentionSpec): number {
  return s.documents ? s.B * s.Tq * (s.prefix ? 16 : 8) : 0;
}
