// Every differentiable op's VJP against central finite differences (f64, seeded inputs, relative error <= 1e-6), and
// a check that every op is either covered by a case here or declared "none" in the VJP table.
import { describe, expect, it } from "vitest";
import { OP_NAMES } from "../../ir/ops/index.ts";
import { VJPS } from "../../ir/vjp/index.ts";
import { ELEMENTWISE_CASES } from "./cases/elementwise.ts";
import { MODEL_CASES } from "./cases/model.ts";
import { STRUCTURAL_CASES } from "./cases/structural.ts";
import { checkGradients, type FdCase } from "./fd.ts";

const GROUPS: Record<string, readonly FdCase[]> = {
  elementwise: ELEMENTWISE_CASES,
  structural: STRUCTURAL_CASES,
  model: MODEL_CASES,
};

for (const [group, cases] of Object.entries(GROUPS)) {
  describe(`finite differences: ${group} ops`, () => {
    it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      const checks = checkGradients(c);
      expect(Object.keys(checks).length).toBeGreaterThan(0);
      for (const [input, { error, scale }] of Object.entries(checks)) {
        expect(scale, `gradient of ${input} is zero: the case checks nothing`).toBeGreaterThan(0);
        expect(error, `relative error of grad.${input}`).toBeLessThanOrEqual(1e-6);
      }
    });
  });
}

describe("VJP coverage", () => {
  it("covers every op with a finite-difference case or declares it 'none'", () => {
    const covered = new Set(Object.values(GROUPS).flat().flatMap((c) => c.ops));
    const missing = OP_NAMES.filter((op) => VJPS[op] !== "none" && !covered.has(op));
    const needless = [...covered].filter((op) => VJPS[op] === "none");
    expect(missing).toEqual([]);
    expect(needless).toEqual([]);
  });
});
