// Shared-memory tiles of 16-bit rows (bf16 or f16) for the tensor-core kernels: a swizzled layout that keeps ldmatrix
// and cp.async free of bank conflicts, the cooperative asynchronous tile load from a [B,T,H,D] tensor, and the copy of
// a staged tile back to global memory. Rendered as device code into a kernel's detail namespace.
// Two layouts (TileLayout): `rows` keeps each row whole (D elements contiguous) for ldmatrix; `sw128` is wgmma's
// 128-byte-swizzle canonical layout: the tile is cut into 64-column blocks, each ROWS rows of 128 bytes (block c
// starts at c * ROWS * 128 bytes), so 8-row groups are 1024 bytes apart. At D = 64 the two are the same.
// Invariants: logical 16-byte chunk c of row r lives at physical chunk (c ^ (r & 7)) of its 128-byte span (D/8 >= 8,
// so the XOR stays inside it); rows past the tensor's length are zero. The block's threads cover whole rows in steps
// of threads/(D/8) rows, a multiple of 8 (so the swizzle of a thread's rows never changes) that divides the tile's
// rows: tileStepOk checks it.

/** How a tile's rows sit in shared memory (see the header). */
export type TileLayout = "rows" | "sw128";

function offsetFunctions(d: number, layout: TileLayout): string {
  const chunks = d / 8;
  if (layout === "sw128") {
    return `// Element offset of 16-byte chunk \`chunk\` of row \`row\` of a ROWS-row tile in wgmma's 128-byte-swizzle layout
// (64-column blocks of ROWS rows of 128 bytes, chunks XOR-swizzled within each).
template <int ROWS>
__device__ __forceinline__ int swz(int row, int chunk) {
  return (chunk / 8) * ROWS * 64 + (row * 8 + ((chunk % 8) ^ (row & 7))) * 8;
}`;
  }
  return `// Element offset of 16-byte chunk \`chunk\` of tile row \`row\` (rows of ${d} 16-bit elements, XOR-swizzled).
__device__ __forceinline__ int swz(int row, int chunk) {
  return (row * ${chunks} + (chunk ^ (row & 7))) * 8;
}

// swz(row, 2 * k + hi) == swz_pair(row, hi) ^ (16 * k) for 0 <= k < ${chunks / 2}: the XOR swizzle only touches bits
// below D that row * D leaves zero, so a lane keeps one base offset per operand and XORs in the chunk pair.
__device__ __forceinline__ int swz_pair(int row, int hi) {
  return row * ${d} + 8 * (hi ^ (row & 7));
}`;
}

/** Threads that copy tiles when they are not the block's computing threads (a producer warpgroup, producer.ts). */
export interface Loaders {
  /** Their count; a loader's index is its thread index modulo this. */
  readonly threads: number;
  /** Whether the copy loop stays rolled (fewer registers). */
  readonly rolled: boolean;
}

/**
 * Device code of swz, load_rows and store_rows for rows of `d` 16-bit elements in `layout`: tiles are stored by threads
 * [0, threads) and loaded by the same threads, or by `producer`.
 */
export function renderTileHelpers(d: number, threads: number, layout: TileLayout = "rows", producer?: Loaders): string {
  const chunks = d / 8;
  const swz = layout === "sw128" ? "swz<ROWS>" : "swz";
  const loaders = producer?.threads ?? threads;
  const index = producer === undefined ? "static_cast<int>(threadIdx.x)" : `(static_cast<int>(threadIdx.x) % ${loaders})`;
  // Elements between a thread's successive rows (threads / chunks rows further on).
  const pitch = (n: number) => (n / chunks) * (layout === "sw128" ? 64 : d);
  return `${offsetFunctions(d, layout)}

// Starts async copies of rows [row0, row0 + ROWS) of one head into a swizzled tile; src points at row 0 of that head
// and consecutive rows are \`stride\` elements apart; rows at or past \`limit\` are zero-filled. Each thread copies
// one chunk column every ${loaders / chunks} rows, so its addresses advance by constants (no per-copy arithmetic).
template <int ROWS>
__device__ __forceinline__ void load_rows(half_t* tile, const half_t* src, int row0, int limit,
                                          long long stride) {
  const int r = ${index} / ${chunks}, chunk = ${index} % ${chunks};
  const half_t* from = src + (row0 + r) * stride + chunk * 8;
  half_t* to = tile + ${swz}(r, chunk);
#pragma unroll${producer?.rolled ? " 1" : ""}
  for (int it = 0; it < ROWS / ${loaders / chunks}; ++it) {
    const bool ok = row0 + r + it * ${loaders / chunks} < limit;
    cp_async16(to + it * ${pitch(loaders)}, ok ? from + it * ${loaders / chunks} * stride : src, ok);
  }
}

// Copies tile rows [0, ROWS) to rows [row0, row0 + ROWS) of one head of dst (16 bytes per thread and step), skipping
// rows at or past \`limit\`. The tile must be complete (a barrier after its last write).
template <int ROWS>
__device__ __forceinline__ void store_rows(half_t* dst, const half_t* tile, int row0, int limit,
                                           long long stride) {
  const int r = static_cast<int>(threadIdx.x) / ${chunks}, chunk = static_cast<int>(threadIdx.x) % ${chunks};
#pragma unroll
  for (int it = 0; it < ROWS / ${threads / chunks}; ++it) {
    if (row0 + r + it * ${threads / chunks} < limit) {
      *reinterpret_cast<uint4*>(dst + (row0 + r + it * ${threads / chunks}) * stride + chunk * 8) =
          *reinterpret_cast<const uint4*>(tile + ${swz}(r, chunk) + it * ${pitch(threads)});
    }
  }
}`;
}

/** Bytes of a tile of `rows` rows of `d` 16-bit elements. */
export function tileBytes(rows: number, d: number): number {
  return rows * d * 2;
}

/** Rows one pass of the block's threads covers (threads / (D/8)). */
export function tileStep(d: number, threads: number): number {
  return threads / (d / 8);
}

/**
 * Whether `threads` threads can load tiles of `rows` rows of `d` 16-bit elements with renderTileHelpers' fixed-column
 * scheme.
 */
export function tileStepOk(d: number, threads: number, rows: number): boolean {
  const step = tileStep(d, threads);
  return Number.isInteger(step) && step % 8 === 0 && rows % step === 0;
}

/** Alignment (bytes) of `sw128` tiles that wgmma reads: its 128-byte swizzle repeats every 1024 bytes. Kernels ask
 * for this much more shared memory and align the base (shared_base_1024). */
export const SW128_ALIGN = 1024;

/**
 * Device code of the wgmma operand descriptors over `sw128` tiles (k_major, n_major) and of zero(acc), for the wgmma
 * kernels (needs the wgmma_desc primitive).
 */
export const WGMMA_OPERANDS = `// Descriptor of k-step kk (16 columns) of a K-major [rows][D] tile, from row r0 (a multiple of 64): the 128-byte
// span holding columns 16kk.. of 64-column block kk / 4, 32 bytes in per step; 8-row groups 1024 bytes apart.
template <int ROWS>
__device__ __forceinline__ unsigned long long k_major(const half_t* tile, int r0, int kk) {
  return wgmma_desc(tile + (kk / 4) * ROWS * 64 + r0 * 64 + (kk % 4) * 16, 16, 1024);
}

// Descriptor of k-step kk (rows 16kk..16kk+15) of an N-major [rows][cols] tile, from column c0 (a multiple of 8):
// 64-column blocks ROWS * 128 bytes apart, 8-row groups 1024 bytes apart.
template <int ROWS>
__device__ __forceinline__ unsigned long long n_major(const half_t* tile, int c0, int kk) {
  return wgmma_desc(tile + (c0 / 64) * ROWS * 64 + c0 % 64 + kk * 16 * 64, ROWS * 128, 1024);
}

template <int N>
__device__ __forceinline__ void zero(float (&acc)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) acc[i] = 0.0f;
}`;
