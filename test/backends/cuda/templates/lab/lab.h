// Host side of the anchor-template lab (test/backends/cuda/templates/lab.ts writes the rest): per case, uploads the
// input files, fills outputs with 0xff bytes (NaN for floats, so an unwritten element shows), clears the device error
// flag, launches the kernel, and compares every output with the interpreter's expected file: the relative error
// ||got - want|| / ||want|| (the project's measure, test/harness/numeric.ts) and the largest elementwise relative error
// max |got - want| / max(|want|, 1e-3 max|want|) are printed per output, and non-finite values must sit at the same
// places. A case that expects a device error instead checks the recorded code, position, value and bound, and shows
// the host's message for it. With --time (GPU only) each kernel is also timed (median of 20 launches) and its
// bandwidth printed from the bytes it must move. --bench runs instead the bench cases: full-size kernels (Llama 3.2
// 1B shapes) whose inputs are filled on the device, timed, checked only for CUDA and device errors. The last line is
// "N passed, M failed"; the exit status is 1 if any check failed.
// Invariants: compiled with nvcc (GPU) or g++ with emu.h (CPU emulation); the generated lab.cu defines the kernels,
// the device error variables and trainc_check_device_error before including this file, and passes its case table to
// lab_main.

#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#ifndef TRAINC_LAUNCH
#define TRAINC_LAUNCH(kernel, grid, block, ...) kernel<<<grid, block>>>(__VA_ARGS__)
#endif

namespace lab {

enum class Dtype { f64, f32, f16, bf16, i64, i32, i8, u8, packed4 };

/**
 * One kernel parameter's buffer. An output may alias an input (its index in `alias`), as in-place updates do. A bench
 * case's inputs are filled on the device: every byte set to fill_byte (>= 0), or element i = start + (i*stride) % mod.
 */
struct Buffer {
  const char* role;
  Dtype dtype;
  long long count;
  long long bytes;
  bool output;
  int alias;
  double tolerance;
  int fill_byte;
  long long fill_start, fill_stride, fill_mod;
};

struct Case {
  const char* name;
  const char* kernel;
  long long site;
  void (*launch)(void* const*);
  const Buffer* buffers;
  int count;
  int expected_error;
  long long expected_info[3];  // position, value, bound
  double bytes_moved;
  bool bench;  // timing only, at full size (--bench, GPU only)
};

inline std::vector<unsigned char> read_file(const std::string& path) {
  std::vector<unsigned char> data;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    unsigned char chunk[1 << 16];
    for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, f)) > 0;) data.insert(data.end(), chunk, chunk + n);
    std::fclose(f);
  } else {
    std::fprintf(stderr, "lab: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return data;
}

inline double element(const unsigned char* p, Dtype t, long long i) {
  switch (t) {
    case Dtype::f64: { double v; std::memcpy(&v, p + 8 * i, 8); return v; }
    case Dtype::f32: { float v; std::memcpy(&v, p + 4 * i, 4); return v; }
    case Dtype::bf16: { unsigned bits = (p[2 * i] | (p[2 * i + 1] << 8)) << 16; float v; std::memcpy(&v, &bits, 4); return v; }
    case Dtype::f16: { __half h; std::memcpy(&h, p + 2 * i, 2); return __half2float(h); }
    case Dtype::i64: { long long v; std::memcpy(&v, p + 8 * i, 8); return static_cast<double>(v); }
    case Dtype::i32: { int v; std::memcpy(&v, p + 4 * i, 4); return v; }
    case Dtype::i8: return static_cast<signed char>(p[i]);
    case Dtype::u8: return p[i];
    case Dtype::packed4: return (p[i / 2] >> (4 * (i % 2))) & 15;
  }
  return 0;
}

/** Compares one output; prints its line and returns whether it passed. */
inline bool compare(const Case& c, const Buffer& b, const unsigned char* got, const unsigned char* want) {
  double num = 0, den = 0, top = 0, worst = 0;
  long long misplaced = 0;
  for (long long i = 0; i < b.count; ++i) top = std::max(top, std::fabs(element(want, b.dtype, i)));
  for (long long i = 0; i < b.count; ++i) {
    const double g = element(got, b.dtype, i), w = element(want, b.dtype, i);
    if (!std::isfinite(g) || !std::isfinite(w)) {
      misplaced += !(g == w || (std::isnan(g) && std::isnan(w)));
      continue;
    }
    num += (g - w) * (g - w);
    den += w * w;
    worst = std::max(worst, std::fabs(g - w) / std::max(std::fabs(w), 1e-3 * top));
  }
  const double rel = den == 0 ? std::sqrt(num) : std::sqrt(num / den);
  const bool ok = misplaced == 0 && rel <= b.tolerance && (b.tolerance > 0 || num == 0);
  std::printf("%s  %-44s %-5s n=%-9lld rel=%.3e max=%.3e tol=%.0e%s\n", ok ? "PASS" : "FAIL", c.name, b.role, b.count,
              rel, worst, b.tolerance, misplaced ? "  non-finite values misplaced" : "");
  return ok;
}

template <typename SiteName>
bool check_error(const Case& c, SiteName&& kernel_of_site) {
  int code = 0;
  long long info[4] = {0, 0, 0, 0};
  cudaMemcpyFromSymbol(&code, trainc_error_code, sizeof code);
  cudaMemcpyFromSymbol(info, trainc_error_info, sizeof info);
  const bool ok = code == c.expected_error && (code == 0 || (info[0] == c.site && info[1] == c.expected_info[0] &&
                  info[2] == c.expected_info[1] && info[3] == c.expected_info[2]));
  if (!ok || code != 0) {
    std::printf("%s  %-44s error %d {site %lld, position %lld, value %lld, bound %lld}, expected %d\n", ok ? "PASS" : "FAIL",
                c.name, code, info[0], info[1], info[2], info[3], c.expected_error);
  }
  if (code != 0) {
    try {
      trainc_check_device_error(kernel_of_site);
    } catch (const trainc::Error& e) {
      std::printf("      host reports: %s\n", e.format().c_str());
    }
  }
  return ok;
}

/** Median time of 20 launches in microseconds (GPU only). */
inline double time_launches(const Case& c, void* const* pointers) {
#ifdef TRAINC_EMULATED
  (void)c, (void)pointers;
  return 0;
#else
  std::vector<float> ms;
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  for (int r = 0; r < 21; ++r) {
    cudaEventRecord(start);
    c.launch(pointers);
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float t = 0;
    cudaEventElapsedTime(&t, start, stop);
    if (r > 0) ms.push_back(t);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return 1000.0 * ms[ms.size() / 2];
#endif
}

#ifndef TRAINC_EMULATED
template <typename T>
__global__ void fill_kernel(T* p, long long n, long long start, long long stride, long long mod) {
  for (long long i = blockIdx.x * 256LL + threadIdx.x; i < n; i += gridDim.x * 256LL) p[i] = static_cast<T>(start + i * stride % mod);
}

/** Fills an integer input of a bench case on the device (element i = start + (i * stride) % mod). */
inline void fill_sequence(void* p, const Buffer& b) {
  const dim3 grid(1024), block(256);
  if (b.dtype == Dtype::i64) fill_kernel<<<grid, block>>>(static_cast<long long*>(p), b.count, b.fill_start, b.fill_stride, b.fill_mod);
  else fill_kernel<<<grid, block>>>(static_cast<int*>(p), b.count, b.fill_start, b.fill_stride, b.fill_mod);
}
#endif

/** Device memory for a case's inputs: uploaded from its files, or filled on the device for a bench case. */
inline bool place_input(void* p, const Buffer& b, const std::string& file) {
  if (b.fill_byte >= 0) return cudaMemset(p, b.fill_byte, b.bytes) == cudaSuccess;
#ifndef TRAINC_EMULATED
  if (b.fill_mod > 0) {
    fill_sequence(p, b);
    return cudaGetLastError() == cudaSuccess;
  }
#endif
  const std::vector<unsigned char> data = read_file(file);
  return cudaMemcpy(p, data.data(), data.size(), cudaMemcpyHostToDevice) == cudaSuccess;
}

template <typename SiteName>
bool run_case(const Case& c, int index, const std::string& dir, bool timed, SiteName&& kernel_of_site) {
  std::vector<void*> device(c.count, nullptr);
  const std::string prefix = dir + "/" + std::to_string(index) + "/";
  bool placed = true;
  for (int k = 0; k < c.count; ++k) {
    const Buffer& b = c.buffers[k];
    if (b.alias >= 0) {
      device[k] = device[b.alias];
      continue;
    }
    placed = cudaMalloc(&device[k], b.bytes > 0 ? b.bytes : 1) == cudaSuccess && placed;
    if (b.output) placed = cudaMemset(device[k], 0xff, b.bytes) == cudaSuccess && placed;
    else placed = place_input(device[k], b, prefix + std::to_string(k) + ".bin") && placed;
  }
  if (!placed) {
    std::printf("FAIL  %-44s could not place its buffers (%s)\n", c.name, cudaGetErrorString(cudaGetLastError()));
    for (int k = 0; k < c.count; ++k) if (c.buffers[k].alias < 0) cudaFree(device[k]);
    return false;
  }
  const int no_error = 0;
  const long long no_info[4] = {0, 0, 0, 0};
  cudaMemcpyToSymbol(trainc_error_code, &no_error, sizeof no_error);
  cudaMemcpyToSymbol(trainc_error_info, no_info, sizeof no_info);
  c.launch(device.data());
  const cudaError_t launched = cudaDeviceSynchronize();
  bool ok = launched == cudaSuccess && cudaGetLastError() == cudaSuccess;
  if (!ok) std::printf("FAIL  %-44s CUDA error: %s\n", c.name, cudaGetErrorString(launched));
  ok = ok && check_error(c, kernel_of_site);
  for (int k = 0; ok && !c.bench && c.expected_error == 0 && k < c.count; ++k) {
    const Buffer& b = c.buffers[k];
    if (!b.output) continue;
    std::vector<unsigned char> got(b.bytes);
    cudaMemcpy(got.data(), device[k], b.bytes, cudaMemcpyDeviceToHost);
    ok = compare(c, b, got.data(), read_file(prefix + std::to_string(k) + ".want").data()) && ok;
  }
  if (ok && (timed || c.bench)) {
    const double us = time_launches(c, device.data());
    std::printf("time  %-44s %10.2f us  %8.1f GB/s  (%s)\n", c.name, us, c.bytes_moved / (us * 1e3), c.kernel);
  }
  for (int k = 0; k < c.count; ++k) if (c.buffers[k].alias < 0) cudaFree(device[k]);
  return ok;
}

/** Runs the cases: `lab [data-dir] [--time] [--bench] [--only <text>]`; --bench runs the full-size timing cases. */
template <typename SiteName>
int lab_main(int argc, char** argv, const Case* cases, int count, SiteName&& kernel_of_site) {
  std::string dir = "data", only;
  bool timed = false, bench = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--time") timed = true;
    else if (arg == "--bench") bench = true;
    else if (arg == "--only" && i + 1 < argc) only = argv[++i];
    else dir = arg;
  }
#ifdef TRAINC_EMULATED
  if (bench) {
    std::fprintf(stderr, "lab: the bench cases are full size; run them on a GPU\n");
    return 2;
  }
#endif
  int passed = 0, failed = 0;
  for (int i = 0; i < count; ++i) {
    if (cases[i].bench != bench) continue;
    if (!only.empty() && std::string(cases[i].name).find(only) == std::string::npos) continue;
    (run_case(cases[i], i, dir, timed, kernel_of_site) ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace lab
