// Safetensors writer of the generated program: lays tensors out as compiler/import/safetensors.ts does (wider
// element types first, otherwise in the given order; the JSON header padded with spaces to a multiple of 8 bytes,
// so every tensor starts aligned to its element size), then streams each tensor in converted chunks into
// `<path>.tmp-<pid>`, syncs it and renames it into place. Given the same tensors, dtype and metadata, the bytes are
// exactly those the TypeScript writer produces (except for tensor names that are array indices such as "0", which
// JavaScript objects order first; model parameter names never are).
// Invariants: a failed write leaves `<path>` as it was and removes its temporary file (syncing the folder after the
// rename is best effort: the file is complete either way); float tensors are stored in the requested float dtype
// (rounded to nearest even), i32 tensors as I32.

#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "error.h"
#include "file-io.h"
#include "json.h"
#include "safetensors-convert.h"
#include "safetensors-format.h"

namespace trainc {

/** A host tensor to save: `data` holds its elements as `host`, row-major. */
struct TensorToWrite {
  std::string name;
  std::vector<uint64_t> shape;
  Host host;
  const void* data;
};

/** Metadata strings, in the order they are written. */
using Metadata = std::vector<std::pair<std::string, std::string>>;

namespace detail {

/** One tensor's place in the file; `begin` is relative to the data region. */
struct Planned {
  const TensorToWrite* tensor;
  Stored dtype;
  uint64_t count;
  uint64_t begin;
};

inline std::vector<Planned> plan_layout(const std::string& path, const std::vector<TensorToWrite>& tensors,
                                        std::optional<Stored> float_dtype) {
  if (float_dtype && (!stored_info(*float_dtype).is_float || *float_dtype == Stored::F8_E4M3 || *float_dtype == Stored::F8_E5M2)) {
    fail(2112, std::string("cannot save float tensors to '") + path + "' as " + stored_info(*float_dtype).name,
         "pick a float dtype: F32, BF16, F16 or F64");
  }
  std::vector<Planned> plan;
  for (const auto& t : tensors) {
    const bool repeated = std::any_of(plan.begin(), plan.end(), [&](const Planned& p) { return p.tensor->name == t.name; });
    if (t.name == "__metadata__" || repeated) {
      fail(2112, "cannot save tensor '" + t.name + "' to '" + path + "'", "tensor names must be unique; the name __metadata__ is reserved");
    }
    const Stored own = t.host == Host::F32 ? Stored::F32 : t.host == Host::F16 ? Stored::F16 : Stored::BF16;
    const Stored dtype = t.host == Host::I32 ? Stored::I32 : float_dtype.value_or(own);
    uint64_t count = 0;
    if (!element_count(t.shape, &count)) internal_error("tensor '" + t.name + "' has more than 2^64 elements");
    plan.push_back({&t, dtype, count, 0});
  }
  std::stable_sort(plan.begin(), plan.end(),
                   [](const Planned& a, const Planned& b) { return stored_info(a.dtype).bytes > stored_info(b.dtype).bytes; });
  uint64_t begin = 0;
  for (auto& p : plan) {
    p.begin = begin;
    begin += p.count * static_cast<uint64_t>(stored_info(p.dtype).bytes);
  }
  return plan;
}

/** Length field + JSON header (as JSON.stringify writes it) padded with spaces to a multiple of 8 bytes. */
inline std::string header_bytes(const std::vector<Planned>& plan, const Metadata& metadata) {
  std::string json = "{";
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata.size(); i++) json += (i ? "," : "") + json::quote(metadata[i].first) + ":" + json::quote(metadata[i].second);
    json += "}";
  }
  for (const auto& p : plan) {
    const uint64_t end = p.begin + p.count * static_cast<uint64_t>(stored_info(p.dtype).bytes);
    json += (json.size() > 1 ? "," : "") + json::quote(p.tensor->name) + ":{\"dtype\":\"" + stored_info(p.dtype).name + "\",\"shape\":[";
    for (size_t i = 0; i < p.tensor->shape.size(); i++) json += (i ? "," : "") + std::to_string(p.tensor->shape[i]);
    json += "],\"data_offsets\":[" + std::to_string(p.begin) + "," + std::to_string(end) + "]}";
  }
  json += "}";
  const uint64_t padded = (8 + json.size() + 7) / 8 * 8 - 8;
  std::string out(8, '\0');
  for (int i = 0; i < 8; i++) out[i] = static_cast<char>((padded >> (8 * i)) & 0xFF);
  out += json;
  out.resize(8 + padded, ' ');
  return out;
}

/** Writes the header and every tensor to `fd`; returns 0 or an errno value. */
inline int write_contents(int fd, const std::vector<Planned>& plan, const std::string& header) {
  constexpr uint64_t kChunk = uint64_t{1} << 20;
  if (const int error = write_at(fd, header.data(), header.size(), 0)) return error;
  std::vector<unsigned char> buffer;
  for (const auto& p : plan) {
    const size_t width = static_cast<size_t>(stored_info(p.dtype).bytes);
    const size_t host_width = host_bytes(p.tensor->host);
    for (uint64_t start = 0; start < p.count; start += kChunk) {
      const size_t n = static_cast<size_t>(std::min(kChunk, p.count - start));
      buffer.resize(n * width);
      encode_chunk(p.tensor->host, static_cast<const unsigned char*>(p.tensor->data) + start * host_width, n, p.dtype, buffer.data());
      if (const int error = write_at(fd, buffer.data(), buffer.size(), header.size() + p.begin + start * width)) return error;
    }
  }
  return 0;
}

inline std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace detail

/**
 * Writes `tensors` to `path` through `<path>.tmp-<pid>`. Float tensors are stored as `float_dtype` (default: F32
 * for f32 hosts, BF16 for bf16 hosts). Errors: 2112 (dtype or name), 2114 (the file could not be written).
 */
inline void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                              std::optional<Stored> float_dtype = std::nullopt, const Metadata& metadata = {}) {
  const std::vector<detail::Planned> plan = detail::plan_layout(path, tensors, float_dtype);
  const std::string header = detail::header_bytes(plan, metadata);
  const std::string temporary = temporary_name(path);
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  int error = fd.ok() ? detail::write_contents(fd.get(), plan, header) : errno;
  if (error == 0 && ::fsync(fd.get()) != 0) error = errno;
  if (fd.ok() && error == 0) error = fd.reset();
  if (error == 0 && std::rename(temporary.c_str(), path.c_str()) != 0) error = errno;
  if (error == 0) {
    sync_folder(detail::folder_of(path));
    return;
  }
  fd.reset();
  ::unlink(temporary.c_str());
  fail(2114, "cannot write '" + path + "': " + io_error_text(error),
       "check that the folder exists and is writable and that the disk has room");
}

}  // namespace trainc
