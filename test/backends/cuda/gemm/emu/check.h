// One emulated GEMM case: guarded buffers (each ends at an inaccessible page, so an out-of-bounds access faults),
// seeded random inputs, a launch through emu::launch, and a double-precision reference. Prints one line per case:
// `case <name> rel <relative error> flags <nonzero flags left> conflicts <ldmatrix bank conflicts> <ok|FAIL>`; the
// vitest side parses it.
// Invariants: a store-mode output starts as NaN, so an element the kernel never writes fails the case; the relative
// error is ||C - ref|| / ||ref|| over every element (bf16 or f16 output: 1e-2, f32 output: 1e-5).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace check {

struct Case {
  const char* name;
  int m, n, k, batch;
  bool transpose_a, transpose_b, broadcast_a, broadcast_b, accumulate, alias;
  int flag_count;
};

// `count` elements of T placed so the last byte touches a PROT_NONE page; registered as a global buffer.
template <class T>
T* guarded(size_t count) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t bytes = (count * sizeof(T) + 15) / 16 * 16;
  const size_t data_pages = (bytes + page - 1) / page;
  auto* base = static_cast<char*>(mmap(nullptr, (data_pages + 1) * page, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (base == MAP_FAILED) ::emu::die("mmap failed");
  mprotect(base + data_pages * page, page, PROT_NONE);
  char* data = base + data_pages * page - bytes;
  ::emu::global_ranges.push_back({data, data + bytes});
  return reinterpret_cast<T*>(data);
}

inline uint32_t rng_state = 12345;
inline float uniform() {
  rng_state = rng_state * 1664525u + 1013904223u;
  return static_cast<float>(rng_state >> 8) / 8388608.0f - 1.0f;
}

inline void store(float* p, float v) { *p = v; }
inline void store(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }
inline double load(const float* p) { return *p; }
inline double load(const __nv_bfloat16* p) { return __bfloat162float(*p); }
inline void store(__half* p, float v) { *p = __float2half_rn(v); }
inline double load(const __half* p) { return __half2float(*p); }

template <class T>
T* random_buffer(size_t count) {
  T* p = guarded<T>(count);
  for (size_t i = 0; i < count; ++i) store(p + i, uniform());
  return p;
}

template <class In>
std::vector<double> reference(const Case& c, const In* a, const In* b, const std::vector<double>& base) {
  std::vector<double> out(base);
  const size_t mk = static_cast<size_t>(c.m) * c.k, kn = static_cast<size_t>(c.k) * c.n;
  for (int z = 0; z < c.batch; ++z) {
    const In* az = a + (c.broadcast_a ? 0 : z * mk);
    const In* bz = b + (c.broadcast_b ? 0 : z * kn);
    for (int i = 0; i < c.m; ++i) {
      for (int j = 0; j < c.n; ++j) {
        double sum = 0;
        for (int p = 0; p < c.k; ++p) {
          const double x = load(az + (c.transpose_a ? static_cast<size_t>(p) * c.m + i : static_cast<size_t>(i) * c.k + p));
          const double y = load(bz + (c.transpose_b ? static_cast<size_t>(j) * c.k + p : static_cast<size_t>(p) * c.n + j));
          sum += x * y;
        }
        out[(static_cast<size_t>(z) * c.m + i) * c.n + j] += sum;
      }
    }
  }
  return out;
}

// launch(a, b, c_in, c, flags) runs the kernel under emulation.
template <class In, class Out, class Launch>
bool run(const Case& c, Launch launch) {
  const size_t a_count = static_cast<size_t>(c.broadcast_a ? 1 : c.batch) * c.m * c.k;
  const size_t b_count = static_cast<size_t>(c.broadcast_b ? 1 : c.batch) * c.k * c.n;
  const size_t c_count = static_cast<size_t>(c.batch) * c.m * c.n;
  In* a = random_buffer<In>(a_count);
  In* b = random_buffer<In>(b_count);
  Out* out = c.accumulate && c.alias ? random_buffer<Out>(c_count) : guarded<Out>(c_count);
  Out* c_in = !c.accumulate ? nullptr : c.alias ? out : random_buffer<Out>(c_count);
  std::vector<double> base(c_count, 0.0);
  for (size_t i = 0; i < c_count; ++i) {
    if (c.accumulate) base[i] = load(c_in + i);
    if (!c.accumulate) store(out + i, NAN);
  }
  int* flags = c.flag_count > 0 ? guarded<int>(c.flag_count) : nullptr;
  for (int i = 0; i < c.flag_count; ++i) flags[i] = 0;
  const std::vector<double> ref = reference(c, a, b, base);
  ::emu::ldmatrix_conflicts = 0;
  launch(a, b, c_in, out, flags);
  double num = 0, den = 0;
  bool finite = true;
  for (size_t i = 0; i < c_count; ++i) {
    const double v = load(out + i);
    finite = finite && std::isfinite(v);
    num += (v - ref[i]) * (v - ref[i]);
    den += ref[i] * ref[i];
  }
  int flags_left = 0;
  for (int i = 0; i < c.flag_count; ++i) flags_left += flags[i] != 0;
  const double rel = finite ? std::sqrt(num / (den > 0 ? den : 1)) : INFINITY;
  const double limit = sizeof(Out) == 2 ? 1e-2 : 1e-5;
  const bool ok = rel <= limit && flags_left == 0;
  std::printf("case %s rel %.3e flags %d conflicts %ld %s\n", c.name, rel, flags_left, ::emu::ldmatrix_conflicts,
              ok ? "ok" : "FAIL");
  return ok;
}

}  // namespace check
