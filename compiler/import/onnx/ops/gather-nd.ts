// ONNX GatherND (batch_dims = 0) -> IR: the last axis of `indices` holds k coordinates into the leading k axes of
// `data`; they are combined into one row number (sum of coordinate * row stride, strides may be symbolic sizes) and
// the rows are taken with one `gather` along axis 0 of data flattened to [d0*...*d(k-1), d(k), ...]. With one
// coordinate (k = 1) that is a plain gather of the squeezed indices.
// Invariants: import-time coordinates are wrapped (negative ones count from the end) and give import-time row
// numbers; run-time coordinates must be non-negative (the interpreter rejects out-of-range rows, it does not wrap
// negative ones); with data and indices both known the result is folded.

import type { Value } from "../../../../ir/builder.ts";
import { dimAdd, dimMul, shapeNumel, type Dim } from "../../../../ir/dim.ts";
import { runtime, shapeOfValue, type NodeContext, type OnnxValue } from "../context.ts";
import { E_MALFORMED, E_UNRESOLVED_SHAPE, E_UNSUPPORTED_FORM } from "../errors.ts";
import { strides } from "../../../../ir/tensor.ts";
import { concreteValues, known, type Known } from "../known.ts";
import type { Handler } from "./common.ts";
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

/** Import-time row numbers of known coordinate tuples (negative coordinates wrapped); sizes may be symbolic. */
function knownRows(ctx: NodeContext, indices: Known, lead: readonly Dim[]): Known {
  const coords = concreteValues(indices) ?? ctx.fail(E_UNRESOLVED_SHAPE, "GatherND indices are symbolic", "export static indices");
  const k = lead.length;
  const rows: Dim[] = [];
  for (let p = 0; p < coords.length; p += k) {
    rows.push(coords.slice(p, p + k).reduce<Dim>((acc, c, j) => {
      const coord = c < 0 ? dimAdd(lead[j]!, c) : c;
      return dimAdd(acc, dimMul(coord, shapeNumel(lead.slice(j + 1))));
    }, 0));
  }
  return known(indices.dtype, indices.shape.slice(0, -1), rows);
}

/** Run-time row numbers: sum_j indices[..., j] * stride_j, shape indices.shape[:-1]. */
function runtimeRows(ctx: NodeContext, idx: Value, lead: readonly Dim[]): OnnxValue {
  const dtype = idx.type.dtype;
  const shape = idx.type.shape;
  const axis = shape.length - 1;
  let total: Value | undefined;
  lead.forEach((_, j) => {
    const coord = ctx.slice(idx, axis, j, j + 1);
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
  const dataShape = shapeOfValue(data);
  if (k < 1 || k > dataShape.length) {
    ctx.fail(E_MALFORMED, `index tuples of length ${k} do not fit data of rank ${dataShape.length}`,
      "the model file is invalid; re-export it");
  }
  if (data.kind === "known" && indices.kind === "known") return [foldGatherND(ctx, data, indices, k)];
  const lead = dataShape.slice(0, k);
  const table = ctx.runtime(reshapeTo(ctx, data, [shapeNumel(lead), ...dataShape.slice(k)]));
  const rows = indices.kind === "known" ? knownRows(ctx, indices, lead) : runtimeRows(ctx, indices.value, lead);
  return [runtime(ctx.emit("gather", [table, ctx.runtime(rows)], { axis: 0 }))];
};

export const GATHER_ND_HANDLERS: Readonly<Record<string, Handler>> = { GatherND: gatherND };
