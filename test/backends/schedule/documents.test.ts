// The documents rule every target's fused attention kernels share (backends/schedule/documents.ts): document ranges
// are taken, no documents are fine, and segment ids (which may repeat out of order) fail with 5310, naming the fix.
import { describe, expect, test } from "vitest";
import { hasDocumentRanges } from "../../../backends/schedule/documents.ts";
import { partition } from "../../../backends/schedule/partition.ts";
import { TraincError } from "../../../compiler/diagnostics.ts";
import { GraphBuilder } from "../../../ir/builder.ts";

/** The attention kernel of a graph whose documents are `kind`. */
function attentionKernel(kind: "ids" | "ranges" | "none") {
  const b = new GraphBuilder("documents");
  const [q, k, v] = ["q", "k", "v"].map((name) => b.input(name, "f32", [1, 6, 2, 8]));
  const seg = kind === "none" ? [] : [b.input("seg", "i32", [1, 6])];
  const documents = kind === "ranges" ? [b.op("document_ranges", seg)] : seg;
  b.output("out", b.op("attention", [q!, k!, v!, ...documents], { scale: 0.5 }));
  return partition(b.build()).kernels.find((kernel) => kernel.kind === "attention")!;
}

describe("hasDocumentRanges", () => {
  test("takes ranges and no documents", () => {
    expect(hasDocumentRanges(attentionKernel("ranges"))).toBe(true);
    expect(hasDocumentRanges(attentionKernel("none"))).toBe(false);
  });

  test("refuses segment ids with 5310", () => {
    let error: unknown;
    try {
      hasDocumentRanges(attentionKernel("ids"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TraincError);
    expect((error as TraincError).code).toBe(5310);
    expect((error as TraincError).message).toMatch(/documents are segment ids has no fused kernel/);
  });
});
