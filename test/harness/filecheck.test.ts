// The FileCheck matcher itself: each directive both passes and fails where it should.
import { describe, expect, test } from "vitest";
import { fileCheck, parseChecks } from "./filecheck.ts";

const output = ["func @f(%x: f32[4]) {", "  %0 = exp %x : f32[4]", "  %1 = add %0, %0 : f32[4]", "  return y = %1", "}"].join("\n");
const run = (checks: string) => fileCheck(parseChecks(checks), output);

describe("filecheck", () => {
  test("CHECK and captures", () => {
    expect(run("// CHECK: %[[E:[0-9]+]] = exp %x\n// CHECK: add %[[E]], %[[E]]")).toBeUndefined();
    expect(run("// CHECK: %[[E:[0-9]+]] = exp %x\n// CHECK: add %[[E]], %x")).toMatch(/golden line 2/);
  });
  test("order matters", () => {
    expect(run("// CHECK: add\n// CHECK: exp")).toMatch(/CHECK: exp/);
  });
  test("CHECK-NEXT", () => {
    expect(run("// CHECK: exp\n// CHECK-NEXT: add")).toBeUndefined();
    expect(run("// CHECK: exp\n// CHECK-NEXT: return")).toMatch(/not on the line after/);
  });
  test("CHECK-SAME", () => {
    expect(run("// CHECK: add\n// CHECK-SAME: f32[4]")).toBeUndefined();
    expect(run("// CHECK: add\n// CHECK-SAME: return")).toMatch(/not on the same line/);
  });
  test("CHECK-NOT", () => {
    expect(run("// CHECK: exp\n// CHECK-NOT: exp\n// CHECK: return")).toBeUndefined();
    expect(run("// CHECK-LABEL: func\n// CHECK-NOT: add\n// CHECK: return")).toMatch(/found: add/);
    expect(run("// CHECK: add\n// CHECK-NOT: mul")).toBeUndefined();
  });
  test("regex blocks and whitespace", () => {
    expect(run("// CHECK: %{{[0-9]+}} = add   %0")).toBeUndefined();
  });
});
