// backends/wgsl/views.ts: two read parameters of one kernel placed on the same bytes (views of one buffer) bind once —
// the later declaration goes, its identifier becomes the earlier one's and later bindings are renumbered; a kernel
// without such a pair is returned as it is, and a written pair is refused.
import { describe, expect, it } from "vitest";
import type { KernelSource } from "../../../backends/kernel.ts";
import type { Placement } from "../../../backends/schedule/memory.ts";
import { shareViews } from "../../../backends/wgsl/views.ts";

const code = `@group(0) @binding(0) var<storage, read_write> p0: array<i32>;
@group(0) @binding(1) var<storage, read_write> p1: array<i32>;
@group(0) @binding(2) var<storage, read_write> p2: array<u32>;

fn k() { p2[0] = u32(p0[1] == p1[2]); let p10 = 3; }`;

const source = (access: "read" | "write"): KernelSource => ({
  name: "k", code, grid: [1, 1, 1], block: [1, 1, 1], sharedBytes: 0, flops: 0, bytes: 0,
  params: [{ name: "rows", dtype: "i32", access: "read" }, { name: "cols", dtype: "i32", access }, { name: "out", dtype: "bool", access: "write" }],
} as unknown as KernelSource);

const at = (offset: number): Placement => ({ arena: "activations", offset, bytes: 192 });

describe("shareViews", () => {
  it("binds two views of one range once and renumbers the rest", () => {
    const shared = shareViews(source("read"), (p) => (p.name === "out" ? at(512) : at(0)));
    expect(shared.params.map((p) => p.name)).toEqual(["rows", "out"]);
    expect(shared.code).toBe(`@group(0) @binding(0) var<storage, read_write> p0: array<i32>;
@group(0) @binding(1) var<storage, read_write> p2: array<u32>;

fn k() { p2[0] = u32(p0[1] == p0[2]); let p10 = 3; }`);
  });

  it("leaves a kernel whose parameters all have bytes of their own as it is", () => {
    const s = source("read");
    expect(shareViews(s, (p) => at(p.name === "rows" ? 0 : p.name === "cols" ? 256 : 512))).toBe(s);
  });

  it("refuses a pair one of which is written", () => {
    expect(() => shareViews(source("write"), (p) => (p.name === "out" ? at(512) : at(0)))).toThrow(/share bytes and one is written/);
  });
});
