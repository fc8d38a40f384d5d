// ONNX GatherND (batch_dims = 0) -> IR: the last axis of `indices` holds k coordinates into the leading k axes of
// `data`; they are combined into one row number (sum of coordinate * row stride, strides may be symbolic sizes) and
// the rows are gathered with `embedding` over data flattened to [d0*...*d(k-1), d(k), ...].
// Invariants: coordinates must be non-negative at run time (the interpreter rejects out-of-range rows, it does not
// wrap negative ones); with data and indices both known the result is folded.

import type { Value } from "../../../../ir/builder.ts";
import { shapeNumel, type Dim } from "../../../../ir/dim.ts";
import { runtime, shapeOfValue, type NodeContext, type OnnxValue } from "../context.ts";
import { E_UNRESOLVED_SHAPE, E_UNSUPPORTED_FORM } from "../errors.ts";
import { strides } from "../../../../ir/tensor.ts";
import { concreteValues, known, type Known } from "../known.ts";
import type { Handler } from "./common.ts";
import { gatherRows } from "./indexing.ts";
import { reshapeTo } from "./layout.ts";

function foldGatherND(ctx: NodeContext, data: Known, indices: Known, k: number): Known {
  const coords = concreteValues(indices) ?? ctx.fail(E_UNRESOLVED_SHAPE, "GatherND indices are symbolic", "export static indices");
  const rowLen = shapeNumel(data.shape.slice(k)) as number;
  const st = strides(data.shape.slice(0, k));
  const out: Dim[] = [];
  for (let p = 0; p < coords.length; p += k) {
    const row = coords.slice(p, p + k).reduce((acc, c, j) => acc + (c < 0 ? c + data.shape[j]! : c) * st[j]!, 0);
    out.push(...data.data.slice(row * rowLen, (row + 1) * rowLen));
  }
  return known(data.dtype, [...indices.shape.slice(0, -1), ...data.shape.slice(k)], out);
}

/** The row number of each coordinate tuple: sum_j indices[..., j] * stride_j, shape indices.shape[:-1]. */
function rowNumbers(ctx: NodeContext, indices: OnnxValue, lead: readonly Dim[]): OnnxValue {
  const idx = ctx.runtime(indices);
  const dtype = idx.type.dtype;
  const shape = idx.type.shape;
  const axis = shape.length - 1;
  let total: Value | undefined;
  lead.forEach((_, j) => {
    const coord = ctx.emitUnless(lead.length === 1, "slice", idx, { axis, start: j, end: j + 1 });
    const stride = shapeNumel(lead.slice(j + 1));
    const term = stride === 1 ? coord : ctx.emit("mul", [coord, ctx.runtime(known(dtype, [], [stride]))]);
    total = total ? ctx.emit("add", [total, term]) : term;
  });
  return reshapeTo(ctx, runtime(total!), shape.slice(0, -1));
}

const gatherND: Handler = (ctx) => {
  if (ctx.attrInt("batch_dims", 0) !== 0) {
    ctx.fail(E_UNSUPPORTED_FORM, "GatherND with batch_dims > 0", "re-export the model without batched GatherND");
  }
  const data = ctx.need(0);
  const indices = ctx.need(1);
  const k = shapeOfValue(indices).at(-1);
  if (typeof k !== "number") {
    return ctx.fail(E_UNRESOLVED_SHAPE, "the last axis of the indices has a symbolic size", "export with static index tuples");
  }
  if (data.kind === "known" && indices.kind === "known") return [foldGatherND(ctx, data, indices, k)];
  const dataShape = shapeOfValue(data);
  const lead = dataShape.slice(0, k);
  const table = reshapeTo(ctx, data, [shapeNumel(lead), ...dataShape.slice(k)]);
  const rows = ctx.runtime(rowNumbers(ctx, indices, lead));
  return [runtime(gatherRows(ctx, ctx.runtime(table), rows, 0))];
};

export const GATHER_ND_HANDLERS: Readonly<Record<string, Handler>> = { GatherND: gatherND };
