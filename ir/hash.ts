// Content hashes of IR: sha256 of the printed text. Every cache key in trainc (compile cache, tuning DB) starts here;
// never key on names or counters. Invariant: equal text <=> equal hash, and printing is deterministic (ir/print.ts).

import { createHash } from "node:crypto";
import type { Graph, Module } from "./graph.ts";
import { printGraph, printModule } from "./print.ts";

export function hashText(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function hashGraph(graph: Graph): string {
  return hashText(printGraph(graph));
}

export function hashModule(module: Module): string {
  return hashText(printModule(module));
}
