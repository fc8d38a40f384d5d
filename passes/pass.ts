// What a pass is: a named, documented, pure function from a graph to a new graph. The name is the file name, the
// CLI name (`trainc ir --after <name>`), the golden folder (test/ir/<name>/) and the dump header.
// Invariants: no module-level mutable state; the input graph is never modified; the output verifies.
// Passes rebuild graphs with the helpers in ir/rebuild.ts.

import type { Graph } from "../ir/graph.ts";

export interface Pass {
  readonly name: string;
  /** One line for `trainc ir --help` and docs. */
  readonly summary: string;
  /** What it expects and guarantees, and where it runs in the pipeline. */
  readonly description: string;
  readonly run: (graph: Graph) => Graph;
}
