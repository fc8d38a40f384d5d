// Row gather (embedding) and its gradient (embedding_grad, a scatter-add). Ids must lie in [0, rows) or the node
// fails with 6110, naming the position of the bad id and its value.

import { numel, strides, type Tensor } from "../tensor.ts";
import { seal, stageOut, type Eval, type EvalContext } from "./context.ts";

/** The multi-index of flat position `flat` in `shape`, as text "[b,t]". */
export function positionOf(flat: number, shape: readonly number[]): string {
  const st = strides(shape);
  return `[${st.map((s, i) => Math.floor(flat / s) % shape[i]!).join(",")}]`;
}

/** Checks every id against [0, rows) before any work is done. */
function checkIds(ids: Tensor, rows: number, ctx: EvalContext): void {
  const data = ids.data;
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    if (!(id >= 0 && id < rows)) {
      ctx.fail(6110, `id ${id} at position ${positionOf(i, ids.shape)} is outside [0, ${rows})`,
        `token ids must be below the vocabulary size ${rows}; check the tokenizer and the model's vocab_size`);
    }
  }
}

const embedding: Eval = ([w, ids], ctx) => {
  const [rows, cols] = w!.shape as [number, number];
  checkIds(ids!, rows, ctx);
  const out = stageOut(ctx);
  const src = w!.data;
  const idData = ids!.data;
  for (let i = 0; i < idData.length; i++) {
    const from = idData[i]! * cols;
    const to = i * cols;
    for (let c = 0; c < cols; c++) out[to + c] = src[from + c]!;
  }
  return [seal(ctx.out[0]!, out)];
};

const embeddingGrad: Eval = ([ids, dy], ctx) => {
  const spec = ctx.out[0]!;
  const [rows, cols] = spec.shape as [number, number];
  checkIds(ids!, rows, ctx);
  const acc = new Float64Array(numel(spec.shape));
  const g = dy!.data;
  const idData = ids!.data;
  for (let i = 0; i < idData.length; i++) {
    const to = idData[i]! * cols;
    const from = i * cols;
    for (let c = 0; c < cols; c++) acc[to + c] += g[from + c]!;
  }
  const out = stageOut(ctx);
  out.set(acc);
  return [seal(spec, out)];
};

/** Evaluations of embedding and embedding_grad. */
export const EMBEDDING_EVALS = { embedding, embedding_grad: embeddingGrad };
