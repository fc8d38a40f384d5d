// Bad IR text: each error has its code and points at line:column with a message naming the problem.
import { describe, expect, test } from "vitest";
import { TraincError } from "../../compiler/diagnostics.ts";
import { parseGraph } from "../../ir/parse.ts";

function parseError(text: string): TraincError {
  try {
    parseGraph(text, "t.ir");
  } catch (e) {
    if (e instanceof TraincError) return e;
    throw e;
  }
  throw new Error("expected a parse error");
}

describe("IR parse errors", () => {
  const cases: [string, string, number, RegExp][] = [
    ["missing colon", "func @f(%x f32[4]) {\n  return y = %x\n}", 3001, /t\.ir:1:12: expected ':'/],
    ["unknown dtype", "func @f(%x: f31[4]) {\n  return y = %x\n}", 3001, /t\.ir:1:13: unknown dtype 'f31'/],
    ["unknown op", "func @f(%x: f32[4]) {\n  %0 = frobnicate %x : f32[4]\n  return y = %0\n}", 3002, /t\.ir:2:8: unknown op 'frobnicate'/],
    ["undefined value", "func @f(%x: f32[4]) {\n  %0 = neg %y : f32[4]\n  return y = %0\n}", 3003, /t\.ir:2:12: %y is not defined/],
    ["wrong result type", "func @f(%x: f32[4]) {\n  %0 = neg %x : f32[5]\n  return y = %0\n}", 3002, /result 0 is f32\[4\], but the text says f32\[5\]/],
    ["shape mismatch", "func @f(%x: f32[4], %y: f32[3]) {\n  %0 = add %x, %y : f32[4]\n  return z = %0\n}", 3002, /do not broadcast/],
    ["dtype mismatch", "func @f(%x: f32[4], %y: f64[4]) {\n  %0 = add %x, %y : f32[4]\n  return z = %0\n}", 3002, /operand dtypes differ.*insert a cast/],
    ["unknown attribute", "func @f(%x: f32[4]) {\n  %0 = softmax %x {axes = [0]} : f32[4]\n  return y = %0\n}", 3002, /softmax has no attribute 'axes'/],
    ["attribute kind", "func @f(%x: f32[4]) {\n  %0 = softmax %x {axis = \"0\"} : f32[4]\n  return y = %0\n}", 3002, /softmax\.axis must be int/],
    ["missing attribute", "func @f(%x: f32[4]) {\n  %0 = cast %x : f32[4]\n  return y = %0\n}", 3002, /cast needs attribute 'dtype'/],
    ["arity", "func @f(%x: f32[4]) {\n  %0 = add %x : f32[4]\n  return y = %0\n}", 3002, /add takes 2 operands, got 1/],
    ["duplicate value", "func @f(%x: f32[4]) {\n  %0 = neg %x : f32[4]\n  %0 = neg %x : f32[4]\n  return y = %0\n}", 3003, /%0 is defined twice/],
    ["duplicate output", "func @f(%x: f32[4]) {\n  return y = %x, y = %x\n}", 3003, /output 'y' is returned twice/],
    ["bad dimension", "func @f(%x: f32[B/2]) {\n  return y = %x\n}", 3001, /expected ']'/],
    ["unbalanced", "func @f(%x: f32[4]) {\n  %0 = neg %x : f32[4]\n", 3001, /expected '%', found end of input/],
  ];
  for (const [name, text, code, message] of cases) {
    test(name, () => {
      const e = parseError(text);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    });
  }
});
