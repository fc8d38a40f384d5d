// Host side of the attention lab: per case, fill inputs, compute float64 references on sampled (batch, kv head)
// slices (reference.cuh), then per variant (forward + backward tile configs) poison the outputs, run the generated
// kernels, validate out, lse, dq, dk, dv against the references, and time forward and forward+backward (CUDA events,
// L2 flushed before each run, median). TFLOP/s are counted as bench/h200-baselines: 4*B*Tq*Tk*Hq*D for the forward,
// halved when causal; forward+backward = 3.5x that.
// Invariants: a variant is timed only after it validated; the exit status is 0 only when every variant validated.
#pragma once

#include <cuda_runtime.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define LAB_CHECK(call)                                                                                  \
  do {                                                                                                   \
    cudaError_t lab_err_ = (call);                                                                       \
    if (lab_err_ != cudaSuccess) {                                                                       \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(lab_err_)); \
      std::exit(2);                                                                                      \
    }                                                                                                    \
  } while (0)

namespace lab {

/** Device buffers of one case, named as the kernels' parameters. */
struct Buffers {
  void *q, *k, *v, *dout, *out, *dq, *dk, *dv;
  int* segments;  // ids, for the references
  int* ranges;    // [start, end) of each position's document, for the kernels (document_ranges of the ids)
  int* blocks;    // the block table of the ranges (flex kernels; block_mask's layout)
  float *lse, *delta, *dq_accum;
};

/** One forward config and one backward config, with their launchers. */
struct Variant {
  const char* label;
  void (*setup)();
  void (*forward)(Buffers&, cudaStream_t);
  void (*backward)(Buffers&, cudaStream_t);
  /** The backward's kernels one at a time (the k-th of backward_kernels), for --kernels. */
  void (*backward_kernel)(Buffers&, cudaStream_t, int);
  int backward_kernels;
};

/** (batch, kv head) slices the references cover; the kv head's whole GQA group is checked. */
struct Sample { int b, kvh; };

/** The element type of q, k, v, out and the gradients. */
enum class Element { F32, BF16, F16 };

inline size_t element_bytes(Element e) { return e == Element::F32 ? 4 : 2; }

struct Case {
  const char* name;
  Problem p;
  Element element;
  double forward_flops;
  const char* target;
  const Variant* variants;
  int variant_count;
  const Sample* samples;
  int sample_count;
};

struct Options {
  std::string filter;
  std::string variant;  // with --variant: only the variants whose label holds it, beside each case's default
  int repeats = 20;
  bool validate_only = false;
  bool kernels = false;
};

/** References of one sample: per head of the group out, lse, dq; dk and dv of the kv head. */
struct Reference {
  Sample s;
  std::vector<std::vector<double>> out, lse, dq;
  std::vector<double> dk, dv;
};

/** ||a - ref|| / ||ref|| accumulated element by element; non-finite values must match the reference's. */
struct RelError {
  double num = 0.0, den = 0.0;
  bool broken = false;
  void add(double a, double ref) {
    if (!std::isfinite(ref) || !std::isfinite(a)) {
      broken = broken || a != ref;
      return;
    }
    num += (a - ref) * (a - ref);
    den += ref * ref;
  }
  double value() const { return broken ? INFINITY : (den > 0 ? std::sqrt(num / den) : std::sqrt(num)); }
};

inline size_t elements_q(const Problem& p) { return static_cast<size_t>(p.B) * p.Tq * p.Hq * p.D; }
inline size_t elements_k(const Problem& p) { return static_cast<size_t>(p.B) * p.Tk * p.Hk * p.D; }
inline size_t elements_rows(const Problem& p) { return static_cast<size_t>(p.B) * p.Hq * p.Tq; }
// Floats of the bf16 / f16 dq accumulator: room for either of its layouts (backward-prep.ts dqAccumulatorShape: q's,
// or 64 x 64 blocks with the rows padded to a multiple of 64).
inline size_t elements_dq_accum(const Problem& p) {
  return static_cast<size_t>(p.B) * p.Hq * ((p.Tq + 63) / 64 * 64) * p.D;
}

inline void* device_alloc(size_t bytes) {
  void* p = nullptr;
  LAB_CHECK(cudaMalloc(&p, std::max<size_t>(bytes, 16)));
  return p;
}

/**
 * Documents of doc_min..doc_max tokens (1..T/2 when doc_max is 0: the tests' scheme) per batch row, numbered from 0,
 * the lengths from a fixed LCG (bench/kernels/attention/torch_sdpa.py draws the same ones); the last one is cut at T.
 */
inline std::vector<int> segment_ids(const Problem& p) {
  std::vector<int> ids(static_cast<size_t>(p.B) * p.Tq);
  unsigned state = 12345u;
  auto next = [&state](int n) {
    state = state * 1664525u + 1013904223u;
    return 1 + static_cast<int>((state >> 8) % n);
  };
  const auto length = [&] { return p.doc_max > 0 ? p.doc_min - 1 + next(p.doc_max - p.doc_min + 1) : next(std::max(1, p.Tq / 2)); };
  for (int b = 0; b < p.B; ++b) {
    int doc = 0, left = length();
    for (int t = 0; t < p.Tq; ++t) {
      if (left == 0) {
        ++doc;
        left = length();
      }
      ids[static_cast<size_t>(b) * p.Tq + t] = doc;
      --left;
    }
  }
  return ids;
}

/** The document range [start, end) of each position, as pairs: what document_ranges makes of the ids. */
inline std::vector<int> document_ranges(const Problem& p, const std::vector<int>& ids) {
  std::vector<int> ranges(ids.size() * 2);
  for (int b = 0; b < p.B; ++b) {
    const size_t row = static_cast<size_t>(b) * p.Tq;
    for (int start = 0, end; start < p.Tq; start = end) {
      for (end = start + 1; end < p.Tq && ids[row + end] == ids[row + start]; ++end) {}
      for (int t = start; t < end; ++t) {
        ranges[2 * (row + t)] = start;
        ranges[2 * (row + t) + 1] = end;
      }
    }
  }
  return ranges;
}

/**
 * What block_mask builds from the ranges (ir/interpret/block-mask.ts): per batch row, for each query block the key
 * blocks holding a visible pair and for each key block the query blocks, each list a count then 2 * block + full.
 */
inline std::vector<int> block_table(const Problem& p, const std::vector<int>& ranges) {
  const int n = (p.Tq + p.block - 1) / p.block, T = p.Tq;
  std::vector<int> table(static_cast<size_t>(p.B) * 2 * n * (n + 1), -1);
  for (int b = 0; b < p.B; ++b) {
    for (int half = 0; half < 2; ++half) {
      for (int r = 0; r < n; ++r) {
        int* list = table.data() + ((static_cast<size_t>(b) * 2 + half) * n + r) * (n + 1);
        int count = 0;
        for (int o = 0; o < n; ++o) {
          const int qb = half == 0 ? r : o, kb = half == 0 ? o : r;
          const int k0 = kb * p.block, k1 = std::min(T, k0 + p.block) - 1;
          bool any = false, all = true;
          for (int i = qb * p.block; i < std::min(T, (qb + 1) * p.block); ++i) {
            const int* rg = ranges.data() + (static_cast<size_t>(b) * T + i) * 2;
            const int lo = p.window > 0 ? std::max(rg[0], i - p.window + 1) : rg[0];
            const int hi = p.causal ? std::min(i, rg[1] - 1) : rg[1] - 1;
            any = any || std::max(lo, k0) <= std::min(hi, k1);
            all = all && lo <= k0 && hi >= k1;
          }
          if (any) list[1 + count++] = 2 * o + (all ? 1 : 0);
        }
        list[0] = count;
      }
    }
  }
  return table;
}

/** Forward flops of the (query, key) pairs the mask leaves visible: 4 * Hq * D per pair (the useful work). */
inline double visible_forward_flops(const Problem& p) {
  const std::vector<int> ids = segment_ids(p);
  double pairs = 0;
  for (int b = 0; b < p.B; ++b) {
    for (int i = 0; i < p.Tq; ++i) {
      for (int j = 0; j < p.Tk; ++j) {
        const bool seen = (!p.causal || j <= i) && (p.window == 0 || i - j < p.window) &&
                          ids[static_cast<size_t>(b) * p.Tq + i] == ids[static_cast<size_t>(b) * p.Tq + j];
        pairs += seen ? 1 : 0;
      }
    }
  }
  return 4.0 * p.Hq * p.D * pairs;
}

/** Seeded q, k, v, dout of element type T. */
template <class T>
inline void fill_inputs(void* const (&inputs)[4], const size_t (&counts)[4], const float (&spreads)[4]) {
  for (int i = 0; i < 4; ++i) fill<<<1024, 256>>>(static_cast<T*>(inputs[i]), counts[i], 1u + i, spreads[i]);
}

inline Buffers allocate(const Case& c) {
  const Problem& p = c.p;
  const size_t e = element_bytes(c.element), nq = elements_q(p), nk = elements_k(p), rows = elements_rows(p);
  Buffers b{};
  b.q = device_alloc(nq * e);
  b.k = device_alloc(nk * e);
  b.v = device_alloc(nk * e);
  b.dout = device_alloc(nq * e);
  b.out = device_alloc(nq * e);
  b.dq = device_alloc(nq * e);
  b.dk = device_alloc(nk * e);
  b.dv = device_alloc(nk * e);
  b.lse = static_cast<float*>(device_alloc(rows * 4));
  b.delta = static_cast<float*>(device_alloc(rows * 4));
  b.dq_accum = static_cast<float*>(device_alloc(c.element != Element::F32 ? elements_dq_accum(p) * 4 : 16));
  b.segments = static_cast<int*>(device_alloc(static_cast<size_t>(p.B) * p.Tq * 4));
  b.ranges = static_cast<int*>(device_alloc(static_cast<size_t>(p.B) * p.Tq * 8));
  const std::vector<int> ids = segment_ids(p), ranges = document_ranges(p, ids);
  LAB_CHECK(cudaMemcpy(b.segments, ids.data(), ids.size() * 4, cudaMemcpyHostToDevice));
  LAB_CHECK(cudaMemcpy(b.ranges, ranges.data(), ranges.size() * 4, cudaMemcpyHostToDevice));
  const std::vector<int> table = p.block > 0 ? block_table(p, ranges) : std::vector<int>(4);
  b.blocks = static_cast<int*>(device_alloc(table.size() * 4));
  LAB_CHECK(cudaMemcpy(b.blocks, table.data(), table.size() * 4, cudaMemcpyHostToDevice));
  void* inputs[] = {b.q, b.k, b.v, b.dout};
  const size_t counts[] = {nq, nk, nk, nq};
  const float spreads[] = {2.0f, 2.0f, 1.0f, 1.0f};
  switch (c.element) {
    case Element::BF16: fill_inputs<__nv_bfloat16>(inputs, counts, spreads); break;
    case Element::F16: fill_inputs<__half>(inputs, counts, spreads); break;
    case Element::F32: fill_inputs<float>(inputs, counts, spreads); break;
  }
  LAB_CHECK(cudaGetLastError());
  return b;
}

inline void release(Buffers& b) {
  void* all[] = {b.q, b.k, b.v, b.dout, b.out, b.dq, b.dk, b.dv, b.lse, b.delta, b.dq_accum, b.segments, b.ranges, b.blocks};
  for (void* p : all) LAB_CHECK(cudaFree(p));
}

inline std::vector<double> download(const double* d, size_t n) {
  std::vector<double> h(n);
  LAB_CHECK(cudaMemcpy(h.data(), d, n * 8, cudaMemcpyDeviceToHost));
  return h;
}

}  // namespace lab
