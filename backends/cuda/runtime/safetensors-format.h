// What the safetensors reader and writer share: the stored dtypes as headers spell them (the table of
// compiler/import/safetensors.ts), the host element types the program keeps tensors in (f32, bf16 codes, i32), and
// small helpers for shapes and messages.
// Invariant: kStored lists every dtype the TypeScript reader knows, with the same names and element sizes.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainc {

/** A dtype as a safetensors header spells it. */
enum class Stored { F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I8, U8, BOOL };

/** Name, element size and kind of one stored dtype. */
struct StoredInfo {
  Stored dtype;
  const char* name;
  int bytes;
  bool is_float;
};

inline constexpr StoredInfo kStored[] = {
    {Stored::F64, "F64", 8, true},    {Stored::F32, "F32", 4, true},         {Stored::F16, "F16", 2, true},
    {Stored::BF16, "BF16", 2, true},  {Stored::F8_E4M3, "F8_E4M3", 1, true}, {Stored::F8_E5M2, "F8_E5M2", 1, true},
    {Stored::I64, "I64", 8, false},   {Stored::I32, "I32", 4, false},        {Stored::I8, "I8", 1, false},
    {Stored::U8, "U8", 1, false},     {Stored::BOOL, "BOOL", 1, false},
};

/** True when kStored lists the dtypes in enum order (stored_info indexes it by the enum). */
constexpr bool stored_table_in_order() {
  for (int i = 0; i < static_cast<int>(sizeof kStored / sizeof kStored[0]); i++) {
    if (static_cast<int>(kStored[i].dtype) != i) return false;
  }
  return true;
}
static_assert(stored_table_in_order(), "kStored must list the dtypes in the order of enum Stored");

inline const StoredInfo& stored_info(Stored dtype) { return kStored[static_cast<int>(dtype)]; }

/** The known dtype names, comma separated, for messages. */
inline std::string known_stored_names() {
  std::string out;
  for (const auto& s : kStored) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

/** How the program holds a tensor in host memory: f32, bf16 or f16 codes (uint16_t), or i32. */
enum class Host { F32, BF16, F16, I32 };

inline const char* host_name(Host h) {
  return h == Host::F32 ? "f32" : h == Host::BF16 ? "bf16" : h == Host::F16 ? "f16" : "i32";
}
inline size_t host_bytes(Host h) { return h == Host::BF16 || h == Host::F16 ? 2 : 4; }

/** `[2,3]`, as the TypeScript messages print shapes. */
inline std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); i++) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

/** Product of the dims, or false when it overflows 64 bits. */
inline bool element_count(const std::vector<uint64_t>& shape, uint64_t* count) {
  uint64_t n = 1;
  for (const uint64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) return false;
  }
  *count = n;
  return true;
}

}  // namespace trainc
