// Everything of backends/cuda/runtime built with nvcc into one program the way a generated training program uses it,
// run by cuda.test.ts:
//   start   checks the device (no GPU here: the error and exit status the user sees), then raises a kernel's shared
//           memory limit, checks an arena table, picks the backend of a GEMM site (TRAINC_GEMM, TRAINC_CUBLASLT: a
//           naive kernel or cuBLASLt), captures a step (memset, kernel, the GEMM through Launches) into a CUDA graph,
//           replays it, runs it once more uncaptured under the kernel profiler, checks the GEMM's result exactly and
//           prints the cuBLASLt start line, the choice line, the profiled launches and "ok"
// Everything else in the runtime is instantiated too, so nvcc compiles all of it.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cuda-runtime.h"

namespace {

constexpr int kN = 16;

__global__ void scale_kernel(float* x) {
  extern __shared__ float tile[];
  tile[threadIdx.x] = x[threadIdx.x];
  __syncthreads();
  x[threadIdx.x] = 2.0f * tile[blockDim.x - 1 - threadIdx.x];
}

/** y = x xᵀ for a 16x16 x (the GEMM site's generated kernel). */
__global__ void naive_gemm(const float* a, const float* b, float* c) {
  const int i = static_cast<int>(threadIdx.x) / kN, j = static_cast<int>(threadIdx.x) % kN;
  float sum = 0;
  for (int k = 0; k < kN; k++) sum += a[i * kN + k] * b[j * kN + k];
  c[i * kN + j] = sum;
}

constexpr trainc::ArenaSlot kSlots[] = {{"x", 0, 4096}, {"y", 4096, 8192}, {"workspace", 12288, trainc::kLibraryWorkspaceBytes}};
constexpr size_t kShared = 64 * 1024;
const trainc::LaunchInfo kLaunches[] = {{"step", "k0_scale", "scale_kernel", "fused", 0.0, -1},
                                        {"step", "k1_matmul", "naive_gemm", "matmul", 2.0 * kN * kN * kN, 0}};

/** Whether y holds x xᵀ exactly (x holds multiples of 1/4, so every sum is exact in f32). */
bool product_ok(const float* x, const float* y) {
  std::vector<float> host_x(kN * kN), host_y(kN * kN);
  TRAINC_CUDA_CHECK(cudaMemcpy(host_x.data(), x, host_x.size() * sizeof(float), cudaMemcpyDeviceToHost));
  TRAINC_CUDA_CHECK(cudaMemcpy(host_y.data(), y, host_y.size() * sizeof(float), cudaMemcpyDeviceToHost));
  for (int i = 0; i < kN; i++) {
    for (int j = 0; j < kN; j++) {
      float sum = 0;
      for (int k = 0; k < kN; k++) sum += host_x[i * kN + k] * host_x[j * kN + k];
      if (sum != host_y[i * kN + j]) return false;
    }
  }
  return true;
}

int start() {
  const cudaDeviceProp prop = trainc::check_device({90, false, 64ull << 20, {4, 4096}});
  trainc::allow_shared_memory(scale_kernel, "scale_kernel", kShared, prop);
  trainc::DeviceArena arena("state", 12288 + (1 << 20));
  arena.check(kSlots, 3);
  cudaStream_t stream;
  TRAINC_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  float* x = arena.at<float>(kSlots[0]);
  float* y = arena.at<float>(kSlots[1]);
  std::vector<float> values(kN * kN);
  for (size_t i = 0; i < values.size(); i++) values[i] = static_cast<float>(static_cast<int>(i % 7) - 3) / 4;
  TRAINC_CUDA_CHECK(cudaMemcpy(x, values.data(), values.size() * sizeof(float), cudaMemcpyHostToDevice));
  trainc::GemmChooser gemms(trainc::gemm_mode(std::getenv("TRAINC_GEMM")), arena.at(kSlots[2]));
  std::printf("%s\n", gemms.library_line().c_str());
  const auto generated = [x, y](cudaStream_t s) {
    naive_gemm<<<1, kN * kN, 0, s>>>(x, x, y);
    TRAINC_CHECK_LAUNCH(naive_gemm);
  };
  const trainc::GemmLtShape shape{kN, kN, kN, false, true, trainc::GemmType::F32, trainc::GemmType::F32, 1, false, false};
  gemms.choose({{"step k1_matmul", shape, x, x, y, generated}}, stream,
               [&](const std::function<void()>& work) { return trainc::time_on_stream(stream, work, 3); }, stdout);
  std::printf("%s\n", gemms.choice_line().c_str());
  trainc::KernelProfiler profiler(kLaunches);
  trainc::Launches L{gemms, profiler};
  const auto issue = [&](cudaStream_t s) {
    arena.zero(kSlots[1], s);
    L.begin(0, s);
    scale_kernel<<<1, kN * kN, kShared, s>>>(x);
    TRAINC_CHECK_LAUNCH(scale_kernel);
    L.end(s);
    L.begin(1, s);
    if (!L.library_gemm(0, s)) generated(s);
    L.end(s);
  };
  trainc::StepGraph step;
  step.capture(stream, issue);
  step.replay(stream);
  TRAINC_CUDA_CHECK(cudaStreamSynchronize(stream));
  const bool replayed = product_ok(x, y);
  profiler.run(stream, issue);
  const trainc::json::Value profile = trainc::json::parse(profiler.json(gemms));
  for (const trainc::json::Value& k : profile.find("kernels")->items) {
    std::printf("profiled %s on '%s'\n", k.find("source")->text.c_str(), k.find("backend")->text.c_str());
  }
  std::printf("%s\n", replayed && product_ok(x, y) ? "ok" : "WRONG");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return trainc::guarded_main([&] {
    if (argc == 2 && std::string(argv[1]) == "start") return start();
    std::fprintf(stderr, "usage: start\n");
    return 2;
  });
}
