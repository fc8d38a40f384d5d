// The attention lab's driver: references per sample, validation of one variant, timing, the report table and main.
// See harness.cuh for the data it works on.
// Invariants: outputs are poisoned (0xff bytes: NaN in f32, bf16 and f16) before each validated run, so an element a
// kernel never writes fails; thresholds are 1e-5 (f32) and 2e-2 (bf16, f16) on ||a - ref|| / ||ref||.
#pragma once

namespace lab {

template <typename T>
Reference reference(const Case& c, const Buffers& b, Sample s) {
  const Problem& p = c.p;
  const int group = p.Hq / p.Hk, blocks_q = (p.Tq + 7) / 8, blocks_k = (p.Tk + 7) / 8;
  const size_t nq = static_cast<size_t>(p.Tq) * p.D, nk = static_cast<size_t>(p.Tk) * p.D;
  double *out = static_cast<double*>(device_alloc(nq * 8)), *dq = static_cast<double*>(device_alloc(nq * 8));
  double *lse = static_cast<double*>(device_alloc(group * p.Tq * 8));
  double *delta = static_cast<double*>(device_alloc(group * p.Tq * 8));
  double *dk = static_cast<double*>(device_alloc(nk * 8)), *dv = static_cast<double*>(device_alloc(nk * 8));
  const T *q = static_cast<const T*>(b.q), *k = static_cast<const T*>(b.k), *v = static_cast<const T*>(b.v);
  const T* dout = static_cast<const T*>(b.dout);
  Reference r{s, {}, {}, {}, {}, {}};
  for (int g = 0; g < group; ++g) {
    const int h = s.kvh * group + g;
    ref_forward<T><<<blocks_q, 256>>>(p, q, k, v, b.segments, s.b, h, out, lse + g * p.Tq);
    ref_grad_q<T><<<blocks_q, 256>>>(p, q, k, v, dout, b.segments, s.b, h, lse + g * p.Tq, delta + g * p.Tq, dq);
    LAB_CHECK(cudaGetLastError());
    r.out.push_back(download(out, nq));
    r.dq.push_back(download(dq, nq));
    r.lse.push_back(download(lse + g * p.Tq, p.Tq));
  }
  ref_grad_kv<T><<<blocks_k, 256>>>(p, q, k, v, dout, b.segments, s.b, s.kvh, lse, delta, dk, dv);
  LAB_CHECK(cudaGetLastError());
  r.dk = download(dk, nk);
  r.dv = download(dv, nk);
  for (double* d : {out, dq, lse, delta, dk, dv}) LAB_CHECK(cudaFree(d));
  return r;
}

/** A kernel output copied to the host as doubles. */
inline std::vector<double> fetch(const void* d, size_t n, Element element) {
  std::vector<double> h(n);
  if (element == Element::BF16) {
    std::vector<unsigned short> raw(n);
    LAB_CHECK(cudaMemcpy(raw.data(), d, n * 2, cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < n; ++i) {
      const unsigned bits = static_cast<unsigned>(raw[i]) << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      h[i] = f;
    }
  } else if (element == Element::F16) {
    std::vector<__half> raw(n);
    LAB_CHECK(cudaMemcpy(raw.data(), d, n * 2, cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < n; ++i) h[i] = __half2float(raw[i]);
  } else {
    std::vector<float> raw(n);
    LAB_CHECK(cudaMemcpy(raw.data(), d, n * 4, cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < n; ++i) h[i] = raw[i];
  }
  return h;
}

/** Relative errors of out, lse, dq, dk, dv over the sampled slices. */
struct Errors {
  RelError e[5];
  double worst() const {
    double w = 0.0;
    for (const RelError& x : e) w = std::max(w, x.value());
    return w;
  }
};

inline Errors validate(const Case& c, Buffers& b, const Variant& v, const std::vector<Reference>& refs) {
  const Problem& p = c.p;
  const size_t nq = elements_q(p), nk = elements_k(p);
  const size_t e = element_bytes(c.element);
  for (void* d : {b.out, b.dq}) LAB_CHECK(cudaMemset(d, 0xff, nq * e));
  for (void* d : {b.dk, b.dv}) LAB_CHECK(cudaMemset(d, 0xff, nk * e));
  LAB_CHECK(cudaMemset(b.lse, 0xff, elements_rows(p) * 4));
  LAB_CHECK(cudaMemset(b.delta, 0xff, elements_rows(p) * 4));
  if (c.element != Element::F32) LAB_CHECK(cudaMemset(b.dq_accum, 0xff, elements_dq_accum(p) * 4));
  v.forward(b, 0);
  v.backward(b, 0);
  LAB_CHECK(cudaGetLastError());
  LAB_CHECK(cudaDeviceSynchronize());
  const std::vector<double> out = fetch(b.out, nq, c.element), dq = fetch(b.dq, nq, c.element);
  const std::vector<double> dk = fetch(b.dk, nk, c.element), dv = fetch(b.dv, nk, c.element);
  const std::vector<double> lse = fetch(b.lse, elements_rows(p), Element::F32);
  Errors err;
  const int group = p.Hq / p.Hk;
  for (const Reference& r : refs) {
    for (int g = 0; g < group; ++g) {
      const int h = r.s.kvh * group + g;
      for (int i = 0; i < p.Tq; ++i) {
        err.e[1].add(lse[(static_cast<size_t>(r.s.b) * p.Hq + h) * p.Tq + i], r.lse[g][i]);
        for (int d = 0; d < p.D; ++d) {
          const size_t at = ((static_cast<size_t>(r.s.b) * p.Tq + i) * p.Hq + h) * p.D + d;
          err.e[0].add(out[at], r.out[g][static_cast<size_t>(i) * p.D + d]);
          err.e[2].add(dq[at], r.dq[g][static_cast<size_t>(i) * p.D + d]);
        }
      }
    }
    for (int j = 0; j < p.Tk; ++j) {
      for (int d = 0; d < p.D; ++d) {
        const size_t at = ((static_cast<size_t>(r.s.b) * p.Tk + j) * p.Hk + r.s.kvh) * p.D + d;
        err.e[3].add(dk[at], r.dk[static_cast<size_t>(j) * p.D + d]);
        err.e[4].add(dv[at], r.dv[static_cast<size_t>(j) * p.D + d]);
      }
    }
  }
  return err;
}

/** Median milliseconds of `run` over `repeats` runs, each after a write of twice the L2 size. */
template <typename F>
double median_ms(F run, int repeats, void* flush, size_t flush_bytes) {
  cudaEvent_t start, stop;
  LAB_CHECK(cudaEventCreate(&start));
  LAB_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < 3; ++i) run();
  std::vector<float> ms(repeats);
  for (int i = 0; i < repeats; ++i) {
    LAB_CHECK(cudaMemsetAsync(flush, i, flush_bytes));
    LAB_CHECK(cudaEventRecord(start));
    run();
    LAB_CHECK(cudaEventRecord(stop));
    LAB_CHECK(cudaEventSynchronize(stop));
    LAB_CHECK(cudaEventElapsedTime(&ms[i], start, stop));
  }
  LAB_CHECK(cudaEventDestroy(start));
  LAB_CHECK(cudaEventDestroy(stop));
  std::sort(ms.begin(), ms.end());
  return ms[repeats / 2];
}

inline Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--filter" && i + 1 < argc) o.filter = argv[++i];
    else if (a == "--variant" && i + 1 < argc) o.variant = argv[++i];
    else if (a == "--repeats" && i + 1 < argc) o.repeats = std::max(1, std::atoi(argv[++i]));
    else if (a == "--validate-only") o.validate_only = true;
    else if (a == "--kernels") o.kernels = true;
    else {
      std::fprintf(stderr, "usage: %s [--filter <text>] [--variant <text>] [--repeats <n>] [--validate-only] "
                   "[--kernels]\n", argv[0]);
      std::exit(2);
    }
  }
  return o;
}

/** Validates and times every variant of one case; returns false when a variant failed validation. */
inline bool run_case(const Case& c, const Options& o, void* flush, size_t flush_bytes) {
  Buffers b = allocate(c);
  std::vector<Reference> refs;
  for (int i = 0; i < c.sample_count; ++i) {
    switch (c.element) {
      case Element::BF16: refs.push_back(reference<__nv_bfloat16>(c, b, c.samples[i])); break;
      case Element::F16: refs.push_back(reference<__half>(c, b, c.samples[i])); break;
      case Element::F32: refs.push_back(reference<float>(c, b, c.samples[i])); break;
    }
  }
  const double limit = c.element != Element::F32 ? 2e-2 : 1e-5;
  // With documents, only the pairs inside one document count (h200-baselines.md's count otherwise).
  const double flops = c.p.documents ? visible_forward_flops(c.p) : c.forward_flops;
  bool ok = true;
  for (int i = 0; i < c.variant_count; ++i) {
    const Variant& v = c.variants[i];
    if (i > 0 && !o.variant.empty() && std::string(v.label).find(o.variant) == std::string::npos) continue;
    v.setup();
    const Errors err = validate(c, b, v, refs);
    const bool valid = err.worst() <= limit;
    ok = ok && valid;
    std::printf("%-22s %-34s %s out %.1e lse %.1e dq %.1e dk %.1e dv %.1e", c.name, v.label, valid ? "ok  " : "FAIL",
                err.e[0].value(), err.e[1].value(), err.e[2].value(), err.e[3].value(), err.e[4].value());
    if (valid && !o.validate_only) {
      const double fwd = median_ms([&] { v.forward(b, 0); }, o.repeats, flush, flush_bytes);
      const double all = median_ms([&] { v.forward(b, 0); v.backward(b, 0); }, o.repeats, flush, flush_bytes);
      std::printf(" | fwd %8.3f ms %6.1f TFLOP/s | fwd+bwd %8.3f ms %6.1f TFLOP/s%s", fwd, flops / fwd / 1e9, all,
                  3.5 * flops / all / 1e9, c.p.documents ? " (visible pairs)" : "");
    }
    if (valid && !o.validate_only && o.kernels) {
      for (int k = 0; k < v.backward_kernels; ++k) {
        std::printf(" | bwd kernel %d %7.3f ms", k,
                    median_ms([&] { v.backward_kernel(b, 0, k); }, o.repeats, flush, flush_bytes));
      }
    }
    std::printf("%s%s\n", *c.target ? " | " : "", c.target);
  }
  release(b);
  return ok;
}

inline int main(int argc, char** argv, const Case* cases, int count) {
  const Options o = parse(argc, argv);
  cudaDeviceProp prop;
  LAB_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d SMs, L2 %d MiB\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize >> 20);
  const size_t flush_bytes = 2 * static_cast<size_t>(prop.l2CacheSize);
  void* flush = device_alloc(flush_bytes);
  bool ok = true;
  for (int i = 0; i < count; ++i) {
    if (o.filter.empty() || std::string(cases[i].name).find(o.filter) != std::string::npos) {
      ok = run_case(cases[i], o, flush, flush_bytes) && ok;
    }
  }
  LAB_CHECK(cudaFree(flush));
  std::printf("%s\n", ok ? "all variants validated" : "some variants FAILED validation");
  return ok ? 0 : 1;
}

}  // namespace lab
