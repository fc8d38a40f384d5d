// The anchor templates as text: every op of the table renders from schedule kernels of real train steps and follows
// the KernelSource contract (backends/kernel.ts); operands reached through reshapes bind to their buffer; bad kernels
// fail with their codes; launch plans pick aligned vector widths; baked constants read back exactly; and the
// representative kernels match their source snapshots (UPDATE_GOLDENS=1 rewrites them).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ANCHOR_TEMPLATES, hasTemplate } from "../../../../backends/cuda/templates/index.ts";
import { anchorOf } from "../../../../backends/cuda/templates/anchor.ts";
import { DEVICE_ERRORS, errorSite, hostErrorCheckSource } from "../../../../backends/cuda/templates/device-error.ts";
import { rowPlan } from "../../../../backends/cuda/templates/rows.ts";
import { rowsPerBlock } from "../../../../backends/cuda/templates/embedding-grad.ts";
import { doubleLiteral, vectorWidth } from "../../../../backends/cuda/templates/source.ts";
import { kernelParams } from "../../../../backends/kernel.ts";
import type { Kernel } from "../../../../backends/schedule/partition.ts";
import { GraphBuilder } from "../../../../ir/builder.ts";
import { ropeFrequencies } from "../../../../ir/rope.ts";
import { codeOf } from "../../../harness/errors.ts";
import { kernelOf, tinyLlamaKernels } from "./lab-inputs.ts";
import { representativeKernels } from "./representative.ts";

const render = (k: Kernel) => {
  if (!hasTemplate(k.kind)) throw new Error(`no template for ${k.kind}`);
  return ANCHOR_TEMPLATES[k.kind](k);
};

describe("anchor templates", () => {
  test("every template kernel of the tiny-llama train step follows the KernelSource contract", () => {
    const kernels = [...tinyLlamaKernels("f32"), ...tinyLlamaKernels("bf16")];
    expect(new Set(kernels.map((k) => k.kind)).size).toBeGreaterThanOrEqual(10);
    for (const k of kernels) {
      const s = render(k);
      expect(s.name).toMatch(new RegExp(`^${k.kind}_[0-9a-f]{12}$`));
      expect(s.params).toEqual(kernelParams(k.graph));
      expect(s.code).toContain(`extern "C" __global__ void __launch_bounds__(${s.block[0]}`);
      expect(s.code).toContain(`) ${s.name}(\n`);
      expect(s.code).toContain(`namespace ${s.name}_detail {`);
      expect(s.grid.every((g) => Number.isInteger(g) && g >= 1)).toBe(true);
      expect(s.sharedBytes).toBe(0);
      expect(s.bytes).toBeGreaterThan(0);
    }
  });

  test("every op of the table has a representative kernel", () => {
    const ops = new Set(Object.values(representativeKernels()).map((k) => k.kind));
    expect([...ops].sort()).toEqual(Object.keys(ANCHOR_TEMPLATES).sort());
  });

  test("names are content hashes: equal kernels share one, other shapes or attributes do not", () => {
    const a = render(kernelOf("softmax", [["f32", [4, 1000]]]));
    expect(render({ ...kernelOf("softmax", [["f32", [4, 1000]]]), name: "k9_softmax" }).name).toBe(a.name);
    expect(render(kernelOf("softmax", [["f32", [4, 1001]]])).name).not.toBe(a.name);
    expect(render(kernelOf("cumsum", [["f32", [4, 8]]], { axis: 1 })).name)
      .not.toBe(render(kernelOf("cumsum", [["f32", [4, 8]]], { axis: 1, reverse: true })).name);
  });

  test("an operand read through a reshape binds to its buffer; one buffer may fill two operands", () => {
    const viaReshape = anchorOf(kernelOf("cross_entropy", [["f32", [2, 8, 18]], ["i64", [2, 8]]], {}, [[16, 18]]), "cross_entropy");
    expect(viaReshape.args.map((s) => [s.param, s.shape])).toEqual([["in0", [2, 8, 18]], ["in1", [2, 8]]]);
    const b = new GraphBuilder("k");
    const x = b.input("x", "f32", [3, 4]);
    b.output("y", b.op("concat", [x, x], { axis: 0 }));
    const twice = anchorOf({ name: "k", kind: "concat", graph: b.build() }, "concat");
    expect(twice.args.map((s) => s.param)).toEqual(["in0", "in0"]);
    expect(twice.results.map((s) => s.param)).toEqual(["out0"]);
  });

  test("kernels the templates cannot render fail with their codes", () => {
    const fused = kernelOf("softmax", [["f32", [4, 8]]]);
    expect(codeOf(() => render({ ...fused, kind: "logsumexp" }))).toBe(9600);
    const symbolic = new GraphBuilder("k");
    symbolic.output("y", symbolic.op("softmax", [symbolic.input("x", "f32", ["T", 8])]));
    expect(codeOf(() => render({ name: "k", kind: "softmax", graph: symbolic.build() }))).toBe(9601);
    expect(codeOf(() => render(kernelOf("softmax", [["f8e4m3", [4, 8]]])))).toBe(5600);
    expect(codeOf(() => render(kernelOf("concat", [["nf4", [4, 8]], ["nf4", [4, 8]]], { axis: 0 })))).toBe(5600);
    const unwritten = new GraphBuilder("k");
    unwritten.op("cumsum", [unwritten.input("x", "f32", [4])], { axis: 0 });
    expect(codeOf(() => render({ name: "k", kind: "cumsum", graph: unwritten.build() }))).toBe(9602);
  });

  test("launch plans: vector widths divide rows and stay within 16 bytes; threads follow row length", () => {
    expect(vectorWidth([128256], 8)).toBe(8);
    expect(vectorWidth([50257], 8)).toBe(1);
    expect(vectorWidth([24, 40, 8], 4)).toBe(4);
    expect(vectorWidth([6], 4)).toBe(2);
    expect(rowPlan(16384, 128256, 2)).toMatchObject({ vec: 8, threads: 1024, rowsPerBlock: 1, grid: [16384, 1, 1] });
    expect(rowPlan(4, 1000, 4)).toMatchObject({ vec: 4, threads: 32, rowsPerBlock: 8, grid: [1, 1, 1] });
    expect(rowPlan(2, 4096, 2)).toMatchObject({ vec: 8, threads: 64, rowsPerBlock: 1 });
    expect(rowsPerBlock(128256)).toBe(128);
    expect(rowsPerBlock(18)).toBe(8);
  });

  test("baked constants read back exactly: double literals, and rope frequency tables equal ir/rope.ts", () => {
    for (const x of [0.1, 1 / 3, 1e-8, 5e-324, 123456789.125, -2.5e300, 3]) {
      expect(Number(doubleLiteral(x))).toBe(x);
    }
    const k = representativeKernels()["rope_tables-yarn"]!;
    const table = /INV_FREQ\[64\] = \{([^}]*)\}/.exec(render(k).code)![1]!.split(",").map((t) => t.trim()).filter(Boolean);
    expect(table.map(Number)).toEqual(ropeFrequencies(k.graph.nodes[0]!.attrs, 0).invFreq);
  });

  test("a kernel's error site is its name's hash prefix; the host check covers every device error", () => {
    const s = render(kernelOf("embedding", [["f32", [20, 16]], ["i64", [2, 5]]]));
    expect(s.code).toContain(`constexpr long long SITE = ${errorSite(s.name)};`);
    expect(s.code).toContain("trainc_raise(6110, SITE");
    const host = hostErrorCheckSource();
    for (const e of DEVICE_ERRORS) expect(host).toContain(`case ${e.code}:`);
  });

  test("AdamW and cross_entropy_grad may write in place: their pointers are not __restrict__; other kernels' are", () => {
    const kernels = representativeKernels();
    const softmax = kernels["softmax-rows"]!;
    for (const k of [kernels["adamw"]!, kernels["cross_entropy_grad"]!]) expect(render(k).code).not.toContain("__restrict__");
    expect(render(softmax).code).toContain("const __nv_bfloat16* __restrict__ in0");
  });

  test("snapshots of representative kernels", () => {
    const dir = join(import.meta.dirname, "snapshots");
    mkdirSync(dir, { recursive: true });
    for (const [label, kernel] of Object.entries(representativeKernels())) {
      const s = render(kernel);
      const text = `// ${label}: grid [${s.grid.join(", ")}], block [${s.block.join(", ")}], ${s.flops} flops, ${s.bytes} bytes\n${s.code}`;
      const file = join(dir, `${label}.cu`);
      if (process.env["UPDATE_GOLDENS"] === "1") writeFileSync(file, text);
      expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDENS=1`).toBe(true);
      expect(text, label).toBe(readFileSync(file, "utf8"));
    }
  });
});
