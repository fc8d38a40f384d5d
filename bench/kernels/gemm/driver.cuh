// GEMM lab driver: per shape, allocates and fills the operands, computes the sampled float64 reference, then
// validates and times every candidate (harness.cuh has the helper kernels) and prints the table; lab::main parses
// the command line (--filter <text>, --repeats <n>, --validate-only). Inlined after harness.cuh by render-lab.ts.
// Invariants: the first candidate of a shape is its default config (marked '*'); the exit status is 1 when any
// candidate failed validation or left a split-K flag set.
#pragma once

namespace lab {

struct Buffers {
  void* a;
  void* b;
  void* c;
  void* c_init;  // C_in of accumulating shapes
  int3* entries;
  double* ref;
  double* got;
  unsigned long long* nonfinite;
  float4* flush;
  size_t flush_count;
  int count;
  size_t c_count;
};

struct Result {
  double rel;
  unsigned long long nonfinite;
};

template <class In, class Out>
Result check_once(const Shape& s, const Candidate& cand, const Buffers& buf, int* flags, bool alias) {
  const Dims& d = s.dims;
  if (!d.accumulate || !alias) LAB_CHECK(cudaMemset(buf.c, 0xFF, buf.c_count * sizeof(Out)));
  if (d.accumulate && alias) LAB_CHECK(cudaMemcpy(buf.c, buf.c_init, buf.c_count * sizeof(Out), cudaMemcpyDeviceToDevice));
  const void* c_in = !d.accumulate ? nullptr : alias ? buf.c : buf.c_init;
  cand.launch(buf.a, buf.b, c_in, buf.c, flags, 0);
  LAB_CHECK(cudaGetLastError());
  LAB_CHECK(cudaDeviceSynchronize());
  LAB_CHECK(cudaMemset(buf.nonfinite, 0, sizeof(unsigned long long)));
  count_nonfinite<Out><<<blocks_for(buf.c_count), kThreads>>>(static_cast<const Out*>(buf.c), buf.c_count, buf.nonfinite);
  gather_entries<Out><<<blocks_for(buf.count), kThreads>>>(static_cast<const Out*>(buf.c), d, buf.entries, buf.count, buf.got);
  LAB_CHECK(cudaGetLastError());
  std::vector<double> ref(buf.count), got(buf.count);
  unsigned long long nonfinite = 0;
  LAB_CHECK(cudaMemcpy(ref.data(), buf.ref, buf.count * sizeof(double), cudaMemcpyDeviceToHost));
  LAB_CHECK(cudaMemcpy(got.data(), buf.got, buf.count * sizeof(double), cudaMemcpyDeviceToHost));
  LAB_CHECK(cudaMemcpy(&nonfinite, buf.nonfinite, sizeof(nonfinite), cudaMemcpyDeviceToHost));
  double num = 0, den = 0;
  for (int e = 0; e < buf.count; ++e) {
    num += (got[e] - ref[e]) * (got[e] - ref[e]);
    den += ref[e] * ref[e];
  }
  return {nonfinite > 0 ? INFINITY : std::sqrt(num / (den > 0 ? den : 1)), nonfinite};
}

inline int flags_left(const int* flags, int count) {
  if (count == 0) return 0;
  std::vector<int> host(count);
  LAB_CHECK(cudaMemcpy(host.data(), flags, count * sizeof(int), cudaMemcpyDeviceToHost));
  return static_cast<int>(std::count_if(host.begin(), host.end(), [](int f) { return f != 0; }));
}

inline double time_ms(const Candidate& cand, const Shape& s, const Buffers& buf, int* flags, const Options& opt) {
  const void* c_in = s.dims.accumulate ? buf.c : nullptr;
  for (int i = 0; i < opt.warmup; ++i) cand.launch(buf.a, buf.b, c_in, buf.c, flags, 0);
  cudaEvent_t start, stop;
  LAB_CHECK(cudaEventCreate(&start));
  LAB_CHECK(cudaEventCreate(&stop));
  std::vector<float> samples;
  for (int r = 0; r < opt.repeats; ++r) {
    flush_l2<<<blocks_for(buf.flush_count), kThreads>>>(buf.flush, buf.flush_count);
    LAB_CHECK(cudaEventRecord(start));
    cand.launch(buf.a, buf.b, c_in, buf.c, flags, 0);
    LAB_CHECK(cudaEventRecord(stop));
    LAB_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    LAB_CHECK(cudaEventElapsedTime(&ms, start, stop));
    samples.push_back(ms);
  }
  LAB_CHECK(cudaGetLastError());
  LAB_CHECK(cudaEventDestroy(start));
  LAB_CHECK(cudaEventDestroy(stop));
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// Validates (and times) one candidate; prints its row; returns whether it passed.
template <class In, class Out>
bool run_candidate(const Shape& s, int index, const Buffers& buf, const Options& opt) {
  const Candidate& cand = s.candidates[index];
  cand.setup();
  int* flags = device_alloc<int>(cand.flag_count);
  LAB_CHECK(cudaMemset(flags, 0, std::max(cand.flag_count, 1) * sizeof(int)));
  const double limit = s.in_bf16 || s.out_bf16 ? 2e-2 : 1e-5;
  Result r = check_once<In, Out>(s, cand, buf, flags, true);
  if (s.dims.accumulate) {
    const Result separate = check_once<In, Out>(s, cand, buf, flags, false);
    r = {std::max(r.rel, separate.rel), r.nonfinite + separate.nonfinite};
  }
  int left = flags_left(flags, cand.flag_count);
  bool ok = r.rel <= limit && left == 0;
  double ms = NAN;
  if (ok && opt.time) {
    ms = time_ms(cand, s, buf, flags, opt);
    left = flags_left(flags, cand.flag_count);
    ok = left == 0;
  }
  LAB_CHECK(cudaFree(flags));
  char ms_text[16] = "-", rate[16] = "-", share[16] = "-";
  if (!std::isnan(ms)) {
    const double tflops = s.flops / (ms * 1e-3) / 1e12;
    std::snprintf(ms_text, sizeof(ms_text), "%.4f", ms);
    std::snprintf(rate, sizeof(rate), "%.1f", tflops);
    if (s.in_bf16) std::snprintf(share, sizeof(share), "%.1f%%", 100.0 * tflops * 1e12 / kPeakBf16);
  }
  std::printf("  %c %-34s %10s %9s %7s  %9.2e  %s", index == 0 ? '*' : ' ', cand.config, ms_text, rate, share, r.rel,
              ok ? "ok" : "FAIL");
  if (r.nonfinite > 0) std::printf(" (%llu outputs not finite or not written)", r.nonfinite);
  if (left > 0) std::printf(" (%d split-K flags left set)", left);
  std::printf("\n");
  return ok;
}

template <class In, class Out>
bool run_shape(const Shape& s, const Options& opt, float4* flush, size_t flush_count) {
  const Dims& d = s.dims;
  const size_t a_count = static_cast<size_t>(d.broadcast_a ? 1 : d.batch) * d.m * d.k;
  const size_t b_count = static_cast<size_t>(d.broadcast_b ? 1 : d.batch) * d.k * d.n;
  Buffers buf{};
  buf.c_count = static_cast<size_t>(d.batch) * d.m * d.n;
  buf.a = device_alloc<In>(a_count);
  buf.b = device_alloc<In>(b_count);
  buf.c = device_alloc<Out>(buf.c_count);
  buf.c_init = d.accumulate ? device_alloc<Out>(buf.c_count) : nullptr;
  fill_uniform<In><<<blocks_for(a_count), kThreads>>>(static_cast<In*>(buf.a), a_count, 1);
  fill_uniform<In><<<blocks_for(b_count), kThreads>>>(static_cast<In*>(buf.b), b_count, 2);
  if (d.accumulate) fill_uniform<Out><<<blocks_for(buf.c_count), kThreads>>>(static_cast<Out*>(buf.c_init), buf.c_count, 3);
  const std::vector<int3> entries = sample_entries(d);
  buf.count = static_cast<int>(entries.size());
  buf.entries = device_alloc<int3>(entries.size());
  buf.ref = device_alloc<double>(entries.size());
  buf.got = device_alloc<double>(entries.size());
  buf.nonfinite = device_alloc<unsigned long long>(1);
  buf.flush = flush;
  buf.flush_count = flush_count;
  LAB_CHECK(cudaMemcpy(buf.entries, entries.data(), entries.size() * sizeof(int3), cudaMemcpyHostToDevice));
  reference_entries<In, Out><<<blocks_for(buf.count), kThreads>>>(static_cast<const In*>(buf.a), static_cast<const In*>(buf.b),
                                                                  static_cast<const Out*>(buf.c_init), d, buf.entries, buf.count, buf.ref);
  LAB_CHECK(cudaGetLastError());
  LAB_CHECK(cudaDeviceSynchronize());
  std::printf("%s: %s\n", s.name, s.description);
  bool ok = true;
  for (int i = 0; i < s.candidate_count; ++i) ok &= run_candidate<In, Out>(s, i, buf, opt);
  for (void* p : {buf.a, buf.b, buf.c, buf.c_init, static_cast<void*>(buf.entries), static_cast<void*>(buf.ref),
                  static_cast<void*>(buf.got), static_cast<void*>(buf.nonfinite)}) {
    if (p != nullptr) LAB_CHECK(cudaFree(p));
  }
  return ok;
}

inline bool dispatch(const Shape& s, const Options& opt, float4* flush, size_t flush_count) {
  if (!s.in_bf16) return run_shape<float, float>(s, opt, flush, flush_count);
  if (s.out_bf16) return run_shape<__nv_bfloat16, __nv_bfloat16>(s, opt, flush, flush_count);
  return run_shape<__nv_bfloat16, float>(s, opt, flush, flush_count);
}

inline int main(int argc, char** argv, const Shape* shapes, int shape_count) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--filter") == 0 && i + 1 < argc) opt.filter = argv[++i];
    else if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) opt.repeats = std::max(1, std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--validate-only") == 0) opt.time = false;
    else {
      std::fprintf(stderr, "usage: %s [--filter <text in shape names>] [--repeats <n>] [--validate-only]\n", argv[0]);
      return 2;
    }
  }
  cudaDeviceProp prop;
  LAB_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d SMs, L2 %d MiB; median of %d runs, L2 flushed before each\n", prop.name,
              prop.multiProcessorCount, prop.l2CacheSize >> 20, opt.repeats);
  std::printf("  %-36s %10s %9s %7s  %9s  %s\n", "config (* = default)", "ms", "TFLOP/s", "%790", "rel err", "status");
  const size_t flush_count = 2 * static_cast<size_t>(prop.l2CacheSize) / sizeof(float4);
  float4* flush = device_alloc<float4>(flush_count);
  int failed = 0;
  for (int i = 0; i < shape_count; ++i) {
    if (opt.filter != nullptr && std::strstr(shapes[i].name, opt.filter) == nullptr) continue;
    failed += !dispatch(shapes[i], opt, flush, flush_count);
  }
  LAB_CHECK(cudaFree(flush));
  std::printf("%s\n", failed == 0 ? "all candidates validated" : "SOME CANDIDATES FAILED");
  return failed == 0 ? 0 : 1;
}

}  // namespace lab
