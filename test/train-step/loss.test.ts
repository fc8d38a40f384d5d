// The causal LM loss: next-token targets on a packed batch (no target across a document boundary, none at the end,
// ignored labels stay ignored), and its loss sum and token count against a direct computation.
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../ir/builder.ts";
import { interpret } from "../../ir/interpret/index.ts";
import { fromArray, toArray } from "../../ir/tensor.ts";
import { causalLmLoss, nextTokenTargets } from "../../ir/train-step.ts";
import { makeRandom } from "../../compiler/random.ts";
import { batch, referenceLoss, VOCAB } from "./tiny.ts";

const PACKED = batch([
  { ids: [0, 0, 0, 0, 0, 0, 0, 0], labels: [1, 2, 3, 4, 0, -100, 2, 3], positions: [0, 1, 2, 0, 1, 2, 3, 0] },
  { ids: [0, 0, 0, 0, 0, 0, 0, 0], labels: [4, 4, -100, 1, 2, 3, 0, 1], positions: [5, 6, 7, 8, 0, 1, 2, 3] },
]);

function lossGraph() {
  const b = new GraphBuilder("loss");
  const labels = b.input("labels", "i64", ["B", "T"]);
  const positions = b.input("position_ids", "i64", ["B", "T"]);
  const logits = b.input("logits", "f64", ["B", "T", VOCAB]);
  b.output("targets", nextTokenTargets(b, labels, positions));
  const { lossSum, tokenCount } = causalLmLoss(b, logits, labels, positions);
  b.output("loss_sum", lossSum);
  b.output("token_count", tokenCount);
  return b.build();
}

describe("causal LM loss on a packed batch", () => {
  const random = makeRandom("packed logits");
  const logits = fromArray("f64", [2, 8, VOCAB], Array.from({ length: 2 * 8 * VOCAB }, () => 4 * random() - 2));
  const out = interpret(lossGraph(), { labels: PACKED["labels"]!, position_ids: PACKED["position_ids"]!, logits });

  it("targets the next label only inside a document", () => {
    // Row 0 documents: positions 0-2, 3-6, 7. Row 1: 5..8 (a document need not start at 0), then 0..3.
    expect(toArray(out["targets"]!)).toEqual([
      2, 3, -100, 0, -100, 2, -100, -100,
      4, -100, 1, -100, 3, 0, 1, -100,
    ]);
  });

  it("sums cross-entropy over the counted targets and counts them", () => {
    const reference = referenceLoss(logits, PACKED["labels"]!, PACKED["position_ids"]!);
    expect(reference.count).toBe(9);
    expect(out["token_count"]!.dtype).toBe("i64");
    expect(toArray(out["token_count"]!)).toEqual([reference.count]);
    expect(toArray(out["loss_sum"]!)[0]).toBeCloseTo(reference.sum, 12);
  });
});
