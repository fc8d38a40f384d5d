// CUDA's cuda_fp8.h for HIP: HIP 5.2 has no 8-bit float types, so none are defined; a program holding f8 tensors
// does not build for AMD (the CUDA templates refuse f8 tensors too, with E5600).
#pragma once
