// What a pass is: a named, documented, pure function from a graph (and the options the config decides) to a new
// graph. The name is the file name, the CLI name (`trainc ir --after <name>`), the golden folder (test/ir/<name>/)
// and the dump header.
// Invariants: no module-level mutable state; the input graph is never modified; the output verifies; on the same
// inputs, the output graph computes what the input graph does — exactly, or within `tolerance` for a pass that
// reorders floating-point work.
// Passes rebuild graphs with the helpers in ir/rebuild.ts.

import type { Graph } from "../ir/graph.ts";

/**
 * How attention runs (the attention-lowering pass): `flash` the fused FlashAttention-2-style kernel; `flex` the
 * block-sparse kernel reading a block table (cuda; other targets run it as flash); `xformers` the memory-efficient
 * kernel at xformers' own tiling and walk (cuda; other targets run it as flash); `sdpa` and `eager` the unfused reference (matmul, masked softmax, matmul).
 */
export type AttentionLowering = "flash" | "flex" | "xformers" | "sdpa" | "eager";

/** What the config decides about the rewrites (compiler/pipeline.ts takes it from the TrainConfig). */
export interface PassOptions {
  readonly attention: AttentionLowering;
}

/** The options of a run without a config (trainc grads without --config, goldens without options). */
export const DEFAULT_PASS_OPTIONS: PassOptions = { attention: "flash" };

export interface Pass {
  readonly name: string;
  /** One line for `trainc ir --help` and docs. */
  readonly summary: string;
  /** What it expects and guarantees, and where it runs in the pipeline. */
  readonly description: string;
  readonly run: (graph: Graph, options: PassOptions) => Graph;
  /** Largest relative difference its output may show against its input's (default 0: exact). */
  readonly tolerance?: number;
}
