// The table of supported ONNX ops (default domain) -> handler, merged from the group files, and the lookup that
// reports an unsupported op with its type, domain and node and the list of what is supported.
// Invariant: only ops of the default ONNX domain ("" or "ai.onnx") are mapped; any other domain is unsupported.

import { E_UNSUPPORTED_OP, nodeError } from "../errors.ts";
import type { OnnxNode } from "../decode.ts";
import type { Handler } from "./common.ts";
import { ELEMENTWISE_HANDLERS } from "./elementwise.ts";
import { GATHER_ND_HANDLERS } from "./gather-nd.ts";
import { INDEXING_HANDLERS } from "./indexing.ts";
import { LAYOUT_HANDLERS } from "./layout.ts";
import { LINALG_HANDLERS } from "./linalg.ts";
import { REDUCE_HANDLERS } from "./reduce.ts";
import { SOURCE_HANDLERS } from "./sources.ts";

const HANDLERS: Readonly<Record<string, Handler>> = {
  ...ELEMENTWISE_HANDLERS, ...LAYOUT_HANDLERS, ...INDEXING_HANDLERS, ...SOURCE_HANDLERS, ...LINALG_HANDLERS,
  ...REDUCE_HANDLERS, ...GATHER_ND_HANDLERS,
};

/** Names of the supported ONNX ops, sorted. */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(HANDLERS).sort();

/** The handler of a node's op; a TraincError (2305) for anything unsupported. */
export function handlerFor(node: OnnxNode): Handler {
  const handler = node.domain === "" && Object.hasOwn(HANDLERS, node.opType) ? HANDLERS[node.opType] : undefined;
  if (handler) return handler;
  const where = node.domain === "" ? "" : ` from domain '${node.domain}'`;
  return nodeError(E_UNSUPPORTED_OP, node, `ONNX op ${node.opType}${where} is not supported`,
    `trainc imports these ops of the default ONNX domain: ${SUPPORTED_ONNX_OPS.join(", ")}; ` +
    "re-export the model so it uses only these, or open an issue asking for the op");
}
