// Shared-memory tiles of bf16 rows for the tensor-core kernels: a swizzled layout that keeps ldmatrix and cp.async
// free of bank conflicts, the cooperative asynchronous tile load from a [B,T,H,D] tensor, and the copy of a staged
// tile back to global memory. Rendered as device code into a kernel's detail namespace.
// Invariants: a tile row holds D bf16 as D/8 chunks of 16 bytes; logical chunk c of row r lives at physical chunk
// (c ^ (r & 7)) of that row (D/8 >= 8, so the XOR stays inside the row); rows past the tensor's length are zero.

/** Device code of swz, load_rows and store_rows for rows of `d` bf16, loaded by `threads` threads. */
export function renderTileHelpers(d: number, threads: number): string {
  const chunks = d / 8;
  return `// Element offset of 16-byte chunk \`chunk\` of tile row \`row\` (rows of ${d} bf16, XOR-swizzled).
__device__ __forceinline__ int swz(int row, int chunk) {
  return (row * ${chunks} + (chunk ^ (row & 7))) * 8;
}

// Starts async copies of rows [row0, row0 + ROWS) of one head into a swizzled tile; src points at row 0 of that head
// and consecutive rows are \`stride\` elements apart; rows at or past \`limit\` are zero-filled.
template <int ROWS>
__device__ __forceinline__ void load_rows(__nv_bfloat16* tile, const __nv_bfloat16* src, int row0, int limit,
                                          long long stride) {
#pragma unroll
  for (int c = static_cast<int>(threadIdx.x); c < ROWS * ${chunks}; c += ${threads}) {
    const int row = c / ${chunks}, chunk = c % ${chunks};
    const bool ok = row0 + row < limit;
    const __nv_bfloat16* from = ok ? src + (row0 + row) * stride + chunk * 8 : src;
    cp_async16(tile + swz(row, chunk), from, ok);
  }
}

// Copies tile rows [0, ROWS) to rows [row0, row0 + ROWS) of one head of dst (16 bytes per thread and step), skipping
// rows at or past \`limit\`. The tile must be complete (a barrier after its last write).
template <int ROWS>
__device__ __forceinline__ void store_rows(__nv_bfloat16* dst, const __nv_bfloat16* tile, int row0, int limit,
                                           long long stride) {
#pragma unroll
  for (int c = static_cast<int>(threadIdx.x); c < ROWS * ${chunks}; c += ${threads}) {
    const int row = c / ${chunks}, chunk = c % ${chunks};
    if (row0 + row < limit) {
      *reinterpret_cast<uint4*>(dst + (row0 + row) * stride + chunk * 8) =
          *reinterpret_cast<const uint4*>(tile + swz(row, chunk));
    }
  }
}`;
}

/** Bytes of a tile of `rows` rows of `d` bf16. */
export function tileBytes(rows: number, d: number): number {
  return rows * d * 2;
}
