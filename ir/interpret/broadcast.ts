// Broadcast iteration plans: NumPy broadcasting of operands to an output shape, reduced to rows. Axes where every
// operand is contiguous (or broadcast) in the same way are merged, so a same-shape op is one row of numel elements,
// a scalar operand is a stride-0 row, and [N,C] + [C] is N rows of C. Kernels then run one tight loop per row.
// Invariant: row r of the output starts at r * inner; operand k's element j of row r is at
// rowOffsets[k][r] + j * innerStrides[k].

/** Rows of a broadcast: output row r is `inner` contiguous elements. */
export interface RowPlan {
  readonly rows: number;
  readonly inner: number;
  /** Per operand, the offset of each row's first element. */
  readonly rowOffsets: readonly Int32Array[];
  /** Per operand, the step between consecutive elements of a row (0 when broadcast along it, else 1 or more). */
  readonly innerStrides: readonly number[];
}

/** Element strides of `shape` right-aligned against an output of rank `rank`; 0 on broadcast (size-1) axes. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const out = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    out[axis] = shape[i] === 1 && outShape[axis] !== 1 ? 0 : s;
    s *= shape[i]!;
  }
  return out;
}

/** Plans iterating `outShape`, reading each operand of `shapes` (each broadcastable to outShape). */
export function planRows(outShape: readonly number[], shapes: readonly (readonly number[])[]): RowPlan {
  const all = shapes.map((s) => broadcastStrides(s, outShape));
  const dims: number[] = [];
  const st: number[][] = shapes.map(() => []);
  for (let axis = 0; axis < outShape.length; axis++) {
    const size = outShape[axis]!;
    if (size === 1) continue;
    const last = dims.length - 1;
    const merge = last >= 0 && all.every((s, k) => st[k]![last] === s[axis]! * size);
    if (merge) {
      dims[last]! *= size;
      all.forEach((s, k) => (st[k]![last] = s[axis]!));
    } else {
      dims.push(size);
      all.forEach((s, k) => st[k]!.push(s[axis]!));
    }
  }
  const total = outShape.reduce((a, b) => a * b, 1);
  if (dims.length === 0 || total === 0) {
    return { rows: total === 0 ? 0 : 1, inner: total === 0 ? 0 : 1, rowOffsets: shapes.map(() => new Int32Array(1)),
      innerStrides: shapes.map(() => 0) };
  }
  const inner = dims.pop()!;
  const innerStrides = st.map((s) => s.pop()!);
  return { rows: total / inner, inner, rowOffsets: st.map((s) => rowOffsets(dims, s)), innerStrides };
}

/** Offsets of every row for one operand: an odometer over the outer dims. */
function rowOffsets(dims: readonly number[], stridesOf: readonly number[]): Int32Array {
  const rows = dims.reduce((a, b) => a * b, 1);
  const out = new Int32Array(rows);
  const index = new Array<number>(dims.length).fill(0);
  let offset = 0;
  for (let r = 0; r < rows; r++) {
    out[r] = offset;
    for (let a = dims.length - 1; a >= 0; a--) {
      index[a]!++;
      offset += stridesOf[a]!;
      if (index[a]! < dims[a]!) break;
      offset -= stridesOf[a]! * dims[a]!;
      index[a] = 0;
    }
  }
  return out;
}
