// Input checking and symbolic dim binding: every error names the input and the dim, compound dims are solved or
// checked, liveness frees nothing that is still needed (outputs that are inputs, values used twice).

import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../ir/builder.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { fromArray, toArray, zeros } from "../../ir/tensor.ts";
import { expectTrainc } from "./helpers.ts";

function graph() {
  const b = new GraphBuilder("g");
  const ids = b.input("input_ids", "i64", ["B", "T"]);
  const mask = b.input("pair", "f32", ["B", "T+1"]);
  const flat = b.input("flat", "f32", ["B*T"]);
  b.output("sum", b.op("reduce_sum", [b.op("cast", [ids], { dtype: "f32" })], { axes: [0, 1] }));
  b.output("pair", mask);
  b.output("flat2", b.op("add", [flat, flat]));
  return b.build();
}

const ok = () => ({
  input_ids: fromArray("i64", [2, 3], [1, 2, 3, 4, 5, 6]),
  pair: zeros("f32", [2, 4]),
  flat: fromArray("f32", [6], [1, 2, 3, 4, 5, 6]),
});

describe("binding inputs", () => {
  it("binds B and T, checks T+1 and B*T, and keeps inputs that are outputs", () => {
    const out = interpret(graph(), ok());
    expect(toArray(out["sum"]!)).toEqual([21]);
    expect(out["pair"]!.shape).toEqual([2, 4]);
    expect(toArray(out["flat2"]!)).toEqual([2, 4, 6, 8, 10, 12]);
  });

  it("solves a name that only occurs in a linear compound dim", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", "f32", ["N+1"]);
    b.output("y", b.op("slice", [x], { axis: 0, start: 1, end: "N+1" }));
    expect(interpret(b.build(), { x: fromArray("f32", [3], [7, 8, 9]) })["y"]!.shape).toEqual([2]);
  });

  it("names a missing input and an unknown one (with a suggestion)", () => {
    const { pair: _pair, ...missing } = ok();
    expectTrainc(() => interpret(graph(), missing), 6101, /input 'pair' of @g was not given/);
    expectTrainc(() => interpret(graph(), { ...ok(), input_id: zeros("i64", [1]) }), 6102, /no input 'input_id' \(did you mean 'input_ids'\?\)/);
  });

  it("names the input on a wrong dtype, rank or fixed size", () => {
    expectTrainc(() => interpret(graph(), { ...ok(), input_ids: zeros("i32", [2, 3]) }), 6103, /input 'input_ids'.*is i32, the graph expects i64/);
    expectTrainc(() => interpret(graph(), { ...ok(), input_ids: zeros("i64", [6]) }), 6104, /input 'input_ids'.*rank 2/);
    const b = new GraphBuilder("g");
    b.output("x", b.input("x", "f32", [4]));
    expectTrainc(() => interpret(b.build(), { x: zeros("f32", [5]) }), 6105, /input 'x'.*size 5 on axis 0.*fixes it to 4/);
  });

  it("names the dim and where it was bound on a conflicting size", () => {
    expectTrainc(() => interpret(graph(), { ...ok(), pair: zeros("f32", [3, 4]) }), 6105,
      /input 'pair'.*size 3 on axis 0, but dim B is already 2 from input 'input_ids' axis 0/);
    expectTrainc(() => interpret(graph(), { ...ok(), pair: zeros("f32", [2, 5]) }), 6105, /input 'pair'.*size 5 on axis 1, but T\+1 = 4/);
    expectTrainc(() => interpret(graph(), { ...ok(), flat: zeros("f32", [5]) }), 6105, /input 'flat'.*B\*T = 6/);
  });

  it("rejects data whose length does not match the shape", () => {
    const bad = { dtype: "f32" as const, shape: [6], data: new Float32Array(5) };
    expectTrainc(() => interpret(graph(), { ...ok(), flat: bad }), 6106, /input 'flat'.*5 stored elements/);
  });

  it("reports a dim no input fixes, naming the node", () => {
    const b = new GraphBuilder("g");
    b.output("c", b.op("constant", [], { dtype: "f32", shape: ["K"], value: 1 }));
    expectTrainc(() => interpret(b.build(), {}), 6107, /node 0 \(constant\): dimension 'K' has no value/);
  });

  it("cannot determine a name from a nonlinear compound dim alone", () => {
    const b = new GraphBuilder("g");
    b.output("x", b.input("x", "f32", ["N*N"]));
    expectTrainc(() => interpret(b.build(), { x: zeros("f32", [4]) }), 6107, /cannot determine N/);
  });

  it("does not mutate its inputs", () => {
    const inputs = ok();
    const before = toArray(inputs.flat);
    interpret(graph(), inputs);
    expect(toArray(inputs.flat)).toEqual(before);
  });
});
