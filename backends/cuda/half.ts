// The 16-bit float element types the CUDA tensor-core kernels take, bf16 and f16, in one table: their C spellings
// (cuda_bf16.h / cuda_fp16.h), the conversions the kernels use, and the PTX type of their mma and cvt instructions.
// The GEMM and attention generators render one text for both through this table.
// Invariants: both types are 16 bits wide with the same pair layout (low half first), so every tile, copy and
// ldmatrix works on them alike; only decoding, rounding and the mma/cvt type name differ.

import type { DType } from "../../ir/dtype.ts";

/** A 16-bit float element type of the tensor-core kernels. */
export type HalfDType = "bf16" | "f16";

/** How kernels spell one 16-bit float type. */
export interface HalfType {
  readonly dtype: HalfDType;
  /** The element type: `__nv_bfloat16` or `__half`. */
  readonly c: string;
  /** Two elements, low first: `__nv_bfloat162` or `__half2`. */
  readonly pair: string;
  /** Element -> float (exact). */
  readonly toFloat: string;
  /** float -> element, rounded to nearest even. */
  readonly fromFloat: string;
  /** Pair -> float2 (exact). */
  readonly pairToFloat2: string;
  /** Two floats -> pair, each rounded to nearest even. */
  readonly floatsToPair: string;
  /** The type's name in PTX (mma, wgmma, cvt): `bf16` or `f16`. */
  readonly ptx: string;
}

export const HALF_TYPES: Readonly<Record<HalfDType, HalfType>> = {
  bf16: {
    dtype: "bf16", c: "__nv_bfloat16", pair: "__nv_bfloat162", toFloat: "__bfloat162float",
    fromFloat: "__float2bfloat16_rn", pairToFloat2: "__bfloat1622float2", floatsToPair: "__floats2bfloat162_rn",
    ptx: "bf16",
  },
  f16: {
    dtype: "f16", c: "__half", pair: "__half2", toFloat: "__half2float", fromFloat: "__float2half_rn",
    pairToFloat2: "__half22float2", floatsToPair: "__floats2half2_rn", ptx: "f16",
  },
};

/** Whether `dtype` is one of the tensor-core kernels' 16-bit float types. */
export function isHalf(dtype: DType | string): dtype is HalfDType {
  return dtype === "bf16" || dtype === "f16";
}
