// Index expressions evaluated as C evaluates them (integer division truncates; BigInt does the same in JS): a linear
// index that is itself a sum splits into the right per-axis indices (a sum must be parenthesized before `/` and `%`),
// and split then join is the identity.
import { describe, expect, test } from "vitest";
import { joinIndex, splitIndex } from "../../../backends/c-style/indexing.ts";

/** Evaluates C index expression `expr` over integer variables `vars`. */
function evalC(expr: string, vars: Record<string, number>): number {
  const js = expr.replace(/\b\d+\b/g, (n) => `${n}n`);
  const names = Object.keys(vars);
  return Number(new Function(...names, `return ${js};`)(...names.map((n) => BigInt(vars[n]!))));
}

describe("splitIndex", () => {
  test("a linear index given as a sum splits like its value", () => {
    const shape = [2, 24, 2, 16];
    const split = splitIndex("r * 16 + o", shape);
    for (let r = 0; r < 96; r++) {
      for (let o = 0; o < 16; o++) {
        const flat = r * 16 + o;
        const want = [Math.floor(flat / 768), Math.floor(flat / 32) % 24, Math.floor(flat / 16) % 2, flat % 16];
        expect(split.map((e) => evalC(e, { r, o }))).toEqual(want);
      }
    }
  });

  test("split then join gives the index back, also for parenthesized and compound expressions", () => {
    const shape = [3, 1, 5, 4];
    for (const expr of ["i", "(i)", "(i / 2) * 2 + (i % 2)", "(i) + (0)"]) {
      const joined = joinIndex(splitIndex(expr, shape), shape);
      for (let i = 0; i < 60; i++) expect(evalC(joined, { i }), expr).toBe(i);
    }
  });
});
