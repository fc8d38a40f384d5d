// Safetensors reader of the generated program: opens a file, validates its whole header with the checks of
// compiler/import/safetensors.ts (same error codes: short file, header length beyond the file, bad JSON, malformed
// entries, unknown dtype, sizes, byte ranges outside the data region, overlaps, gaps), then loads one tensor at a
// time into host memory as f32, bf16 or i32, converting in chunks with positioned reads (no second full copy).
// Invariants: every tensor handed out was checked against the header and against the shape the program expects;
// floats convert with float-bits.h (round to nearest even, one rounding step); the host is little-endian.

#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <sys/stat.h>

#include "error.h"
#include "file-io.h"
#include "json.h"
#include "safetensors-convert.h"
#include "safetensors-format.h"

namespace trainc {

/** One tensor's header entry; `offset` is absolute in the file. */
struct TensorInfo {
  std::string name;
  Stored dtype;
  std::vector<uint64_t> shape;
  uint64_t count;
  uint64_t offset;
  uint64_t bytes;
};

/** An open safetensors file with a validated header. */
class SafetensorsReader {
 public:
  /** Opens `path` and validates its header (errors 2100-2109). */
  explicit SafetensorsReader(std::string path) : path_(std::move(path)) {
    fd_ = Fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_.ok()) fail(2100, "cannot open safetensors file '" + path_ + "': " + std::strerror(errno), "check the path");
    read_header();
  }

  const std::string& path() const { return path_; }
  /** Tensors in header order. */
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }

  const TensorInfo* find(const std::string& name) const {
    for (const auto& t : tensors_) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  /** The entry of tensor `name` (2111 naming near misses when there is none). */
  const TensorInfo& info(const std::string& name) const {
    if (const TensorInfo* t = find(name)) return *t;
    std::vector<std::string> names;
    for (const auto& t : tensors_) names.push_back(t.name);
    const std::string hint = did_you_mean(name, names);
    std::string held;
    for (size_t i = 0; i < names.size() && i < 8; i++) held += (i ? ", " : "") + names[i];
    fail(2111, path_ + " has no tensor '" + name + "'", hint.empty() ? "it holds: " + held : "did you mean '" + hint + "'?");
  }

  /**
   * Reads tensor `name` into `out` (room for its elements as `host`), after checking that its shape is
   * `expected_shape` (6500) and that its dtype converts to `host` (2110).
   */
  void read(const std::string& name, Host host, void* out, const std::vector<uint64_t>& expected_shape) const {
    const TensorInfo& t = info(name);
    if (t.shape != expected_shape) {
      fail(6500, path_ + ": tensor '" + name + "' has shape " + shape_text(t.shape) + " but the program was compiled for " +
                     shape_text(expected_shape),
           "use the model the program was compiled for, or compile the program again for this model");
    }
    check_convertible(path_, t.name, t.dtype, host);
    const size_t width = static_cast<size_t>(stored_info(t.dtype).bytes);
    std::vector<unsigned char> chunk(std::min<uint64_t>(t.count, kReadChunk) * width);
    for (uint64_t start = 0; start < t.count; start += kReadChunk) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kReadChunk, t.count - start));
      const int error = read_at(fd_.get(), chunk.data(), n * width, t.offset + start * width);
      if (error != 0) {
        fail(2100, path_ + ": reading tensor '" + name + "' failed: " + io_error_text(error),
             "the file was truncated or the disk failed; copy the file again");
      }
      decode_chunk(path_, t.name, t.dtype, start, chunk.data(), n, host, static_cast<unsigned char*>(out) + start * host_bytes(host));
    }
  }

 private:
  /** The reference implementation refuses headers above 100 MB; so do we. */
  static constexpr uint64_t kMaxHeader = 100000000;
  /** Elements converted per positioned read. */
  static constexpr uint64_t kReadChunk = uint64_t{1} << 20;

  std::string path_;
  Fd fd_;
  std::vector<TensorInfo> tensors_;
  std::vector<std::pair<std::string, std::string>> metadata_;

  void read_header() {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) fail(2100, "cannot read '" + path_ + "': " + std::strerror(errno), "check the path");
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    const std::string corrupt = "the file is corrupt or not a safetensors file";
    if (size < 8) {
      fail(2101, path_ + " is " + std::to_string(size) + " bytes long, shorter than the 8-byte safetensors header length",
           "the file is truncated or not a safetensors file");
    }
    uint64_t length = 0;
    must_read(&length, 8, 0);
    if (length > size - 8 || length > kMaxHeader) {
      fail(2102, path_ + ": the header claims " + std::to_string(length) + " bytes but the file has " +
                     std::to_string(size - 8) + " after the length field",
           "the file is truncated or not a safetensors file");
    }
    std::string text(static_cast<size_t>(length), '\0');
    must_read(text.data(), text.size(), 8);
    json::Value header;
    try {
      header = json::parse(text);
    } catch (const json::ParseError& e) {
      fail(2103, path_ + ": the header is not JSON (" + e.what() + ")", corrupt);
    }
    if (header.kind != json::Value::Kind::Object) fail(2103, path_ + ": the header is not a JSON object", corrupt);
    const uint64_t data_start = 8 + length;
    for (const auto& [name, entry] : header.members) {
      if (name == "__metadata__") continue;
      if (find(name) != nullptr) bad_entry(name, "two entries");
      tensors_.push_back(parse_entry(name, entry, data_start, size));
    }
    check_layout(data_start, size);
    if (const json::Value* m = header.find("__metadata__")) read_metadata(*m);
  }

  void must_read(void* out, size_t n, uint64_t offset) {
    const int error = read_at(fd_.get(), out, n, offset);
    if (error != 0) fail(2100, "cannot read '" + path_ + "': " + io_error_text(error), "check the file and the disk");
  }

  [[noreturn]] void bad_entry(const std::string& name, const std::string& what) const {
    fail(2104, path_ + ": tensor '" + name + "' has " + what, "the file is corrupt; save it again");
  }

  /** A JSON number that is an integer in [0, 2^53), as Number.isSafeInteger accepts. */
  static bool is_index(const json::Value& v) {
    return v.kind == json::Value::Kind::Number && v.number >= 0 && v.number < 9007199254740992.0 &&
           v.number == static_cast<double>(static_cast<uint64_t>(v.number));
  }

  TensorInfo parse_entry(const std::string& name, const json::Value& entry, uint64_t data_start, uint64_t size) const {
    if (entry.kind != json::Value::Kind::Object) bad_entry(name, "no {dtype, shape, data_offsets} entry");
    const json::Value* dtype = entry.find("dtype");
    const json::Value* shape = entry.find("shape");
    const json::Value* offsets = entry.find("data_offsets");
    if (dtype == nullptr || dtype->kind != json::Value::Kind::String) bad_entry(name, "no dtype string");
    const StoredInfo* format = nullptr;
    for (const auto& s : kStored) {
      if (dtype->text == s.name) format = &s;
    }
    if (format == nullptr) {
      fail(2105, path_ + ": tensor '" + name + "' has dtype '" + dtype->text + "', which trainc does not read (known: " +
                     known_stored_names() + ")",
           "convert the checkpoint to one of the known dtypes");
    }
    TensorInfo t{name, format->dtype, {}, 0, 0, 0};
    if (shape == nullptr || shape->kind != json::Value::Kind::Array ||
        !std::all_of(shape->items.begin(), shape->items.end(), is_index)) {
      bad_entry(name, "a shape that is not a list of non-negative integers");
    }
    for (const auto& d : shape->items) t.shape.push_back(static_cast<uint64_t>(d.number));
    if (offsets == nullptr || offsets->kind != json::Value::Kind::Array || offsets->items.size() != 2 ||
        !is_index(offsets->items[0]) || !is_index(offsets->items[1]) || offsets->items[0].number > offsets->items[1].number) {
      bad_entry(name, "data_offsets that are not [begin, end] with 0 <= begin <= end");
    }
    const uint64_t begin = static_cast<uint64_t>(offsets->items[0].number);
    const uint64_t end = static_cast<uint64_t>(offsets->items[1].number);
    uint64_t expected = 0;
    const bool fits = element_count(t.shape, &t.count) &&
                      !__builtin_mul_overflow(t.count, static_cast<uint64_t>(format->bytes), &expected);
    if (!fits || end - begin != expected) {
      fail(2106, path_ + ": tensor '" + name + "' (" + format->name + " " + shape_text(t.shape) + ") needs " +
                     (fits ? std::to_string(expected) : "more than 2^64") + " bytes but data_offsets [" +
                     std::to_string(begin) + ", " + std::to_string(end) + "] span " + std::to_string(end - begin),
           "the file is corrupt; save it again");
    }
    if (data_start + end > size) {
      fail(2107, path_ + ": tensor '" + name + "' ends at byte " + std::to_string(end) + " of the data region, which has " +
                     std::to_string(size - data_start),
           "the file is truncated; copy it again");
    }
    t.offset = data_start + begin;
    t.bytes = end - begin;
    return t;
  }

  /** The tensors, sorted by offset, must tile the data region exactly. */
  void check_layout(uint64_t data_start, uint64_t size) const {
    std::vector<const TensorInfo*> sorted;
    for (const auto& t : tensors_) sorted.push_back(&t);
    std::stable_sort(sorted.begin(), sorted.end(), [](const TensorInfo* a, const TensorInfo* b) {
      return a->offset != b->offset ? a->offset < b->offset : a->bytes < b->bytes;
    });
    uint64_t at = data_start;
    std::string previous;
    const std::string fix = "the file is corrupt; save it again";
    for (const TensorInfo* t : sorted) {
      if (t->offset < at) fail(2108, path_ + ": tensors '" + previous + "' and '" + t->name + "' overlap", fix);
      if (t->offset > at) {
        fail(2109, path_ + ": " + std::to_string(t->offset - at) + " bytes between " +
                       (previous.empty() ? "the header" : "'" + previous + "'") + " and '" + t->name + "' belong to no tensor",
             fix);
      }
      at = t->offset + t->bytes;
      previous = t->name;
    }
    if (at != size) {
      fail(2109, path_ + ": " + std::to_string(size - at) + " bytes after the last tensor belong to no tensor",
           "the file is corrupt or has data appended; save it again");
    }
  }

  void read_metadata(const json::Value& m) {
    const bool strings = m.kind == json::Value::Kind::Object &&
                         std::all_of(m.members.begin(), m.members.end(),
                                     [](const auto& kv) { return kv.second.kind == json::Value::Kind::String; });
    if (!strings) fail(2104, path_ + ": __metadata__ must map strings to strings", "the file is corrupt");
    for (const auto& [key, value] : m.members) metadata_.emplace_back(key, value.text);
  }

  /** The closest name by edit distance when close enough to be a typo (as compiler/diagnostics.ts's didYouMean). */
  static std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_distance = SIZE_MAX;
    for (const auto& c : candidates) {
      const size_t d = edit_distance(lower(word), lower(c));
      if (d < best_distance) {
        best_distance = d;
        best = c;
      }
    }
    return best_distance <= std::max<size_t>(2, word.size() / 3) ? best : std::string();
  }

  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
  }

  static size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> previous(b.size() + 1);
    for (size_t j = 0; j <= b.size(); j++) previous[j] = j;
    for (size_t i = 1; i <= a.size(); i++) {
      std::vector<size_t> current(b.size() + 1);
      current[0] = i;
      for (size_t j = 1; j <= b.size(); j++) {
        current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      }
      previous = std::move(current);
    }
    return previous[b.size()];
  }
};

}  // namespace trainc
