// Everything a generated CUDA training program includes from the runtime: the plain C++ half (runtime.h) plus the
// CUDA parts: call checks, startup checks and shared-memory limits, device arenas, CUDA-graph capture and replay,
// cuBLASLt loaded at run time and the per-GEMM choice, event timing and the kernel profiler. Link with -ldl (glibc
// 2.34 and later have dlopen in libc itself).

#pragma once

#include "cuda-arena.h"
#include "cuda-check.h"
#include "cuda-device.h"
#include "cuda-graph.h"
#include "cuda-profile.h"
#include "gemm-choice.h"
#include "gemm-lt.h"
#include "runtime.h"
