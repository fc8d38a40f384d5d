// Other views of a graph for `trainc ir --format json|dot`: a JSON document (for tools) and Graphviz dot (for
// pictures). Both name values as the text form does (%<input name>, %0, %1, ...), so the three views line up.

import { formatDim } from "./dim.ts";
import type { Graph, Module, TensorType } from "./graph.ts";

interface JsonType {
  dtype: string;
  shape: (number | string)[];
}

function jsonType(t: TensorType): JsonType {
  return { dtype: t.dtype, shape: t.shape.map((d) => (typeof d === "number" ? d : formatDim(d))) };
}

function valueLabels(graph: Graph): string[] {
  const labels: string[] = [];
  for (const input of graph.inputs) labels[input.id] = `%${input.name}`;
  let next = 0;
  for (const node of graph.nodes) for (const r of node.results) labels[r] = `%${next++}`;
  return labels;
}

/** A plain JSON object: {graphs: [{name, inputs, nodes, outputs}]}. */
export function moduleToJson(module: Module): unknown {
  return { graphs: module.graphs.map(graphToJson) };
}

export function graphToJson(graph: Graph): unknown {
  const labels = valueLabels(graph);
  return {
    name: graph.name,
    inputs: graph.inputs.map((i) => ({ name: i.name, ...jsonType(graph.types[i.id]!) })),
    nodes: graph.nodes.map((n) => ({
      op: n.op,
      args: n.args.map((a) => labels[a]),
      attrs: n.attrs,
      results: n.results.map((r) => ({ name: labels[r], ...jsonType(graph.types[r]!) })),
    })),
    outputs: graph.outputs.map((o) => ({ name: o.name, value: labels[o.id] })),
  };
}

/** Graphviz dot: one cluster per graph, a box per node, an ellipse per input and output. */
export function moduleToDot(module: Module): string {
  const lines = ["digraph trainc {", "  rankdir=TB;", '  node [fontname="monospace", fontsize=10];'];
  module.graphs.forEach((graph, g) => {
    const producer: string[] = [];
    lines.push(`  subgraph cluster_${g} {`, `    label=${JSON.stringify("@" + graph.name)};`);
    for (const input of graph.inputs) {
      producer[input.id] = `g${g}_v${input.id}`;
      const label = `${input.name}\n${typeText(graph.types[input.id]!)}`;
      lines.push(`    ${producer[input.id]} [shape=ellipse, label=${JSON.stringify(label)}];`);
    }
    graph.nodes.forEach((node, n) => {
      const box = `g${g}_n${n}`;
      const types = node.results.map((r) => typeText(graph.types[r]!)).join(", ");
      lines.push(`    ${box} [shape=box, label=${JSON.stringify(`${node.op}\n${types}`)}];`);
      for (const a of node.args) lines.push(`    ${producer[a]} -> ${box};`);
      for (const r of node.results) producer[r] = box;
    });
    graph.outputs.forEach((output, o) => {
      lines.push(`    g${g}_out${o} [shape=ellipse, style=dashed, label=${JSON.stringify(output.name)}];`);
      lines.push(`    ${producer[output.id]} -> g${g}_out${o};`);
    });
    lines.push("  }");
  });
  lines.push("}");
  return lines.join("\n") + "\n";
}

function typeText(t: TensorType): string {
  return `${t.dtype}[${t.shape.map(formatDim).join(",")}]`;
}
