// The f16 codec (ir/half.ts) against the interpreter's f16 rounding (ir/tensor.ts roundTo): floatToHalf of an f32 and
// back gives what the interpreter stores, over normal, subnormal, tied, overflowing and special values.
import { describe, expect, it } from "vitest";
import { floatToHalf, halfToFloat } from "../../ir/half.ts";
import { roundTo } from "../../ir/tensor.ts";
import { makeRandom } from "../../compiler/random.ts";

describe("floatToHalf", () => {
  it("rounds as the interpreter does: ties to even, subnormals, overflow to infinity", () => {
    const random = makeRandom("half");
    const special = [0, -0, 1, -2.5, 65504, 65519.99, 65520, 1e6, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -14, 1 + 2 ** -11,
      1 + 3 * 2 ** -11, 1 / 3, -0.1, Infinity, -Infinity];
    const drawn = Array.from({ length: 4000 }, () => Math.fround((random() - 0.5) * 2 ** Math.floor(random() * 44 - 28)));
    for (const x of [...special.map(Math.fround), ...drawn]) expect(halfToFloat(floatToHalf(x)), String(x)).toBe(roundTo("f16", x));
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    expect(floatToHalf(-0)).toBe(0x8000);
  });
});
