// ONNX elementwise ops -> IR elementwise ops: unary math, broadcasting binary arithmetic and comparisons, logic,
// Where, Max/Min, Cast/CastLike, Relu and Identity. With every operand known at import time the op is folded
// (symbolic sizes through Dim arithmetic), otherwise it is emitted, known operands becoming constants.
// Invariant: ONNX broadcasting is NumPy's, as is ours, so operands are passed through unchanged; only Pow's
// exponent is cast to the base's type (ONNX lets their types differ, ours may not).

import { dimAdd, dimDivExact, dimMul, dimSub, type Dim } from "../../../../ir/dim.ts";
import type { DType } from "../../../../ir/dtype.ts";
import type { OpName } from "../../../../ir/ops/index.ts";
import { dtypeOfValue, runtime, type NodeContext, type OnnxValue } from "../context.ts";
import { compareDims, known, type Known } from "../known.ts";
import { dtypeOf } from "../tensors.ts";
import { castKnown, comparison, foldElementwise, type ElementRule, type Handler } from "./common.ts";

function allKnown(values: readonly OnnxValue[]): values is Known[] {
  return values.every((v) => v.kind === "known");
}

/** A handler for an elementwise op: folds when all operands are known, else emits `op`. */
function elementwise(op: OpName, rule: ElementRule, result?: DType): Handler {
  return (ctx) => {
    const args = Array.from({ length: ctx.arity }, (_, i) => ctx.need(i));
    const dtype = result ?? dtypeOfValue(args[args.length - 1]!);
    if (allKnown(args)) return [foldElementwise(ctx, args, dtype, rule)];
    return [runtime(ctx.emit(op, args.map((a) => ctx.runtime(a))))];
  };
}

const unary = (op: OpName, num: (x: number) => number, dim?: (x: Dim) => Dim | undefined): Handler =>
  elementwise(op, { num, dim });

const divDims = (a: Dim, b: Dim): Dim | undefined => dimDivExact(a, b);

const selectDims = (pick: (sign: number) => boolean) => (a: Dim, b: Dim): Dim | undefined => {
  const sign = compareDims(a, b);
  return sign === undefined ? undefined : pick(sign) ? a : b;
};

const maxRule: ElementRule = { num: (a, b) => Math.max(a!, b!), dim: (a, b) => selectDims((s) => s >= 0)(a!, b!) };
const minRule: ElementRule = { num: (a, b) => Math.min(a!, b!), dim: (a, b) => selectDims((s) => s <= 0)(a!, b!) };

/** Max/Min over any number of operands, as a chain of binary ops. */
function variadic(op: "maximum" | "minimum", rule: ElementRule): Handler {
  return (ctx) => {
    let acc = ctx.need(0);
    for (let i = 1; i < ctx.arity; i++) {
      const next = ctx.need(i);
      acc = acc.kind === "known" && next.kind === "known"
        ? foldElementwise(ctx, [acc, next], acc.dtype, rule)
        : runtime(ctx.emit(op, [ctx.runtime(acc), ctx.runtime(next)]));
    }
    return [acc];
  };
}

/** Pow: the exponent takes the base's type first (ONNX allows e.g. f32 ** i64). */
const pow: Handler = (ctx) => {
  const base = ctx.need(0);
  let exponent = ctx.need(1);
  const dtype = dtypeOfValue(base);
  if (dtypeOfValue(exponent) !== dtype) {
    exponent = exponent.kind === "known" ? castKnown(ctx, exponent, dtype) : runtime(ctx.emit("cast", [exponent.value], { dtype }));
  }
  if (base.kind === "known" && exponent.kind === "known") {
    return [foldElementwise(ctx, [base, exponent], dtype, { num: (a, b) => a! ** b! })];
  }
  return [runtime(ctx.emit("pow", [ctx.runtime(base), ctx.runtime(exponent)]))];
};

function castTo(ctx: NodeContext, x: OnnxValue, dtype: DType): OnnxValue {
  if (x.kind === "known") return castKnown(ctx, x, dtype);
  return x.value.type.dtype === dtype ? x : runtime(ctx.emit("cast", [x.value], { dtype }));
}

const cast: Handler = (ctx) => [castTo(ctx, ctx.need(0), dtypeOf(ctx.attrInt("to", 0), `the 'to' type of ${ctx.node.name}`))];

const castLike: Handler = (ctx) => [castTo(ctx, ctx.need(0), dtypeOfValue(ctx.need(1)))];

/** Relu(x) = max(x, 0). */
const relu: Handler = (ctx) => {
  const x = ctx.need(0);
  const zero = known(dtypeOfValue(x), [], [0]);
  if (x.kind === "known") return [foldElementwise(ctx, [x, zero], x.dtype, maxRule)];
  return [runtime(ctx.emit("maximum", [x.value, ctx.runtime(zero)]))];
};

const where: Handler = (ctx) => {
  const [c, a, b] = [ctx.need(0), ctx.need(1), ctx.need(2)];
  if (c.kind === "known" && a.kind === "known" && b.kind === "known") {
    return [foldElementwise(ctx, [c, a, b], a.dtype, { num: (p, x, y) => (p ? x! : y!), dim: (p, x, y) => (p ? x : y) })];
  }
  return [runtime(ctx.emit("where", [ctx.runtime(c), ctx.runtime(a), ctx.runtime(b)]))];
};

/** IsNaN(x) = x != x. */
const isNaN: Handler = (ctx) => {
  const x = ctx.need(0);
  if (x.kind === "known") return [foldElementwise(ctx, [x], "bool", { num: (v) => (Number.isNaN(v) ? 1 : 0) })];
  return [runtime(ctx.emit("ne", [x.value, x.value]))];
};

export const ELEMENTWISE_HANDLERS: Readonly<Record<string, Handler>> = {
  Identity: (ctx) => [ctx.need(0)],
  Neg: unary("neg", (x) => -x, (x) => dimMul(x, -1)),
  Abs: unary("abs", Math.abs),
  Exp: unary("exp", Math.exp),
  Log: unary("log", Math.log),
  Sqrt: unary("sqrt", Math.sqrt),
  Reciprocal: unary("reciprocal", (x) => 1 / x),
  Sigmoid: unary("sigmoid", (x) => 1 / (1 + Math.exp(-x))),
  Tanh: unary("tanh", Math.tanh),
  Sin: unary("sin", Math.sin),
  Cos: unary("cos", Math.cos),
  Not: elementwise("not", { num: (x) => (x ? 0 : 1) }, "bool"),
  Relu: relu,
  IsNaN: isNaN,
  Add: elementwise("add", { num: (a, b) => a! + b!, dim: (a, b) => dimAdd(a!, b!) }),
  Sub: elementwise("sub", { num: (a, b) => a! - b!, dim: (a, b) => dimSub(a!, b!) }),
  Mul: elementwise("mul", { num: (a, b) => a! * b!, dim: (a, b) => dimMul(a!, b!) }),
  Div: elementwise("div", { num: (a, b) => a! / b!, dim: (a, b) => divDims(a!, b!) }),
  Pow: pow,
  Max: variadic("maximum", maxRule),
  Min: variadic("minimum", minRule),
  Equal: elementwise("eq", comparison((s) => s === 0), "bool"),
  Less: elementwise("lt", comparison((s) => s < 0), "bool"),
  LessOrEqual: elementwise("le", comparison((s) => s <= 0), "bool"),
  Greater: elementwise("gt", comparison((s) => s > 0), "bool"),
  GreaterOrEqual: elementwise("ge", comparison((s) => s >= 0), "bool"),
  And: elementwise("and", { num: (a, b) => (a && b ? 1 : 0) }, "bool"),
  Or: elementwise("or", { num: (a, b) => (a || b ? 1 : 0) }, "bool"),
  Xor: elementwise("ne", { num: (a, b) => (Boolean(a) !== Boolean(b) ? 1 : 0) }, "bool"),
  Where: where,
  Cast: cast,
  CastLike: castLike,
};
