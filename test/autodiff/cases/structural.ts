// Finite-difference cases for reductions (with and without keepdims, negative axes), softmax, logsumexp, data
// movement (reshape, transpose, slice with step, concat of three, broadcast), cumsum in every exclusive/reverse
// combination, gather along first, middle and last axes (repeated, matrix and scalar indices), embedding with
// repeated ids, and matmul with every transpose combination and batch broadcasting on either side.
import type { Attrs } from "../../../ir/graph.ts";
import type { OpName } from "../../../ir/ops/index.ts";
import { f64, type FdCase } from "../fd.ts";

function oneOp(op: OpName, shape: readonly number[], attrs: Attrs): FdCase {
  return {
    name: `${op} [${shape}] ${JSON.stringify(attrs)}`, ops: [op], inputs: [f64("x", shape)],
    build: (b, x) => b.op(op, [x["x"]!], attrs),
  };
}

function gatherCase(data: readonly number[], axis: number, shape: readonly number[], values: readonly number[]): FdCase {
  return {
    name: `gather [${data}] axis ${axis} by [${shape}] = ${values}`, ops: ["gather"],
    inputs: [f64("x", data), { name: "i", dtype: "i64", shape, values }],
    build: (b, x) => b.op("gather", [x["x"]!, x["i"]!], { axis }),
  };
}

function matmulCase(a: readonly number[], c: readonly number[], transposeA: boolean, transposeB: boolean): FdCase {
  return {
    name: `matmul [${a}] @ [${c}] ta=${transposeA} tb=${transposeB}`, ops: ["matmul"],
    inputs: [f64("a", a), f64("c", c)],
    build: (b, x) => b.op("matmul", [x["a"]!, x["c"]!], { transpose_a: transposeA, transpose_b: transposeB }),
  };
}

export const STRUCTURAL_CASES: readonly FdCase[] = [
  oneOp("reduce_sum", [2, 3, 4], { axes: [0, 2] }),
  oneOp("reduce_sum", [2, 3, 4], { axes: [-1], keepdims: true }),
  oneOp("reduce_mean", [2, 3, 4], { axes: [1], keepdims: true }),
  oneOp("reduce_mean", [2, 3, 4], { axes: [0, 2] }),
  oneOp("reduce_max", [2, 3, 4], { axes: [1] }),
  oneOp("reduce_max", [2, 3, 4], { axes: [0, -1], keepdims: true }),
  oneOp("softmax", [2, 3, 4], { axis: 1 }),
  oneOp("softmax", [2, 3, 4], { axis: -1 }),
  oneOp("logsumexp", [2, 3, 4], { axis: 1 }),
  oneOp("logsumexp", [2, 3, 4], { axis: -1, keepdims: true }),
  oneOp("reshape", [2, 3, 4], { shape: [6, 4] }),
  oneOp("transpose", [2, 3, 4], { perm: [2, 0, 1] }),
  oneOp("slice", [2, 5, 3], { axis: 1, start: 1, end: 4 }),
  oneOp("slice", [2, 3, 7], { axis: 2, start: 1, end: 6, step: 2 }),
  oneOp("slice", [7, 2], { axis: 0, start: 0, end: 7, step: 3 }),
  oneOp("slice", [2, 8], { axis: -1, start: 2, end: 8, step: 4 }),
  oneOp("broadcast", [3, 1], { shape: [2, 3, 4] }),
  {
    name: "concat of three along axis 1", ops: ["concat"],
    inputs: [f64("a", [2, 1, 3]), f64("c", [2, 2, 3]), f64("d", [2, 3, 3])],
    build: (b, x) => b.op("concat", [x["a"]!, x["c"]!, x["d"]!], { axis: 1 }),
  },
  oneOp("cumsum", [2, 3, 4], { axis: 1 }),
  oneOp("cumsum", [2, 3, 4], { axis: -1, exclusive: true }),
  oneOp("cumsum", [2, 3, 4], { axis: 0, reverse: true }),
  oneOp("cumsum", [5, 3], { axis: 0, exclusive: true, reverse: true }),
  gatherCase([5, 3], 0, [4], [4, 0, 4, 2]),
  gatherCase([2, 4, 3], 1, [2, 3], [3, 0, 3, 1, 1, 2]),
  gatherCase([2, 3, 4], -1, [3], [1, 1, 0]),
  gatherCase([3, 4, 2], 1, [], [2]),
  {
    name: "embedding with repeated ids", ops: ["embedding"],
    inputs: [f64("w", [5, 3]), { name: "ids", dtype: "i64", shape: [2, 3], values: [4, 0, 4, 2, 2, 4] }],
    build: (b, x) => b.op("embedding", [x["w"]!, x["ids"]!]),
  },
  matmulCase([3, 4], [4, 2], false, false),
  matmulCase([4, 3], [4, 2], true, false),
  matmulCase([3, 4], [2, 4], false, true),
  matmulCase([4, 3], [2, 4], true, true),
  matmulCase([2, 3, 4], [4, 5], false, false),
  matmulCase([2, 3, 4], [5, 4], false, true),
  matmulCase([3, 4], [2, 5, 4], false, true),
  matmulCase([2, 1, 4, 3], [3, 4, 2], true, false),
];

