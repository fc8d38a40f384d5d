// A stand-in libcublasLt for gemm-lt.test.ts, built as libcublasLt.so.13 and found through LD_LIBRARY_PATH: it
// implements the documented column-major semantics of the functions gemm-lt.h calls on host memory,
//   D = alpha * op(A) op(B) + beta * C, op(X) = X or X^T per TRANSA/TRANSB, X(i,j) at X[i + j*ld] (+ batch*stride)
// and refuses what the real library refuses: attribute values of the wrong size or kind (INVALID_VALUE) and layouts
// whose sizes do not chain (op(A) m x k, op(B) k x n, C and D m x n). So the row-major mapping of gemm-lt.h is
// checked numerically without a GPU. The heuristic offers two algorithms per shape (the second computes the same);
// FAKE_CUBLASLT_NO_ALGO=1 makes it find none. It says it is version 13.1.2.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <library_types.h>

namespace {

constexpr int kSuccess = 0;
constexpr int kInvalidValue = 7;
constexpr int kNotSupported = 15;

struct Desc {
  int32_t compute;
  int32_t scale;
  int32_t transa = 0;
  int32_t transb = 0;
};

struct Layout {
  int type;
  uint64_t rows;
  uint64_t cols;
  int64_t ld;
  int32_t batch = 1;
  int64_t stride = 0;
};

struct Preference {
  uint64_t workspace = 0;
};

struct Algo {
  uint64_t data[8];
};

struct Heuristic {
  Algo algo;
  size_t workspace_size;
  int state;
  float waves;
  int reserved[4];
};

int heuristic_calls = 0;

/** Algorithms the heuristic offers for any shape it supports (numbered 42, 43, ...). */
constexpr int kAlgos = 2;

template <typename T>
int set(T* field, const void* value, size_t bytes) {
  if (bytes != sizeof(T)) return kInvalidValue;
  std::memcpy(field, value, sizeof(T));
  return kSuccess;
}

float element(const Layout& l, const void* base, int64_t batch, uint64_t row, uint64_t col) {
  const uint64_t i = static_cast<uint64_t>(batch * l.stride) + row + col * static_cast<uint64_t>(l.ld);
  if (l.type == CUDA_R_32F) return static_cast<const float*>(base)[i];
  const uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(base)[i]) << 16;
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

void store(const Layout& l, void* base, int64_t batch, uint64_t row, uint64_t col, float v) {
  const uint64_t i = static_cast<uint64_t>(batch * l.stride) + row + col * static_cast<uint64_t>(l.ld);
  if (l.type == CUDA_R_32F) {
    static_cast<float*>(base)[i] = v;
    return;
  }
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  static_cast<uint16_t*>(base)[i] = static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1)) >> 16);
}

/** Rows and columns of op(X). */
void op_dims(const Layout& l, int32_t trans, uint64_t* rows, uint64_t* cols) {
  *rows = trans ? l.cols : l.rows;
  *cols = trans ? l.rows : l.cols;
}

}  // namespace

extern "C" {

int fakeHeuristicCalls() { return heuristic_calls; }

size_t cublasLtGetVersion() { return 130102; }

int cublasLtCreate(void** handle) {
  *handle = new int(1);
  return kSuccess;
}
int cublasLtDestroy(void* handle) {
  delete static_cast<int*>(handle);
  return kSuccess;
}

int cublasLtMatmulDescCreate(void** desc, int32_t compute, cudaDataType_t scale) {
  *desc = new Desc{compute, static_cast<int32_t>(scale)};
  return kSuccess;
}
int cublasLtMatmulDescDestroy(void* desc) {
  delete static_cast<Desc*>(desc);
  return kSuccess;
}
int cublasLtMatmulDescSetAttribute(void* desc, int attribute, const void* value, size_t bytes) {
  Desc* d = static_cast<Desc*>(desc);
  if (attribute == 3) return set(&d->transa, value, bytes);
  if (attribute == 4) return set(&d->transb, value, bytes);
  return kInvalidValue;
}

int cublasLtMatrixLayoutCreate(void** layout, cudaDataType_t type, uint64_t rows, uint64_t cols, int64_t ld) {
  if (ld < static_cast<int64_t>(rows)) return kInvalidValue;
  *layout = new Layout{static_cast<int>(type), rows, cols, ld};
  return kSuccess;
}
int cublasLtMatrixLayoutDestroy(void* layout) {
  delete static_cast<Layout*>(layout);
  return kSuccess;
}
int cublasLtMatrixLayoutSetAttribute(void* layout, int attribute, const void* value, size_t bytes) {
  Layout* l = static_cast<Layout*>(layout);
  if (attribute == 5) return set(&l->batch, value, bytes);
  if (attribute == 6) return set(&l->stride, value, bytes);
  return kInvalidValue;
}

int cublasLtMatmulPreferenceCreate(void** preference) {
  *preference = new Preference;
  return kSuccess;
}
int cublasLtMatmulPreferenceDestroy(void* preference) {
  delete static_cast<Preference*>(preference);
  return kSuccess;
}
int cublasLtMatmulPreferenceSetAttribute(void* preference, int attribute, const void* value, size_t bytes) {
  if (attribute == 1) return set(&static_cast<Preference*>(preference)->workspace, value, bytes);
  return kInvalidValue;
}

int cublasLtMatmulAlgoGetHeuristic(void*, void* desc, void* a, void* b, void* c, void* d, void*, int requested, Heuristic* results,
                                   int* returned) {
  heuristic_calls++;
  *returned = 0;
  const Desc& m = *static_cast<Desc*>(desc);
  const Layout& la = *static_cast<Layout*>(a);
  const Layout& lb = *static_cast<Layout*>(b);
  const Layout& lc = *static_cast<Layout*>(c);
  const Layout& ld = *static_cast<Layout*>(d);
  uint64_t am, ak, bk, bn;
  op_dims(la, m.transa, &am, &ak);
  op_dims(lb, m.transb, &bk, &bn);
  const bool chained = ak == bk && lc.rows == am && lc.cols == bn && ld.rows == am && ld.cols == bn && la.batch == lc.batch && lb.batch == lc.batch;
  if (requested < 1 || m.compute != 68 || m.scale != CUDA_R_32F || la.type != lb.type || !chained) return kInvalidValue;
  if (std::getenv("FAKE_CUBLASLT_NO_ALGO") != nullptr) return kNotSupported;
  *returned = requested < kAlgos ? requested : kAlgos;
  for (int i = 0; i < *returned; i++) {
    results[i] = Heuristic{};
    results[i].algo.data[0] = 42 + i;
  }
  return kSuccess;
}

int cublasLtMatmul(void*, void* desc, const void* alpha, const void* a, void* la_, const void* b, void* lb_, const void* beta, const void* c,
                   void* lc_, void* d, void* ld_, const Algo* algo, void*, size_t, void*) {
  const Desc& m = *static_cast<Desc*>(desc);
  const Layout& la = *static_cast<Layout*>(la_);
  const Layout& lb = *static_cast<Layout*>(lb_);
  const Layout& lc = *static_cast<Layout*>(lc_);
  const Layout& ld = *static_cast<Layout*>(ld_);
  if (algo == nullptr || algo->data[0] < 42 || algo->data[0] >= 42 + kAlgos) return kInvalidValue;
  const float scale_a = *static_cast<const float*>(alpha);
  const float scale_c = *static_cast<const float*>(beta);
  uint64_t rows, depth, cols, unused;
  op_dims(la, m.transa, &rows, &depth);
  op_dims(lb, m.transb, &unused, &cols);
  std::vector<float> out(rows * cols);
  for (int64_t batch = 0; batch < lc.batch; batch++) {
    for (uint64_t i = 0; i < rows; i++) {
      for (uint64_t j = 0; j < cols; j++) {
        double sum = 0;
        for (uint64_t l = 0; l < depth; l++) {
          const float x = m.transa ? element(la, a, batch, l, i) : element(la, a, batch, i, l);
          const float y = m.transb ? element(lb, b, batch, j, l) : element(lb, b, batch, l, j);
          sum += static_cast<double>(x) * y;
        }
        const double prior = scale_c == 0 ? 0.0 : static_cast<double>(element(lc, c, batch, i, j));
        out[i + j * rows] = static_cast<float>(scale_a * sum + scale_c * prior);
      }
    }
    for (uint64_t i = 0; i < rows; i++) {
      for (uint64_t j = 0; j < cols; j++) store(ld, d, batch, i, j, out[i + j * rows]);
    }
  }
  return kSuccess;
}

}  // extern "C"
