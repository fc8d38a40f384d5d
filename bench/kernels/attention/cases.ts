// The attention lab's cases. `h200`: the kernel benchmark (causal, bf16, d = 128, 32 heads, 16,384 tokens
// per call at T = 1k, 4k, 16k), with the numbers h200-baselines.md measured for torch's FA2 and cuDNN backends as the
// targets; `f16`: the same shapes in f16, with the xformers lowering's kernels (xformersConfigs) as a variant;
// `xformers`: the h200, llama1b and packed (flash) cases with only that variant. `check`: small ragged cases that
// exercise what the benchmark does not: f32 and f16, GQA, sliding windows, documents, Tq != Tk, tails that are not a
// multiple of any tile, head dims 64, 96 and 256, xformers' key splits. `llama1b`: the attention
// of the end-to-end benchmark's model, with tile candidates for head dim 64. `packed`: documents of 64-2048 tokens
// packed into rows of 1k, 4k and 16k (16k tokens per call), the packed-batch benchmark. `scaling`: the
// default kernels from T = 1k to 16k, causal and not, to separate a block's fixed cost from its walk.
// Invariants: every case's spec passes checkSpec; the first variant of a case is the default configs.

import { xformersConfigs, type AttentionConfig, type AttentionSpec } from "../../../backends/cuda/attention/index.ts";

/** Forward and backward tile configs tried together; `undefined` = the default config. */
export interface Variant {
  readonly forward?: AttentionConfig;
  readonly backward?: AttentionConfig;
}

export interface LabCase {
  readonly name: string;
  readonly spec: AttentionSpec;
  /** Variants beyond the defaults (which always run first). */
  readonly variants: readonly Variant[];
  /** (batch, kv head) slices checked against the reference: the first and last, or every one. */
  readonly samples: "ends" | "all";
  /** What to beat, printed beside the timings. */
  readonly target: string;
  /** With documents: the range of document lengths (default 1 to T/2; harness.cuh segment_ids). */
  readonly documents?: { readonly min: number; readonly max: number };
}

const H200_TARGETS: Record<number, string> = {
  1024: "FA2 236 / 192, cuDNN 448 / 353",
  4096: "FA2 323 / 276, cuDNN 590 / 473",
  16384: "FA2 332 / 318, cuDNN 597 / 531",
};

/**
 * Beside the default backward: the mma.sync backward with its default tiles at head dim 128 or 64 (what sm_80-sm_90
 * builds use), wgmma with one warpgroup (64 keys), with f32 atomics and with the blocked dQ accumulator, and the
 * variants of dqVariants.
 */
function backwardVariants(mmaDefault: AttentionConfig, D: number): Variant[] {
  const one: AttentionConfig = { Br: 64, Bc: 64, warps: 4, mainloop: "wgmma" };
  return [{ backward: mmaDefault }, { backward: one }, { backward: { ...one, dqBlocked: true } }, ...dqVariants(D)];
}

/**
 * Beside the default backward (on the lab's sm_90a, wgmma with a producer warpgroup and the blocked dQ accumulator):
 * the same tiles with dQ by f32 atomics, with and without the producer, the blocked accumulator without it, and at
 * head dim 128 the default with three query stages (and so one dQ staging buffer).
 */
function dqVariants(D: number): Variant[] {
  const tiles: AttentionConfig = D === 64 ? { Br: 128, Bc: 128, warps: 8, mainloop: "wgmma" }
    : { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma" };
  const three: Variant[] = D === 128
    ? [{ backward: { ...tiles, warps: 12, producer: true, dqBlocked: true, queryStages: 3 } }] : [];
  return [{ backward: tiles }, { backward: { ...tiles, warps: 12, producer: true } },
    { backward: { ...tiles, dqBlocked: true } }, ...three];
}

/** Beside the default forward (on the lab's sm_90a, wgmma): other wgmma tiles, with and without a producer warpgroup,
 * and the mma.sync forward with its default tiles (what sm_80-sm_90 builds use). */
function forwardVariants(mmaDefault: AttentionConfig): Variant[] {
  return [{ forward: mmaDefault }, { forward: { Br: 128, Bc: 64, warps: 8, mainloop: "wgmma" } },
    { forward: { Br: 64, Bc: 128, warps: 4, mainloop: "wgmma" } },
    { forward: { Br: 128, Bc: 128, warps: 12, mainloop: "wgmma", producer: true } },
    { forward: { Br: 128, Bc: 64, warps: 12, mainloop: "wgmma", producer: true } },
    { forward: { Br: 64, Bc: 128, warps: 8, mainloop: "wgmma", producer: true } }];
}

const BF16_VARIANTS: readonly Variant[] = [
  ...forwardVariants({ Br: 128, Bc: 64, warps: 4 }),
  { forward: { Br: 128, Bc: 32, warps: 4 }, backward: { Br: 32, Bc: 128, warps: 8 } },
  { forward: { Br: 128, Bc: 128, warps: 8 }, backward: { Br: 64, Bc: 64, warps: 4 } },
  { forward: { Br: 64, Bc: 64, warps: 4 }, backward: { Br: 128, Bc: 64, warps: 8 } },
  { forward: { Br: 128, Bc: 64, warps: 8 }, backward: { Br: 64, Bc: 64, warps: 8 } },
  { forward: { Br: 64, Bc: 128, warps: 4 }, backward: { Br: 32, Bc: 64, warps: 8 } },
  ...backwardVariants({ Br: 64, Bc: 128, warps: 8 }, 128),
];

/** The shape of h200, packed and scaling: bf16, d = 128, 32 heads, 16,384 tokens per call in rows of T; `extra`
 * overrides (the packed set's documents and block table). */
function benchSpec(T: number, causal: boolean, extra: Partial<AttentionSpec> = {}): AttentionSpec {
  return { dtype: "bf16", B: 16384 / T, Tq: T, Tk: T, Hq: 32, Hk: 32, D: 128, causal, scale: 1 / Math.sqrt(128),
    window: 0, documents: false, ...extra };
}

function h200(): LabCase[] {
  return [1024, 4096, 16384].map((T) => {
    const spec = benchSpec(T, true);
    return {
      name: `h200-causal-T${T}`, spec, variants: BF16_VARIANTS, samples: "ends",
      target: `fwd / fwd+bwd TFLOP/s to beat: ${H200_TARGETS[T]}`,
    };
  });
}

/** The h200 set's shapes in f16 (fp16: true), the default kernels and xformers'. */
function f16(): LabCase[] {
  return h200().map((c) => {
    const spec: AttentionSpec = { ...c.spec, dtype: "f16" };
    return { ...c, name: c.name.replace("h200", "f16"), spec, variants: [xformersConfigs(spec)] };
  });
}

function small(name: string, spec: Omit<AttentionSpec, "scale">, variants: readonly Variant[] = []): LabCase {
  return { name, spec: { ...spec, scale: 1 / Math.sqrt(spec.D) }, variants, samples: "all", target: "" };
}

function check(): LabCase[] {
  return [
    small("f32-gqa-causal", { dtype: "f32", B: 2, Tq: 300, Tk: 300, Hq: 8, Hk: 2, D: 64, causal: true, window: 0,
      documents: false }, [{ forward: { Br: 32, Bc: 32, warps: 4 }, backward: { Br: 16, Bc: 16, warps: 4 } }]),
    small("f32-window-cross", { dtype: "f32", B: 1, Tq: 200, Tk: 333, Hq: 4, Hk: 4, D: 128, causal: false,
      window: 50, documents: false }),
    small("f32-documents-window", { dtype: "f32", B: 2, Tq: 500, Tk: 500, Hq: 4, Hk: 1, D: 96, causal: true,
      window: 64, documents: true }),
    small("f32-d256", { dtype: "f32", B: 1, Tq: 129, Tk: 129, Hq: 2, Hk: 1, D: 256, causal: false, window: 0,
      documents: false }),
    small("bf16-gqa-documents", { dtype: "bf16", B: 2, Tq: 1000, Tk: 1000, Hq: 8, Hk: 2, D: 128, causal: true,
      window: 0, documents: true }, BF16_VARIANTS),
    small("bf16-flex-documents-window", { dtype: "bf16", B: 2, Tq: 1000, Tk: 1000, Hq: 8, Hk: 2, D: 128, causal: true,
      window: 300, documents: true, blocks: true }),
    small("f32-flex-documents", { dtype: "f32", B: 1, Tq: 600, Tk: 600, Hq: 2, Hk: 1, D: 64, causal: false, window: 0,
      documents: true, blocks: true }),
    small("bf16-d64-window", { dtype: "bf16", B: 1, Tq: 777, Tk: 777, Hq: 4, Hk: 4, D: 64, causal: true, window: 100,
      documents: false }, [...BF16_VARIANTS.slice(0, -dqVariants(128).length), ...dqVariants(64)]),
    small("bf16-cross", { dtype: "bf16", B: 3, Tq: 130, Tk: 77, Hq: 6, Hk: 3, D: 128, causal: false, window: 0,
      documents: false }),
    small("f16-gqa-documents-window", { dtype: "f16", B: 2, Tq: 1000, Tk: 1000, Hq: 8, Hk: 2, D: 128, causal: true,
      window: 300, documents: true }, [{ backward: { Br: 64, Bc: 128, warps: 8 } }, { forward: { Br: 128, Bc: 64, warps: 4 } },
      { backward: { Br: 64, Bc: 64, warps: 4, keySplits: 3 } }]),
    small("f16-d64-xformers-one-split", { dtype: "f16", B: 8, Tq: 100, Tk: 100, Hq: 32, Hk: 8, D: 64, causal: true,
      window: 0, documents: false }, [{ forward: { Br: 64, Bc: 64, warps: 4 }, backward: { Br: 64, Bc: 64, warps: 4, keySplits: 1 } }]),
  ];
}

/** Tile configs tried on the Llama-3.2-1B shape (head dim 64 leaves room for wider tiles than d = 128). */
const D64_VARIANTS: readonly Variant[] = [
  ...forwardVariants({ Br: 128, Bc: 128, warps: 4 }),
  { forward: { Br: 128, Bc: 128, warps: 8 }, backward: { Br: 128, Bc: 64, warps: 8 } },
  { forward: { Br: 256, Bc: 64, warps: 8 }, backward: { Br: 64, Bc: 64, warps: 4 } },
  { forward: { Br: 64, Bc: 128, warps: 4 }, backward: { Br: 32, Bc: 128, warps: 4 } },
  { forward: { Br: 128, Bc: 32, warps: 4 }, backward: { Br: 32, Bc: 128, warps: 8 } },
  { backward: { Br: 128, Bc: 64, warps: 4 } },
  { backward: { Br: 64, Bc: 64, warps: 8 } },
  { backward: { Br: 64, Bc: 128, warps: 12, mainloop: "wgmma", producer: true } },
  ...backwardVariants({ Br: 128, Bc: 128, warps: 8 }, 64),
];

/** The attention of the end-to-end benchmark (bench/llama-1b): GQA 32/8 heads of 64, B=4, T=4096, with and without
 * the documents the train step always passes. */
function llama1b(): LabCase[] {
  return [true, false].map((documents) => {
    const spec: AttentionSpec = { dtype: "bf16", B: 4, Tq: 4096, Tk: 4096, Hq: 32, Hk: 8, D: 64, causal: true,
      scale: 1 / 8, window: 0, documents };
    return {
      name: `llama1b-T4096${documents ? "-documents" : ""}`, spec, variants: D64_VARIANTS,
      samples: "ends", target: "",
    };
  });
}

/**
 * The packed-batch benchmark: 16,384 tokens in rows of T = 1k, 4k or 16k (B = 16384 / T), each row holding
 * documents of 64 to 2048 tokens (causal within each; a row's last one cut), bf16, d = 128, 32 heads, as flash
 * (document ranges) and as flex (a block table); torch_sdpa.py --packed times torch's varlen (FA2) and FlexAttention on
 * the same documents. TFLOP/s count only the pairs inside a document. The 16k row carries the tile variants.
 */
function packed(): LabCase[] {
  return [1024, 4096, 16384].flatMap((T) => [false, true].map((blocks) => {
    const spec = benchSpec(T, true, { documents: true, blocks });
    return {
      name: `packed-docs-T${T}${blocks ? "-flex" : ""}`, spec,
      variants: T === 16384 ? BF16_VARIANTS : [], samples: "ends" as const,
      target: "torch_sdpa.py --packed: varlen (FA2) and flex on the same documents", documents: { min: 64, max: 2048 },
    };
  }));
}

/** The h200, packed (document ranges) and llama1b cases with the xformers lowering's kernels as their one variant. */
function xformersSet(): LabCase[] {
  return [...h200(), ...packed().filter((c) => !c.spec.blocks), ...llama1b()]
    .map((c) => ({ ...c, variants: [xformersConfigs(c.spec)] }));
}

/**
 * How the default kernels' speed grows with the walk: causal and full (non-causal) attention, bf16, d = 128, 32 heads,
 * 16,384 tokens per call at T = 1k, 2k, 4k, 8k, 16k. Fitting time = blocks * fixed + iterations * step over the
 * lengths separates what a block costs once (launch, first loads, last stores, masked tiles) from its walk.
 */
function scaling(): LabCase[] {
  return [true, false].flatMap((causal) => [1024, 2048, 4096, 8192, 16384].map((T) => {
    return { name: `scaling-${causal ? "causal" : "full"}-T${T}`, spec: benchSpec(T, causal), variants: [],
      samples: "ends" as const, target: "" };
  }));
}

/** Case sets by name. */
export const CASE_SETS: Readonly<Record<string, () => LabCase[]>> = {
  check, f16, h200, llama1b, packed, scaling, xformers: xformersSet,
};
