// Symbolic dimensions are canonical polynomials: equal sizes print equal, constants fold to numbers.
import { describe, expect, test } from "vitest";
import { broadcastShapes, dimAdd, dimDivExact, dimMul, dimSub, evalDim, parseDim, shapeNumel } from "../../ir/dim.ts";

describe("symbolic dims", () => {
  test("canonical forms", () => {
    expect(parseDim("64")).toBe(64);
    expect(parseDim("T*B")).toBe("B*T");
    expect(parseDim("1 + T - 2")).toBe("T-1");
    expect(parseDim("2*T + B*T*2")).toBe("2*B*T+2*T");
    expect(parseDim("T - T")).toBe(0);
    expect(() => parseDim("T/2")).toThrow(/neither a number nor a name/);
  });

  test("arithmetic", () => {
    expect(dimMul("B", "T")).toBe("B*T");
    expect(dimMul("T-1", 2)).toBe("2*T-2");
    expect(dimAdd("T-1", 1)).toBe("T");
    expect(dimSub("B*T", "B*T")).toBe(0);
    expect(dimDivExact("2*B*T+4*B", "2*B")).toBe("T+2");
    expect(dimDivExact("B*T+1", "B")).toBeUndefined();
    expect(dimDivExact(12, 4)).toBe(3);
    expect(shapeNumel(["B", "T", 8])).toBe("8*B*T");
  });

  test("evaluation", () => {
    expect(evalDim("2*B*T-1", { B: 3, T: 5 })).toBe(29);
    expect(() => evalDim("B*S", { B: 1 })).toThrow(/'S' has no value/);
  });

  test("broadcasting", () => {
    expect(broadcastShapes(["B", 1, 8], ["T", 1])).toEqual(["B", "T", 8]);
    expect(broadcastShapes(["B", 4], ["B", 3])).toBeUndefined();
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
  });
});
