// Finite-difference cases for the model ops: rope with random (not rotation) tables, GQA attention with
// causal + window + segments and a non-causal cross-length one, and cross_entropy with ignored targets.
import { f64, type FdCase } from "../fd.ts";

export const MODEL_CASES: readonly FdCase[] = [
  {
    name: "rope with random tables", ops: ["rope"],
    inputs: [f64("x", [2, 3, 2, 4]), f64("cos", [2, 3, 4]), f64("sin", [2, 3, 4])],
    build: (b, x) => b.op("rope", [x["x"]!, x["cos"]!, x["sin"]!]),
  },
  {
    name: "GQA attention, causal, window 3, two documents", ops: ["attention"],
    inputs: [
      f64("q", [1, 6, 4, 3]), f64("k", [1, 6, 2, 3]), f64("v", [1, 6, 2, 2]),
      { name: "segments", dtype: "i32", shape: [1, 6], values: [0, 0, 0, 0, 1, 1] },
    ],
    build: (b, x) => b.op("attention", [x["q"]!, x["k"]!, x["v"]!, x["segments"]!], { causal: true, window: 3, scale: 0.7 }),
  },
  {
    name: "attention, not causal, 3 queries over 4 keys, batch 2", ops: ["attention"],
    inputs: [f64("q", [2, 3, 2, 2]), f64("k", [2, 4, 1, 2]), f64("v", [2, 4, 1, 3])],
    build: (b, x) => b.op("attention", [x["q"]!, x["k"]!, x["v"]!], { causal: false, scale: 0.5 }),
  },
  {
    name: "cross_entropy with ignored targets", ops: ["cross_entropy"],
    inputs: [
      f64("logits", [2, 3, 5], { range: [-2, 2] }),
      { name: "targets", dtype: "i64", shape: [2, 3], values: [4, -100, 0, 2, 2, -100] },
    ],
    build: (b, x) => b.op("cross_entropy", [x["logits"]!, x["targets"]!]),
  },
];
