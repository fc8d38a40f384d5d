// What every op evaluation receives besides its operands: the node's attributes, the concrete types of its results
// (symbolic dims already evaluated), the dim environment, and a way to fail that names the node. Also the staging
// buffers evaluations write into before results are sealed into tensors.
// Error codes of the interpreter (6100-6129 runtime, 9101 internal); each is thrown in the file named beside it:
//   6101 a graph input was not given                      (bind.ts)
//   6102 an input name the graph does not have            (bind.ts)
//   6103 an input has the wrong dtype                     (bind.ts)
//   6104 an input has the wrong rank                      (bind.ts)
//   6105 an input size conflicts with the graph or another input   (bind.ts)
//   6106 an input's data length does not match its shape  (bind.ts)
//   6107 a symbolic dim has no value (not fixed by any input)      (bind.ts, context.ts: any op, e.g. size)
//   6110 embedding / embedding_grad id out of range        (embedding.ts)
//   6111 cross_entropy target out of range                (loss.ts)
//   6112 integer division by zero                         (binary.ts)
//   6113 integer power with a negative exponent           (binary.ts)
//   6114 slice bounds out of range once dims are known    (structural.ts)
//   6115 attention heads that do not fit once dims are known        (attention.ts)
//   6116 a cast from or to a packed 4-bit dtype           (create.ts)
//   6117 reduce_max over an empty axis                    (reduce.ts)
//   6118 dequantize element count not a multiple of block_size (quant.ts)
//   6119 a negative dim once evaluated                    (context.ts)
//   6120 adamw step below 1                               (optim.ts)
//   6121 gather index out of range                        (gather.ts)
//   6122 document_ranges of segment ids that decrease     (model.ts)
//   6123 attention ranges that are not runs partitioning the row, or not prefix-LM ranges   (attention.ts)
//   6124 attention blocks whose counts or entries are out of range   (block-mask.ts)
//   6125 prefix_lm_ranges of trained counts that decrease (model.ts)
//   9101 an evaluation returned a result of the wrong type (index.ts; a bug in trainc)

import { TraincError } from "../../compiler/diagnostics.ts";
import { evalDim, type Dim } from "../dim.ts";
import type { DType } from "../dtype.ts";
import type { Attrs, Graph, Node } from "../graph.ts";
import { allocStorage, needsRounding, roundArray, type Tensor, type TensorData } from "../tensor.ts";

/** A result's concrete type. */
export interface OutSpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Evaluates one op: operands in, results out (as many as the op table's type rule gives). */
export type Eval = (args: readonly Tensor[], ctx: EvalContext) => Tensor[];

/** Per-node evaluation context. */
export class EvalContext {
  readonly attrs: Attrs;
  readonly out: readonly OutSpec[];
  private readonly where: string;

  constructor(graph: Graph, index: number, node: Node, private readonly env: Readonly<Record<string, number>>) {
    this.attrs = node.attrs;
    this.where = `@${graph.name} node ${index} (${node.op})`;
    this.out = node.results.map((id) => {
      const type = graph.types[id]!;
      return { dtype: type.dtype, shape: type.shape.map((d) => this.dim(d)) };
    });
  }

  /** Throws a TraincError whose message starts with the node's position and op. */
  fail(code: number, message: string, fix?: string): never {
    throw new TraincError(code, `${this.where}: ${message}`, fix);
  }

  /** The concrete value of a (possibly symbolic) dim used as a size or bound: never negative (6119). */
  dim(d: Dim): number {
    const value = this.evaluate(d);
    if (value < 0) this.fail(6119, `dimension '${d}' evaluates to ${value}`, "check the input sizes");
    return value;
  }

  /** The value of a polynomial in the bound sizes, which may be negative (the `size` op's 1-T). */
  evaluate(d: Dim): number {
    try {
      return evalDim(d, this.env);
    } catch (e) {
      return this.fail(6107, `${(e as Error).message} (in '${d}')`, "give an input whose shape fixes that dimension");
    }
  }

  /** Integer attribute. */
  int(name: string): number {
    return this.attrs[name] as number;
  }
}

/** A zero-filled buffer to compute results of `dtype` into: wide (f64) for narrow floats, the storage type otherwise. */
export function stage(dtype: DType, length: number): TensorData {
  return needsRounding(dtype) ? new Float64Array(length) : allocStorage(dtype, length);
}

/** Turns a staged buffer into a tensor, rounding narrow floats (bf16, f16, f8) to their dtype. */
export function seal(spec: OutSpec, data: TensorData): Tensor {
  const dtype = spec.dtype;
  return { dtype, shape: spec.shape, data: needsRounding(dtype) ? roundArray(dtype, data) : data };
}

/** Allocates the staging buffer for result `index` of the node. */
export function stageOut(ctx: EvalContext, index = 0): TensorData {
  const spec = ctx.out[index]!;
  let n = 1;
  for (const d of spec.shape) n *= d;
  return stage(spec.dtype, n);
}
