// Element conversions between stored safetensors dtypes and the program's host types, one chunk at a time:
// decoding for the reader (F64/F32/F16/BF16 -> f32, bf16 or f16; integer and bool dtypes -> i32) and encoding for the
// writer (f32/bf16/f16 -> F64/F32/F16/BF16; i32 -> I32).
// Invariants: floats round to nearest even in one step (float-bits.h); an integer that i32 cannot hold is an error
// (2110), never wrapped; chunks are unaligned byte buffers, read and written through memcpy.

#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "error.h"
#include "float-bits.h"
#include "safetensors-format.h"

namespace trainc {

/** Fails with 2110 unless a stored dtype can be read as `host` (floats as f32/bf16, integers and bools as i32). */
inline void check_convertible(const std::string& path, const std::string& name, Stored dtype, Host host) {
  const StoredInfo& s = stored_info(dtype);
  if (dtype == Stored::F8_E4M3 || dtype == Stored::F8_E5M2) {
    fail(2110, path + ": tensor '" + name + "' is " + s.name + ", which the CUDA runtime does not read",
         "convert the checkpoint to BF16 or F32 (trainc's TypeScript side reads F8 and writes BF16)");
  }
  if (s.is_float != (host != Host::I32)) {
    fail(2110, path + ": tensor '" + name + "' is " + s.name + "; it cannot be read as " + host_name(host),
         std::string("the program expects ") + (host == Host::I32 ? "an integer" : "a float") +
             " tensor here: check that this is the file the program was compiled for");
  }
}

template <typename T>
inline T load(const unsigned char* p, size_t i) {
  T v;
  std::memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}

template <typename T>
inline void store(unsigned char* p, size_t i, T v) {
  std::memcpy(p + i * sizeof(T), &v, sizeof(T));
}

/** Element i of a float chunk as f32 (F64 rounds to nearest even). */
inline float stored_float(Stored dtype, const unsigned char* in, size_t i) {
  switch (dtype) {
    case Stored::F64: return static_cast<float>(load<double>(in, i));
    case Stored::F32: return load<float>(in, i);
    case Stored::F16: return decode_half(load<uint16_t>(in, i), kF16);
    default: return bf16_to_f32(load<uint16_t>(in, i));
  }
}

/** Element i of an integer or bool chunk. */
inline int64_t stored_integer(Stored dtype, const unsigned char* in, size_t i) {
  switch (dtype) {
    case Stored::I64: return load<int64_t>(in, i);
    case Stored::I32: return load<int32_t>(in, i);
    case Stored::I8: return load<int8_t>(in, i);
    default: return in[i];
  }
}

/** Decodes `n` stored elements (the tensor's elements from `first`) into host elements at `out`. */
inline void decode_chunk(const std::string& path, const std::string& name, Stored dtype, uint64_t first,
                         const unsigned char* in, size_t n, Host host, unsigned char* out) {
  if (host == Host::I32) {
    for (size_t i = 0; i < n; i++) {
      const int64_t v = stored_integer(dtype, in, i);
      if (v < INT32_MIN || v > INT32_MAX) {
        fail(2110, path + ": tensor '" + name + "' holds " + std::to_string(v) + " at index " + std::to_string(first + i) +
                       ", which i32 cannot hold",
             "store ids, labels and positions below 2^31");
      }
      store<int32_t>(out, i, static_cast<int32_t>(v));
    }
  } else if (host == Host::F32) {
    for (size_t i = 0; i < n; i++) store<float>(out, i, stored_float(dtype, in, i));
  } else if (host == Host::F16) {
    for (size_t i = 0; i < n; i++) {
      const double v = dtype == Stored::F64 ? load<double>(in, i) : stored_float(dtype, in, i);
      store<uint16_t>(out, i, encode_half(v, kF16));
    }
  } else if (dtype == Stored::F64) {
    for (size_t i = 0; i < n; i++) store<uint16_t>(out, i, encode_half(load<double>(in, i), kBF16));
  } else {
    for (size_t i = 0; i < n; i++) store<uint16_t>(out, i, f32_to_bf16(stored_float(dtype, in, i)));
  }
}

/** Encodes `n` host elements at `in` as `dtype` into `out` (dtype is float for f32/bf16/f16 hosts, I32 for i32). */
inline void encode_chunk(Host host, const unsigned char* in, size_t n, Stored dtype, unsigned char* out) {
  for (size_t i = 0; i < n; i++) {
    if (host == Host::I32) {
      store<int32_t>(out, i, load<int32_t>(in, i));
      continue;
    }
    const float v = host == Host::F32   ? load<float>(in, i)
                    : host == Host::F16 ? decode_half(load<uint16_t>(in, i), kF16)
                                        : bf16_to_f32(load<uint16_t>(in, i));
    switch (dtype) {
      case Stored::F64: store<double>(out, i, v); break;
      case Stored::F32: store<float>(out, i, v); break;
      case Stored::F16: store<uint16_t>(out, i, encode_half(v, kF16)); break;
      default: store<uint16_t>(out, i, f32_to_bf16(v)); break;
    }
  }
}

}  // namespace trainc
