// Shared helpers for interpreter tests: build a one-output graph with GraphBuilder and run it, make tensors from
// literal values, seeded random data, and closeness asserts. No test logic lives here.

import { expect } from "vitest";
import { TraincError } from "../../compiler/diagnostics.ts";
import { GraphBuilder, type Value } from "../../ir/builder.ts";
import type { Shape } from "../../ir/dim.ts";
import type { DType } from "../../ir/dtype.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { fromArray, toArray, type Tensor } from "../../ir/tensor.ts";
import { makeRandom } from "../../compiler/random.ts";

/** An input declaration plus the tensor fed to it. */
export interface Feed {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly tensor: Tensor;
}

/** A feed whose declared shape equals the tensor's (or a symbolic one given as `declared`). */
export function feed(dtype: DType, shape: number[], values: ArrayLike<number>, declared: Shape = shape): Feed {
  return { dtype, shape: declared, tensor: fromArray(dtype, shape, values) };
}

/** Builds a graph with the given inputs (named in order a, b, c, ...) and outputs, runs it, returns the outputs. */
export function run(feeds: readonly Feed[], body: (b: GraphBuilder, ...inputs: Value[]) => Value | Value[]):
  Tensor[] {
  const b = new GraphBuilder("test");
  const names = feeds.map((_, i) => String.fromCharCode(97 + i));
  const inputs = feeds.map((f, i) => b.input(names[i]!, f.dtype, f.shape));
  const result = body(b, ...inputs);
  const outs = Array.isArray(result) ? result : [result];
  outs.forEach((v, i) => b.output(`out${i}`, v));
  const values = interpret(b.build(), Object.fromEntries(feeds.map((f, i) => [names[i]!, f.tensor])));
  return outs.map((_, i) => values[`out${i}`]!);
}

/** Runs a single-op graph and returns its only result. */
export function runOp(feeds: readonly Feed[], op: Parameters<GraphBuilder["op"]>[0],
  attrs: Parameters<GraphBuilder["op"]>[2] = {}): Tensor {
  return run(feeds, (b, ...xs) => b.op(op, xs, attrs))[0]!;
}

/** Deterministic pseudo-random numbers in [lo, hi). */
export function random(count: number, seed: number, lo = -1, hi = 1): number[] {
  const next = makeRandom(seed);
  return Array.from({ length: count }, () => lo + (hi - lo) * next());
}

/** Asserts every element is within `tol` (absolute plus relative) of the expected value. */
export function expectClose(actual: Tensor | ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  const got = "dtype" in actual ? toArray(actual) : Array.from(actual);
  expect(got.length).toBe(expected.length);
  got.forEach((g, i) => {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(g, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(e)) expect(g, `element ${i}`).toBe(e);
    else expect(Math.abs(g - e), `element ${i}: got ${g}, expected ${e}`).toBeLessThanOrEqual(tol * (1 + Math.abs(e)));
  });
}

/** Asserts that fn throws a TraincError with `code` whose message matches `pattern`. */
export function expectTrainc(fn: () => unknown, code: number, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, "expected a TraincError").toBeInstanceOf(TraincError);
  expect((error as TraincError).code).toBe(code);
  expect((error as TraincError).message).toMatch(pattern);
}
