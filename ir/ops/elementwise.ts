// Elementwise ops: unary math, broadcasting binary arithmetic, comparisons, logic, where, cast, and the three
// value-producing ops (constant, iota, size). Broadcasting is NumPy's; binary operands must already share a dtype.

import { broadcastShapes, type Shape } from "../dim.ts";
import { isNumeric } from "../dtype.ts";
import type { TensorType } from "../graph.ts";
import {
  attrDims, attrDType, describe, expectDType, expectFloat, expectSameDType, normalizeAxis, tensor, typeError,
  type OpDef,
} from "./spec.ts";

function unaryFloat(doc: string): OpDef {
  return { doc, arity: 1, attrs: {}, infer: ([x]) => (expectFloat(x!, "operand"), [x!]) };
}

function unaryNumeric(doc: string): OpDef {
  return {
    doc, arity: 1, attrs: {},
    infer: ([x]) => {
      if (!isNumeric(x!.dtype)) typeError(`operand must be numeric, got ${describe(x!)}`);
      return [x!];
    },
  };
}

function broadcast(a: TensorType, b: TensorType): Shape {
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) typeError(`shapes ${describe(a)} and ${describe(b)} do not broadcast`);
  return shape;
}

function binaryNumeric(doc: string): OpDef {
  return {
    doc, arity: 2, attrs: {},
    infer: ([a, b]) => {
      expectSameDType(a!, b!, "binary op");
      if (!isNumeric(a!.dtype)) typeError(`operands must be numeric, got ${describe(a!)}`);
      return [tensor(a!.dtype, broadcast(a!, b!))];
    },
  };
}

function compare(doc: string): OpDef {
  return {
    doc, arity: 2, attrs: {},
    infer: ([a, b]) => (expectSameDType(a!, b!, "comparison"), [tensor("bool", broadcast(a!, b!))]),
  };
}

function logical(doc: string): OpDef {
  return {
    doc, arity: 2, attrs: {},
    infer: ([a, b]) => {
      expectDType(a!, "bool", "lhs");
      expectDType(b!, "bool", "rhs");
      return [tensor("bool", broadcast(a!, b!))];
    },
  };
}

export const ELEMENTWISE_OPS = {
  neg: unaryNumeric("-x."),
  abs: unaryNumeric("|x|."),
  exp: unaryFloat("e^x."),
  log: unaryFloat("Natural logarithm."),
  sqrt: unaryFloat("Square root."),
  rsqrt: unaryFloat("1/sqrt(x)."),
  reciprocal: unaryFloat("1/x."),
  sigmoid: unaryFloat("1/(1+e^-x)."),
  silu: unaryFloat("x*sigmoid(x) (SiLU, also called swish)."),
  tanh: unaryFloat("Hyperbolic tangent."),
  sin: unaryFloat("Sine (radians)."),
  cos: unaryFloat("Cosine (radians)."),
  not: {
    doc: "Logical negation of a bool tensor.", arity: 1, attrs: {},
    infer: ([x]) => (expectDType(x!, "bool", "operand"), [x!]),
  },
  add: binaryNumeric("a+b, broadcasting."),
  sub: binaryNumeric("a-b, broadcasting."),
  mul: binaryNumeric("a*b, broadcasting."),
  div: binaryNumeric("a/b, broadcasting (integer division truncates toward zero)."),
  pow: binaryNumeric("a^b, broadcasting."),
  maximum: binaryNumeric("max(a,b), broadcasting."),
  minimum: binaryNumeric("min(a,b), broadcasting."),
  eq: compare("a==b as bool, broadcasting."),
  ne: compare("a!=b as bool, broadcasting."),
  lt: compare("a<b as bool, broadcasting."),
  le: compare("a<=b as bool, broadcasting."),
  gt: compare("a>b as bool, broadcasting."),
  ge: compare("a>=b as bool, broadcasting."),
  and: logical("Logical and, broadcasting."),
  or: logical("Logical or, broadcasting."),
  where: {
    doc: "cond ? a : b elementwise, broadcasting all three; cond is bool.", arity: 3, attrs: {},
    infer: ([c, a, b]) => {
      expectDType(c!, "bool", "condition");
      expectSameDType(a!, b!, "where");
      return [tensor(a!.dtype, broadcast(c!, tensor(a!.dtype, broadcast(a!, b!))))];
    },
  },
  cast: {
    doc: "Converts to `dtype`: floats round to nearest even; float to int truncates toward zero; to bool is x != 0.",
    arity: 1, attrs: { dtype: { kind: "dtype" } },
    infer: ([x], attrs) => [tensor(attrDType(attrs, "dtype"), x!.shape)],
  },
  constant: {
    doc: "A tensor filled with `value`, or holding `values` in row-major order (exactly one of the two).",
    arity: 0,
    attrs: { dtype: { kind: "dtype" }, shape: { kind: "dims" }, value: { kind: "float", optional: true },
      values: { kind: "floats", optional: true } },
    infer: (_, attrs) => {
      const shape = attrDims(attrs, "shape");
      const values = attrs["values"] as readonly number[] | undefined;
      if ((attrs["value"] === undefined) === (values === undefined)) typeError("constant needs exactly one of value, values");
      if (values !== undefined) {
        if (!shape.every((d) => typeof d === "number")) typeError("constant with `values` needs a concrete shape");
        const numel = (shape as number[]).reduce((a, b) => a * b, 1);
        if (values.length !== numel) typeError(`constant has ${values.length} values for ${numel} elements`);
      }
      return [tensor(attrDType(attrs, "dtype"), shape)];
    },
  },
  iota: {
    doc: "Indices along `axis`: out[i0,..,in] = i_axis, in the given dtype and shape.",
    arity: 0, attrs: { dtype: { kind: "dtype" }, shape: { kind: "dims" }, axis: { kind: "int" } },
    infer: (_, attrs) => {
      const shape = attrDims(attrs, "shape");
      normalizeAxis(attrs["axis"] as number, shape.length, "iota");
      return [tensor(attrDType(attrs, "dtype"), shape)];
    },
  },
  size: {
    doc: "A scalar holding the run-time value of `dim`, a size or polynomial in sizes (16, T, B*T-1, 1-T; it may " +
      "be negative), in the numeric `dtype`.",
    arity: 0, attrs: { dim: { kind: "dim" }, dtype: { kind: "dtype", default: "i64" } },
    infer: (_, attrs) => {
      const dtype = attrDType(attrs, "dtype");
      if (!isNumeric(dtype)) typeError(`size: dtype must be numeric, got ${dtype}`);
      return [tensor(dtype, [])];
    },
  },
} as const satisfies Record<string, OpDef>;
