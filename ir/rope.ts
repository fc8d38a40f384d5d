// The meaning of the rope_tables op: Hugging Face transformers v5's rotary-embedding frequency rules per rope_type
// (modeling_rope_utils.py: default, linear, dynamic NTK, yarn, llama3, longrope, and `dynamic_rope_update`).
// Given the op's attributes and the batch's seq_len = max(position_ids) + 1 it returns the inverse frequencies and
// the attention scaling folded into cos/sin: cos = cos(pos * inv_freq) * scaling for both halves of the head dim.
// Precision: HF computes inv_freq in float32 (torch tensors) while its scalar parameters (yarn's correction range
// and mscale, llama3's wavelength bounds, longrope's attention factor) are Python doubles. We emulate each float32
// tensor step with Math.fround (`f` below), so our inv_freq equals HF's buffer value except where torch's
// vectorized float32 pow differs from a correctly rounded one (at most an ulp); angles, cos and sin are then
// computed in double, as in our float64 reference fixtures (HF's float32 angle downcast patched out).
// Dynamic and longrope depend on seq_len the way a freshly built HF model does on its first batch: dynamic NTK
// rescales when seq_len > max_position_embeddings (else default frequencies); longrope uses long_factor when
// seq_len > original_max_position_embeddings (else short_factor). HF's module keeps grown dynamic frequencies
// across later batches; this function is stateless.
// Error codes (IR attribute errors):
//   3401 an attribute the rope_type needs is missing
//   3402 longrope short_factor / long_factor length is not dim / 2
//   3403 an attribute value is out of range (dim, theta, factor, llama3 frequency factors)

import { TraincError } from "../compiler/diagnostics.ts";
import type { Attrs } from "./graph.ts";

/** The rope_type values rope_tables accepts (Hugging Face's names). */
export const ROPE_TYPES: readonly string[] = ["default", "linear", "dynamic", "yarn", "llama3", "longrope"];

/** Inverse frequencies (dim / 2 of them) and the factor cos and sin are multiplied by. */
export interface RopeFrequencies {
  readonly invFreq: number[];
  readonly attentionScaling: number;
}

/** Rounds to float32: one torch float32 tensor operation. */
const f = Math.fround;

/** The float32 exponents 2i/dim, as torch.arange(0, dim, 2).float() / dim. */
function exponents(dim: number): number[] {
  return Array.from({ length: dim / 2 }, (_, i) => f((2 * i) / dim));
}

/** float32 base ** (2i/dim) for each i. */
function powers(base: number, dim: number): number[] {
  return exponents(dim).map((e) => f(Math.pow(f(base), e)));
}

/** The default rule: inv_freq[i] = 1 / theta^(2i/dim), in float32. */
function defaultInvFreq(theta: number, dim: number): number[] {
  return powers(theta, dim).map((p) => f(1 / p));
}

/** Reads the attributes one rope_type needs, failing with 3401 when one is absent. */
class RopeAttrs {
  constructor(private readonly attrs: Attrs, readonly type: string) {}

  num(name: string): number | undefined {
    return this.attrs[name] as number | undefined;
  }

  flag(name: string, fallback: boolean): boolean {
    return (this.attrs[name] as boolean | undefined) ?? fallback;
  }

  need(name: string): number {
    const value = this.num(name);
    if (value === undefined) {
      throw new TraincError(3401, `rope_tables: rope_type '${this.type}' needs attribute '${name}'`,
        `set ${name} in the model's rope parameters (config.json rope_parameters / rope_scaling)`);
    }
    return value;
  }

  /** original_max_position_embeddings, which HF defaults to max_position_embeddings. */
  originalMax(): number {
    const value = this.num("original_max_position_embeddings") ?? this.num("max_position_embeddings");
    if (value === undefined) this.need("original_max_position_embeddings");
    return value!;
  }

  positive(name: string, value: number): number {
    if (!(value > 0)) throw new TraincError(3403, `rope_tables: ${name} must be positive, got ${value}`);
    return value;
  }
}

function linear(a: RopeAttrs, theta: number, dim: number): RopeFrequencies {
  const factor = f(a.positive("factor", a.need("factor")));
  return { invFreq: defaultInvFreq(theta, dim).map((x) => f(x / factor)), attentionScaling: 1 };
}

/** Dynamic NTK: theta' = theta * (factor * L / max - (factor - 1)) ^ (dim / (dim - 2)), float32 since L is a tensor. */
function dynamic(a: RopeAttrs, theta: number, dim: number, seqLen: number): RopeFrequencies {
  const factor = a.positive("factor", a.need("factor"));
  const max = a.need("max_position_embeddings");
  if (seqLen <= max) return { invFreq: defaultInvFreq(theta, dim), attentionScaling: 1 };
  const ratio = f(f(f(f(seqLen) * f(factor)) / f(max)) - f(factor - 1));
  const base = f(f(theta) * f(Math.pow(ratio, f(dim / (dim - 2)))));
  return { invFreq: defaultInvFreq(base, dim), attentionScaling: 1 };
}

function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/** YaRN: blend interpolated and extrapolated frequencies with a linear ramp over the correction range. */
function yarn(a: RopeAttrs, theta: number, dim: number): RopeFrequencies {
  const factor = a.positive("factor", a.need("factor"));
  const original = a.originalMax();
  const mscale = a.num("mscale");
  const mscaleAllDim = a.num("mscale_all_dim");
  const attentionScaling = a.num("attention_factor") ??
    (mscale && mscaleAllDim ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim) : yarnMscale(factor));
  const correctionDim = (rotations: number) =>
    (dim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = correctionDim(a.num("beta_fast") || 32);
  let high = correctionDim(a.num("beta_slow") || 1);
  if (a.flag("truncate", true)) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001;
  const invFreq = powers(theta, dim).map((p, i) => {
    const ramp = Math.min(1, Math.max(0, f(f(i - f(low)) / f(high - low))));
    const extrapolation = f(1 - ramp);
    const inter = f(1 / f(f(factor) * p));
    const extra = f(1 / p);
    return f(f(inter * f(1 - extrapolation)) + f(extra * extrapolation));
  });
  return { invFreq, attentionScaling };
}

/** Llama 3.1: divide low frequencies by factor, keep high ones, smooth in between (float32 tensor ops). */
function llama3(a: RopeAttrs, theta: number, dim: number): RopeFrequencies {
  const factor = a.positive("factor", a.need("factor"));
  const lowFactor = a.need("low_freq_factor");
  const highFactor = a.need("high_freq_factor");
  if (!(highFactor > lowFactor)) {
    throw new TraincError(3403, `rope_tables: llama3 high_freq_factor (${highFactor}) must be greater than ` +
      `low_freq_factor (${lowFactor})`, "fix rope parameters high_freq_factor / low_freq_factor");
  }
  const original = a.originalMax();
  const lowWavelen = f(original / lowFactor);
  const highWavelen = f(original / highFactor);
  const invFreq = defaultInvFreq(theta, dim).map((inv) => {
    const wavelen = f(f(1 / inv) * f(2 * Math.PI));
    const scaled = wavelen > lowWavelen ? f(inv / f(factor)) : inv;
    if (wavelen < highWavelen || wavelen > lowWavelen) return scaled;
    const smooth = f(f(f(f(1 / wavelen) * f(original)) - f(lowFactor)) / f(highFactor - lowFactor));
    return f(f(f(f(1 - smooth) * scaled) / f(factor)) + f(smooth * scaled));
  });
  return { invFreq, attentionScaling: 1 };
}

/** LongRoPE: per-frequency rescale factors, long ones past the original context. */
function longrope(a: RopeAttrs, theta: number, dim: number, seqLen: number, attrs: Attrs): RopeFrequencies {
  for (const key of ["short_factor", "long_factor"]) {
    const list = attrs[key] as readonly number[] | undefined;
    if (list === undefined) a.need(key);
    if (list!.length !== dim / 2) {
      throw new TraincError(3402, `rope_tables: longrope ${key} has ${list!.length} entries, dim ${dim} needs ${dim / 2}`,
        `give ${dim / 2} factors (head_dim * partial_rotary_factor / 2)`);
    }
  }
  const original = a.originalMax();
  const factor = a.num("factor") ?? a.need("max_position_embeddings") / original;
  const attentionScaling = a.num("attention_factor") ??
    (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
  const ext = attrs[seqLen > original ? "long_factor" : "short_factor"] as readonly number[];
  return { invFreq: powers(theta, dim).map((p, i) => f(1 / f(f(ext[i]!) * p))), attentionScaling };
}

/**
 * Inverse frequencies and attention scaling for a rope_tables node's attributes (ROPE_ATTRS in ir/ops/model.ts)
 * and the batch's seq_len = max(position_ids) + 1. Throws TraincError 3401-3403 on missing or bad attributes.
 */
export function ropeFrequencies(attrs: Attrs, seqLen: number): RopeFrequencies {
  const type = (attrs["rope_type"] as string | undefined) ?? "default";
  const a = new RopeAttrs(attrs, type);
  const dim = a.need("dim");
  if (!Number.isInteger(dim) || dim <= 0 || dim % 2 !== 0) {
    throw new TraincError(3403, `rope_tables: dim must be a positive even integer, got ${dim}`);
  }
  const theta = a.positive("theta", a.need("theta"));
  switch (type) {
    case "default": return { invFreq: defaultInvFreq(theta, dim), attentionScaling: 1 };
    case "linear": return linear(a, theta, dim);
    case "dynamic": return dynamic(a, theta, dim, seqLen);
    case "yarn": return yarn(a, theta, dim);
    case "llama3": return llama3(a, theta, dim);
    case "longrope": return longrope(a, theta, dim, seqLen, attrs);
    default:
      throw new TraincError(3401, `rope_tables: rope_type '${type}' is not one of ${ROPE_TYPES.join(", ")}`);
  }
}
