// CUDA's math_constants.h names for HIP (the generated code spells inf and NaN with them).
#pragma once
#define CUDART_NAN_F __builtin_nanf("")
#define CUDART_INF_F __builtin_inff()
#define CUDART_NAN __builtin_nan("")
#define CUDART_INF __builtin_inf()
