// ONNX model import: `loadOnnx(path)` decodes the file, declares the graph `forward` (the ONNX graph inputs, then
// every float initializer as an input of the same name), maps each node through the op table in
// ops/registry.ts, and marks the ONNX outputs (same names). Integer initializers, Constant nodes and shape
// computations stay known at import time (ops fold them), so the emitted graph holds only real computation.
// Invariants: `parameters` holds exactly the float initializers, keyed by the input names of `graph`; the graph has
// no dead nodes; every error is a TraincError (codes 23xx, see errors.ts) naming the file, tensor or node.

import { GraphBuilder, type Value } from "../../../ir/builder.ts";
import { isFloat } from "../../../ir/dtype.ts";
import type { Graph } from "../../../ir/graph.ts";
import type { Tensor } from "../../../ir/tensor.ts";
import { NodeContext, runtime, type ImportState, type OnnxValue } from "./context.ts";
import { decodeOnnxFile, type OnnxModel, type OnnxNode } from "./decode.ts";
import { E_MALFORMED, E_TYPE, nodeError } from "./errors.ts";
import { known, type Known } from "./known.ts";
import { handlerFor } from "./ops/registry.ts";
import { pruneDeadNodes } from "./prune.ts";
import { declaredSizes, inputType } from "./shapes.ts";
import { decodeTensor } from "./tensors.ts";

export interface OnnxImport {
  /** The forward graph: ONNX inputs, then one input per float initializer; the ONNX outputs. */
  readonly graph: Graph;
  /** Float initializers by name (the graph's parameter inputs). */
  readonly parameters: Record<string, Tensor>;
}

/** Imports an ONNX model file (IR versions 3-10, opsets 17-21) into the IR. */
export function loadOnnx(path: string): OnnxImport {
  const model = decodeOnnxFile(path);
  const state: ImportState = {
    builder: new GraphBuilder("forward"), dir: model.dir, constants: new Map(), reshapeSources: new Map(),
    concatParts: new Map(),
  };
  const env = new Map<string, OnnxValue>();
  const parameters = declareInputs(model, state.builder, env);
  for (const node of model.nodes) importNode(node, env, state);
  for (const info of model.graph.output ?? []) {
    const name = info.name ?? "";
    const outputNode: OnnxNode = { opType: "graph output", domain: "", name, inputs: [name], outputs: [], attrs: new Map() };
    const value = lookup(env, name, outputNode);
    const ir = new NodeContext(outputNode, [value], state).runtime(value);
    checkDeclared(outputNode, ir, declaredSizes(info));
    state.builder.output(name, ir);
  }
  return { graph: pruneDeadNodes(state.builder.build()), parameters };
}

/** Declares graph inputs and float initializers; integer initializers become known tensors. */
function declareInputs(model: OnnxModel, b: GraphBuilder, env: Map<string, OnnxValue>): Record<string, Tensor> {
  const initializers = model.graph.initializer ?? [];
  const initNames = new Set(initializers.map((t) => t.name ?? ""));
  for (const info of model.graph.input ?? []) {
    const name = info.name ?? "";
    if (initNames.has(name)) continue;
    const { dtype, shape } = inputType(info, model.path);
    env.set(name, runtime(b.input(name, dtype, shape)));
  }
  const parameters: Record<string, Tensor> = {};
  for (const msg of initializers) {
    const name = msg.name ?? "";
    const tensor = decodeTensor(msg, model.dir, `initializer '${name}' in ${model.path}`);
    if (isFloat(tensor.dtype)) {
      env.set(name, runtime(b.input(name, tensor.dtype, tensor.shape)));
      parameters[name] = tensor;
    } else {
      env.set(name, knownOf(tensor));
    }
  }
  return parameters;
}

function knownOf(t: Tensor): Known {
  return known(t.dtype, t.shape, Array.from(t.data));
}

function lookup(env: Map<string, OnnxValue>, name: string, node: OnnxNode): OnnxValue {
  return env.get(name) ?? nodeError(E_MALFORMED, node, `uses value '${name}', which no input, initializer or earlier ` +
    "node defines", "the model file is invalid (nodes must be in topological order); re-export it");
}

function importNode(node: OnnxNode, env: Map<string, OnnxValue>, state: ImportState): void {
  const handler = handlerFor(node);
  const operands = node.inputs.map((name) => (name === "" ? undefined : lookup(env, name, node)));
  const results = handler(new NodeContext(node, operands, state));
  node.outputs.forEach((name, i) => {
    if (name === "") return;
    const value = results[i] ?? nodeError(E_MALFORMED, node, `has no output ${i} ('${name}')`,
      "trainc does not compute this optional output; re-export the model without using it");
    env.set(name, value);
  });
}

/** Checks the concrete sizes an ONNX output declares against the type the import computed. */
function checkDeclared(node: OnnxNode, value: Value, declared: (number | undefined)[] | undefined): void {
  if (!declared) return;
  const shape = value.type.shape;
  const bad = declared.length !== shape.length ||
    declared.some((d, i) => d !== undefined && typeof shape[i] === "number" && shape[i] !== d);
  if (bad) {
    nodeError(E_TYPE, node, `declares shape [${declared.map((d) => d ?? "?").join(", ")}] but the import computed ` +
      `[${shape.join(", ")}]`, "the model's declared output shape disagrees with its nodes; re-export it");
  }
}
