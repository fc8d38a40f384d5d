// Error codes of the ONNX importer (the 23xx block of the 2xxx "model files and import" range) and the helpers that
// raise them. Every error names the file, tensor, node or op it is about and says what to do.
//
//   code  meaning
//   2301  ONNX file missing or unreadable
//   2302  file is not an ONNX model (protobuf decode failed, or no graph)
//   2303  unsupported IR version (we read IR versions 3 to 10)
//   2304  unsupported opset of the default domain (we read opsets 17 to 21)
//   2305  unsupported op (names op type, domain and node; lists the supported ops)
//   2306  unsupported element type (of a tensor, input or Cast target)
//   2307  graph input with unknown rank, or not a tensor
//   2308  shape computation that cannot be resolved at import time (names the node)
//   2309  external data file missing, or its offset/length outside the file
//   2310  malformed model: missing operand, missing attribute, value used before it is defined, bad tensor data
//   2311  op used in a form we do not support (e.g. a reversing Slice on a runtime tensor)
//   2312  op operands whose types do not fit (the op table's type rule rejected the mapped op)
// Invariant: codes are unique within the repository; the other 2xxx blocks belong to other importers.

import { TraincError } from "../../diagnostics.ts";

export const E_FILE = 2301;
export const E_NOT_ONNX = 2302;
export const E_IR_VERSION = 2303;
export const E_OPSET = 2304;
export const E_UNSUPPORTED_OP = 2305;
export const E_DTYPE = 2306;
export const E_INPUT_RANK = 2307;
export const E_UNRESOLVED_SHAPE = 2308;
export const E_EXTERNAL_DATA = 2309;
export const E_MALFORMED = 2310;
export const E_UNSUPPORTED_FORM = 2311;
export const E_TYPE = 2312;

/** Where in the model an error happened: the ONNX node (op type and name) being imported. */
export interface NodeRef {
  readonly opType: string;
  readonly name: string;
  readonly domain: string;
}

/** "node 'foo' (Reshape)" — how errors name a node. */
export function describeNode(node: NodeRef): string {
  const domain = node.domain && node.domain !== "ai.onnx" ? `, domain '${node.domain}'` : "";
  return `node '${node.name}' (${node.opType}${domain})`;
}

/** Throws a TraincError about one node. */
export function nodeError(code: number, node: NodeRef, message: string, fix: string): never {
  throw new TraincError(code, `${describeNode(node)}: ${message}`, fix);
}
