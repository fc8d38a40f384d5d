// A tiny hand-built forward graph for the train-step tests, a packed batch, seeded parameters, and an independent
// reference for the causal LM loss (document boundaries found from position_ids, cross-entropy in plain numbers).
import { GraphBuilder } from "../../ir/builder.ts";
import type { Graph } from "../../ir/graph.ts";
import { fromArray, toArray, type Tensor } from "../../ir/tensor.ts";
import { makeRandom } from "../../compiler/random.ts";

export const VOCAB = 5;
export const CHANNELS = 3;

export const PARAM_SHAPES: Readonly<Record<string, readonly number[]>> = {
  "embed.weight": [VOCAB, CHANNELS],
  "norm.weight": [CHANNELS],
  "lm_head.weight": [VOCAB, CHANNELS],
  "lm_head.bias": [VOCAB],
};

/** logits = tanh(embedding(ids) * norm.weight) @ lm_head.weight^T + lm_head.bias, with symbolic B and T. */
export function tinyForward(): Graph {
  const b = new GraphBuilder("forward");
  const ids = b.input("input_ids", "i64", ["B", "T"]);
  b.input("position_ids", "i64", ["B", "T"]);
  const p = Object.fromEntries(Object.entries(PARAM_SHAPES).map(([name, shape]) => [name, b.input(name, "f64", shape)]));
  const h = b.op("tanh", [b.op("mul", [b.op("embedding", [p["embed.weight"]!, ids]), p["norm.weight"]!])]);
  const logits = b.op("matmul", [h, p["lm_head.weight"]!], { transpose_b: true });
  b.output("logits", b.op("add", [logits, p["lm_head.bias"]!]));
  return b.build();
}

/** Seeded random parameters in [-1, 1]. */
export function tinyParams(seed: string): Record<string, Tensor> {
  const random = makeRandom(seed);
  return Object.fromEntries(Object.entries(PARAM_SHAPES).map(([name, shape]) => {
    const n = shape.reduce((a, d) => a * d, 1);
    return [name, fromArray("f64", shape, Array.from({ length: n }, () => 2 * random() - 1))];
  }));
}

/** A batch of rows of equal length (input_ids, labels, position_ids as i64 [rows, T]). */
export function batch(rows: { ids: number[]; labels: number[]; positions: number[] }[]): Record<string, Tensor> {
  const shape = [rows.length, rows[0]!.ids.length];
  return {
    input_ids: fromArray("i64", shape, rows.flatMap((r) => r.ids)),
    labels: fromArray("i64", shape, rows.flatMap((r) => r.labels)),
    position_ids: fromArray("i64", shape, rows.flatMap((r) => r.positions)),
  };
}

/** Sum of next-token cross-entropy and the number of targets, computed directly from logits [B,T,V]. */
export function referenceLoss(logits: Tensor, labels: Tensor, positions: Tensor): { sum: number; count: number } {
  const [rows, time, vocab] = logits.shape as [number, number, number];
  const z = toArray(logits);
  const lab = toArray(labels);
  const pos = toArray(positions);
  let sum = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t + 1 < time; t++) {
      const next = r * time + t + 1;
      const target = lab[next]!;
      if (pos[next] !== pos[next - 1]! + 1 || target === -100) continue;
      const row = z.slice((r * time + t) * vocab, (r * time + t + 1) * vocab);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      sum += lse - row[target]!;
      count++;
    }
  }
  return { sum, count };
}
