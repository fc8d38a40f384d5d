// Reads an .onnx file into plain objects: decodes the ModelProto with our schema, checks the IR version and the
// default-domain opset, and flattens the graph into a node list with model-local functions inlined.
// Invariants: the returned node list is in the file's (topological) order; every node has a non-empty display name;
// only the first stage of import touches protobuf, later stages see the plain objects of schema.ts.

import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { E_FILE, E_IR_VERSION, E_MALFORMED, E_NOT_ONNX, E_OPSET } from "./errors.ts";
import { inlineFunctions } from "./functions.ts";
import { onnxType, type AttributeMsg, type GraphMsg, type ModelMsg, type NodeMsg } from "./schema.ts";
import { fail } from "../../diagnostics.ts";

export const MIN_IR_VERSION = 3;
export const MAX_IR_VERSION = 10;
export const MIN_OPSET = 17;
export const MAX_OPSET = 21;

/** One ONNX node, normalized: domain "" for the default domain, attributes by name. */
export interface OnnxNode {
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, AttributeMsg>;
}

export interface OnnxModel {
  /** Absolute path of the .onnx file; external data is resolved against its folder. */
  readonly path: string;
  readonly dir: string;
  readonly irVersion: number;
  readonly opset: number;
  readonly producer: string;
  readonly graph: GraphMsg;
  readonly nodes: readonly OnnxNode[];
}

/** Decodes and checks an ONNX file. Throws TraincErrors 2301-2304 naming the file. */
export function decodeOnnxFile(path: string): OnnxModel {
  const abs = resolve(path);
  const bytes = readModelBytes(abs);
  const model = decodeModel(bytes, abs);
  const irVersion = model.ir_version ?? 0;
  if (irVersion < MIN_IR_VERSION || irVersion > MAX_IR_VERSION) {
    fail(E_IR_VERSION, `${abs}: ONNX IR version ${irVersion} is not supported (we read ${MIN_IR_VERSION} to ${MAX_IR_VERSION})`,
      `re-export the model with an IR version between ${MIN_IR_VERSION} and ${MAX_IR_VERSION}`);
  }
  const opset = defaultOpset(model, abs);
  const graph = model.graph!;
  const nodes = inlineFunctions(graph.node ?? [], model.functions ?? []).map(normalizeNode);
  return {
    path: abs, dir: dirname(abs), irVersion, opset, producer: model.producer_name ?? "", graph, nodes,
  };
}

function readModelBytes(path: string): Uint8Array {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    fail(E_FILE, `ONNX model file ${path} does not exist`, "check the model path in your config or command line");
  }
  if (!isFile) fail(E_FILE, `${path} is not a file`, "point to the .onnx file itself, not its folder");
  try {
    return readFileSync(path);
  } catch (e) {
    return fail(E_FILE, `cannot read ONNX model file ${path}: ${(e as Error).message}`, "check the file's permissions");
  }
}

function decodeModel(bytes: Uint8Array, path: string): ModelMsg {
  const notOnnx = (why: string): never => fail(E_NOT_ONNX, `${path} is not an ONNX model (${why})`,
    "pass a .onnx file written by an ONNX exporter (e.g. torch.onnx.export)");
  let model: ModelMsg;
  try {
    const type = onnxType("ModelProto");
    model = type.toObject(type.decode(bytes), { longs: Number, arrays: false, defaults: false }) as ModelMsg;
  } catch (e) {
    return notOnnx(`protobuf decoding failed: ${(e as Error).message}`);
  }
  if (model.ir_version === undefined) notOnnx("it has no ir_version");
  if (!model.graph) notOnnx("it has no graph");
  return model;
}

function defaultOpset(model: ModelMsg, path: string): number {
  const entry = (model.opset_import ?? []).find((o) => !o.domain || o.domain === "ai.onnx");
  if (!entry) {
    return fail(E_OPSET, `${path} imports no opset of the default ONNX domain`,
      `export with an opset between ${MIN_OPSET} and ${MAX_OPSET} (torch.onnx.export(..., opset_version=18))`);
  }
  const version = entry.version ?? 0;
  if (version < MIN_OPSET || version > MAX_OPSET) {
    fail(E_OPSET, `${path} uses ONNX opset ${version}; we read opsets ${MIN_OPSET} to ${MAX_OPSET}`,
      `re-export with opset_version between ${MIN_OPSET} and ${MAX_OPSET}, or convert it with onnx.version_converter`);
  }
  return version;
}

function normalizeNode(node: NodeMsg, index: number): OnnxNode {
  const outputs = node.output ?? [];
  const opType = node.op_type ?? "";
  const name = node.name || `#${index} ${opType} -> ${outputs[0] ?? "?"}`;
  if (!opType) fail(E_MALFORMED, `ONNX node '${name}' has no op_type`, "the model file is damaged; re-export it");
  const attrs = new Map<string, AttributeMsg>();
  for (const attr of node.attribute ?? []) attrs.set(attr.name ?? "", attr);
  const domain = node.domain === "ai.onnx" ? "" : node.domain ?? "";
  return { opType, domain, name, inputs: node.input ?? [], outputs, attrs };
}
