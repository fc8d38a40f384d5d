// CUDA's library_types.h for HIP: the data type enum the cuBLASLt loader's declarations name (with CUDA's values).
// No cuBLASLt exists on AMD GPUs, so the loader finds no library there and every GEMM runs the generated kernel.
#pragma once
typedef enum cudaDataType_t { CUDA_R_32F = 0, CUDA_R_16F = 2, CUDA_R_16BF = 14 } cudaDataType_t;
