// ir/rope.ts: each rope_type's frequencies against values derived by hand from the transformers v5 formulas
// (head dim 8 and theta 10000 give default frequencies 1, 1/10, 1/100, 1/1000), attention scaling, the seq_len
// rules of dynamic and longrope, and attribute validation.

import { describe, expect, it } from "vitest";
import { TraincError } from "../../compiler/diagnostics.ts";
import { ropeFrequencies } from "../../ir/rope.ts";
import { expectClose } from "./helpers.ts";

const base = { dim: 8, theta: 10000 };
const DEFAULT = [1, 0.1, 0.01, 0.001];
const rel = 1e-6;

function freqs(attrs: Record<string, unknown>, seqLen = 1) {
  return ropeFrequencies({ ...base, ...attrs } as never, seqLen);
}

describe("default and linear", () => {
  it("default: 1 / theta^(2i/dim), rounded to float32 as HF's buffer", () => {
    const { invFreq, attentionScaling } = freqs({ rope_type: "default" });
    expect(invFreq).toEqual(DEFAULT.map(Math.fround));
    expect(attentionScaling).toBe(1);
  });

  it("linear divides by factor", () => {
    expectClose(freqs({ rope_type: "linear", factor: 4 }).invFreq, DEFAULT.map((v) => v / 4), rel);
  });
});

describe("dynamic NTK", () => {
  const attrs = { rope_type: "dynamic", factor: 3, max_position_embeddings: 32 };
  it("keeps default frequencies up to max_position_embeddings", () => {
    expect(freqs(attrs, 32).invFreq).toEqual(DEFAULT.map(Math.fround));
  });

  it("rescales theta past it: theta * (factor*L/max - (factor-1))^(dim/(dim-2))", () => {
    const theta = 10000 * (3 * 64 / 32 - 2) ** (8 / 6);
    const { invFreq, attentionScaling } = freqs(attrs, 64);
    expectClose(invFreq, [0, 1, 2, 3].map((i) => theta ** (-i / 4)), rel);
    expect(attentionScaling).toBe(1);
  });
});

describe("yarn", () => {
  it("truncated correction range [0, 1]: dim 0 extrapolates, the rest interpolate", () => {
    // low = floor(8 ln(16 / (32*2pi)) / (2 ln 1e4)) = floor(-1.10) -> 0; high = ceil(0.41) = 1; ramp = [0, 1, 1, 1].
    const { invFreq, attentionScaling } = freqs({ rope_type: "yarn", factor: 4, original_max_position_embeddings: 16 });
    expectClose(invFreq, [1, 0.1 / 4, 0.01 / 4, 0.001 / 4], rel);
    expectClose([attentionScaling], [0.1 * Math.log(4) + 1], 1e-15);
  });

  it("a ramp that blends: truncate on and off", () => {
    // low = 8 ln(2048 / (32*2pi)) / (2 ln 1e4) = 1.0080, high = 8 ln(2048 / (2pi)) / (2 ln 1e4) = 2.5132.
    const attrs = { rope_type: "yarn", factor: 4, original_max_position_embeddings: 2048 };
    const blend = (i: number, ramp: number) => DEFAULT[i]! * ((1 - ramp) + ramp / 4);
    expectClose(freqs(attrs).invFreq, [blend(0, 0), blend(1, 0), blend(2, 0.5), blend(3, 1)], rel);
    const low = (8 * Math.log(2048 / (32 * 2 * Math.PI))) / (2 * Math.log(10000));
    const high = (8 * Math.log(2048 / (2 * Math.PI))) / (2 * Math.log(10000));
    const ramp = (i: number) => Math.min(1, Math.max(0, (i - low) / (high - low)));
    expectClose(freqs({ ...attrs, truncate: false }).invFreq, [0, 1, 2, 3].map((i) => blend(i, ramp(i))), rel);
  });

  it("attention factor from mscale / mscale_all_dim, or given explicitly", () => {
    const attrs = { rope_type: "yarn", factor: 4, original_max_position_embeddings: 16, mscale: 2, mscale_all_dim: 0.5 };
    const m = (s: number) => 0.1 * s * Math.log(4) + 1;
    expectClose([freqs(attrs).attentionScaling], [m(2) / m(0.5)], 1e-15);
    expect(freqs({ ...attrs, attention_factor: 1.5 }).attentionScaling).toBe(1.5);
    expect(freqs({ rope_type: "yarn", factor: 1, max_position_embeddings: 16 }).attentionScaling).toBe(1);
  });
});

describe("llama3", () => {
  it("keeps high frequencies, divides low ones, smooths the middle band", () => {
    // wavelengths 2pi/f: 6.28 and 62.8 (< 1024/4: high), 628 (between: smoothed), 6283 (> 1024/1: low).
    const { invFreq } = freqs({ rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4,
      original_max_position_embeddings: 1024 });
    const smooth = (1024 / (2 * Math.PI / 0.01) - 1) / (4 - 1);
    expectClose(invFreq, [1, 0.1, (1 - smooth) * 0.01 / 8 + smooth * 0.01, 0.001 / 8], rel);
  });

  it("rejects high_freq_factor <= low_freq_factor", () => {
    expect(() => freqs({ rope_type: "llama3", factor: 8, low_freq_factor: 4, high_freq_factor: 4,
      original_max_position_embeddings: 1024 })).toThrow(/greater than low_freq_factor/);
  });
});

describe("longrope", () => {
  const attrs = { rope_type: "longrope", short_factor: [1, 2, 3, 4], long_factor: [5, 6, 7, 8],
    original_max_position_embeddings: 16, max_position_embeddings: 64 };

  it("short factors up to the original context, long factors past it", () => {
    expectClose(freqs(attrs, 16).invFreq, DEFAULT.map((v, i) => v / (i + 1)), rel);
    expectClose(freqs(attrs, 17).invFreq, DEFAULT.map((v, i) => v / (i + 5)), rel);
  });

  it("attention factor sqrt(1 + ln(factor) / ln(original)), factor = max / original unless given", () => {
    expectClose([freqs(attrs).attentionScaling], [Math.sqrt(1 + Math.log(4) / Math.log(16))], 1e-15);
    expectClose([freqs({ ...attrs, factor: 2 }).attentionScaling], [Math.sqrt(1 + Math.log(2) / Math.log(16))], 1e-15);
    expect(freqs({ ...attrs, factor: 1 }).attentionScaling).toBe(1);
  });

  it("checks the factor lists' length", () => {
    let error: unknown;
    try {
      freqs({ ...attrs, long_factor: [1, 2] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TraincError);
    expect((error as TraincError).code).toBe(3402);
    expect((error as TraincError).message).toMatch(/long_factor has 2 entries, dim 8 needs 4/);
  });
});

describe("attribute validation", () => {
  const cases: [Record<string, unknown>, number, RegExp][] = [
    [{ rope_type: "yarn", original_max_position_embeddings: 16 }, 3401, /'yarn' needs attribute 'factor'/],
    [{ rope_type: "linear" }, 3401, /'linear' needs attribute 'factor'/],
    [{ rope_type: "dynamic", factor: 2 }, 3401, /needs attribute 'max_position_embeddings'/],
    [{ rope_type: "yarn", factor: 2 }, 3401, /needs attribute 'original_max_position_embeddings'/],
    [{ rope_type: "longrope", long_factor: [1, 1, 1, 1], original_max_position_embeddings: 4 }, 3401, /short_factor/],
    [{ rope_type: "linear", factor: 0 }, 3403, /factor must be positive/],
    [{ rope_type: "default", theta: -1 }, 3403, /theta must be positive/],
    [{ rope_type: "default", dim: 6.5 }, 3403, /dim must be a positive even integer/],
  ];
  for (const [attrs, code, pattern] of cases) {
    it(`${JSON.stringify(attrs)} -> ${code}`, () => {
      let error: unknown;
      try {
        freqs(attrs);
      } catch (e) {
        error = e;
      }
      expect((error as TraincError).code).toBe(code);
      expect((error as TraincError).message).toMatch(pattern);
    });
  }
});
