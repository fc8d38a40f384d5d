// Stand-in for CUDA's <cuda_fp16.h> in the attention emulation: __half and its conversions live beside bf16's in
// cuda_bf16.h.
#pragma once

#include "cuda_bf16.h"
