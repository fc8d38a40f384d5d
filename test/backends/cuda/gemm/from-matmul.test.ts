// gemmSpecForMatmul against the interpreter (the meaning of `matmul`): for batched, broadcast, folded and transposed
// operands, evaluating the spec's semantics (the loops below: what every generated kernel computes, as the emulation
// tests check) on the same inputs must give the interpreter's result; and the errors for shapes it cannot express.

import { describe, expect, it } from "vitest";
import { gemmSpecForMatmul } from "../../../../backends/cuda/gemm/from-matmul.ts";
import type { GemmSpec } from "../../../../backends/cuda/gemm/spec.ts";
import { makeRandom } from "../../../../compiler/random.ts";
import { GraphBuilder } from "../../../../ir/builder.ts";
import { interpret } from "../../../../ir/interpret/index.ts";
import { fromArray, numel, type Tensor } from "../../../../ir/tensor.ts";
import { codeOf } from "../../../harness/errors.ts";
import { relativeError } from "../../../harness/numeric.ts";

/** C = op(A)·op(B) per batch entry, as GemmSpec defines it over flat row-major buffers. */
function evaluateSpec(spec: GemmSpec, a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const c = new Float64Array(spec.batch * spec.m * spec.n);
  for (let z = 0; z < spec.batch; z++) {
    const az = spec.broadcastA ? 0 : z * spec.m * spec.k;
    const bz = spec.broadcastB ? 0 : z * spec.k * spec.n;
    for (let i = 0; i < spec.m; i++) {
      for (let j = 0; j < spec.n; j++) {
        let sum = 0;
        for (let p = 0; p < spec.k; p++) {
          const x = a[az + (spec.transposeA ? p * spec.m + i : i * spec.k + p)]!;
          const y = b[bz + (spec.transposeB ? j * spec.k + p : p * spec.n + j)]!;
          sum += x * y;
        }
        c[(z * spec.m + i) * spec.n + j] = sum;
      }
    }
  }
  return c;
}

function check(aShape: number[], bShape: number[], ta: boolean, tb: boolean): GemmSpec {
  const random = makeRandom(`${aShape}|${bShape}|${ta}|${tb}`);
  const tensor = (shape: number[]): Tensor => fromArray("f32", shape, Array.from({ length: numel(shape) }, () => random() - 0.5));
  const g = new GraphBuilder("mm");
  const x = g.input("a", "f32", aShape);
  const y = g.input("b", "f32", bShape);
  g.output("c", g.op("matmul", [x, y], { transpose_a: ta, transpose_b: tb }));
  const inputs = { a: tensor(aShape), b: tensor(bShape) };
  const want = interpret(g.build(), inputs)["c"]!;
  const spec = gemmSpecForMatmul({ dtype: "f32", shape: aShape }, { dtype: "f32", shape: bShape }, { transpose_a: ta, transpose_b: tb });
  expect(relativeError(evaluateSpec(spec, inputs.a.data, inputs.b.data), want)).toBeLessThan(1e-6);
  return spec;
}

describe("gemmSpecForMatmul", () => {
  it.each([
    ["plain", [5, 7], [7, 3], false, false],
    ["transposed both", [7, 5], [3, 7], true, true],
    ["batched", [2, 3, 5, 7], [2, 3, 4, 7], false, true],
    ["shared A", [5, 7], [4, 7, 3], false, false],
    ["shared B, A transposed", [4, 7, 5], [7, 3], true, false],
    ["rank-3 A, leading 1 on B", [4, 5, 7], [1, 7, 3], false, false],
  ] as const)("%s matches the interpreter", (_, a, b, ta, tb) => {
    check([...a], [...b], ta, tb);
  });

  it("folds a linear layer's batch into M: [B,T,K] x W^T is one GEMM with M = B*T", () => {
    const spec = check([2, 6, 8], [5, 8], false, true);
    expect(spec).toMatchObject({ m: 12, n: 5, k: 8, batch: 1, transposeB: true });
  });

  it("takes the epilogue's dtype and accumulation", () => {
    const spec = gemmSpecForMatmul({ dtype: "bf16", shape: [64, 32] }, { dtype: "bf16", shape: [64, 16] },
      { transpose_a: true, transpose_b: false }, { outputDtype: "f32", accumulate: true });
    expect(spec).toMatchObject({ m: 32, n: 16, k: 64, inputDtype: "bf16", outputDtype: "f32", accumulate: true });
  });

  it("rejects symbolic sizes (5403) and partly broadcast batches (5404)", () => {
    const attrs = { transpose_a: false, transpose_b: false };
    expect(codeOf(() => gemmSpecForMatmul({ dtype: "f32", shape: ["T", 8] }, { dtype: "f32", shape: [8, 4] }, attrs))).toBe(5403);
    expect(codeOf(() => gemmSpecForMatmul({ dtype: "f32", shape: [2, 3, 5, 8] }, { dtype: "f32", shape: [1, 3, 8, 4] }, attrs)))
      .toBe(5404);
  });
});
