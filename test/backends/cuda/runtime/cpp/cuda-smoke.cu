// Everything of backends/cuda/runtime built with nvcc into one program the way a generated training program uses it,
// run by cuda.test.ts:
//   start   checks the device (no GPU here: the error and exit status the user sees), then raises a kernel's shared
//           memory limit, checks an arena table, captures a step (kernel, memset, cuBLASLt GEMM) into a CUDA graph,
//           replays it and prints "ok"
// Everything else in the runtime is instantiated too, so nvcc compiles all of it.

#include <cstdio>
#include <string>

#include "cuda-runtime.h"

namespace {

__global__ void scale_kernel(float* x) {
  extern __shared__ float tile[];
  tile[threadIdx.x] = x[threadIdx.x];
  __syncthreads();
  x[threadIdx.x] = 2.0f * tile[blockDim.x - 1 - threadIdx.x];
}

constexpr trainc::ArenaSlot kSlots[] = {{"x", 0, 4096}, {"y", 4096, 8192}, {"workspace", 12288, 1 << 20}};
constexpr size_t kShared = 64 * 1024;

int start() {
  const cudaDeviceProp prop = trainc::check_device({90, false, 64ull << 20, {4, 4096}});
  trainc::allow_shared_memory(scale_kernel, "scale_kernel", kShared, prop);
  trainc::DeviceArena arena("state", 12288 + (1 << 20));
  arena.check(kSlots, 3);
  cudaStream_t stream;
  TRAINC_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  trainc::CublasLt lt;
  std::string why;
  const bool use_lt = lt.ready(&why);
  trainc::StepGraph step;
  step.capture(stream, [&](cudaStream_t s) {
    arena.zero(kSlots[1], s);
    scale_kernel<<<1, 256, kShared, s>>>(arena.at<float>(kSlots[0]));
    TRAINC_CHECK_LAUNCH(scale_kernel);
    if (use_lt) {
      const trainc::GemmLtCall call{{16, 16, 16, false, true, trainc::GemmType::F32, trainc::GemmType::F32, 1}, arena.at(kSlots[0]),
                                    arena.at(kSlots[0]), arena.at(kSlots[1]), 1.0f, 0.0f, arena.at(kSlots[2]), kSlots[2].bytes, s};
      if (!trainc::gemm_lt(lt, call, &why)) std::fprintf(stderr, "cuBLASLt not used: %s\n", why.c_str());
    }
  });
  step.replay(stream);
  TRAINC_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::printf("ok\n");
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
