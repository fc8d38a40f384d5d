// Reader of the batch file trainc's TypeScript side writes (batch-file.ts defines the layout: a 24-byte header,
// then fixed-size records of epoch, token count and three int32 [B,T] arrays). The program opens it once, checks
// the header against the B and T it was compiled for, and reads micro-batch i with positioned reads into a buffer
// of its own (pinned memory, ready for one host-to-device copy), never loading the whole file.
// Invariants: a batch handed out has ids in [0, vocab_size), labels -100 or in [0, vocab_size), positions in
// [0, max_position) and 0 <= tokens <= B*T, so kernels index embeddings and rotary tables in range.

#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include <sys/stat.h>

#include "error.h"
#include "file-io.h"

namespace trainc {

/** What the program was compiled for: the batch shape and the ranges a batch's values must lie in. */
struct BatchLimits {
  uint32_t rows;
  uint32_t length;
  int32_t vocab_size;
  int32_t max_position;
};

/** A record's scalar fields. */
struct BatchInfo {
  int32_t epoch;
  int32_t tokens;
};

/** An open batch file with a checked header. */
class BatchFile {
 public:
  static constexpr char kMagic[9] = "TRNCBTCH";
  static constexpr uint32_t kVersion = 1;
  static constexpr uint64_t kHeaderBytes = 24;

  /** Opens `path` and checks its header against `limits` (errors 6510-6513). */
  BatchFile(std::string path, const BatchLimits& limits) : path_(std::move(path)), limits_(limits) {
    fd_ = Fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_.ok()) {
      fail(6510, "cannot open batch file '" + path_ + "': " + std::strerror(errno), "check the path; trainc writes it before starting the program");
    }
    check_header();
  }

  uint32_t count() const { return count_; }
  /** int32 elements `read` fills: input_ids, labels, position_ids, each [rows, length]. */
  uint64_t elements() const { return 3 * plane(); }

  /** Reads batch `index` into `out` (elements() int32) and validates it (errors 6510, 6514, 6515). */
  BatchInfo read(uint32_t index, int32_t* out) const {
    if (index >= count_) {
      fail(6514, "batch file '" + path_ + "' holds " + std::to_string(count_) + " batches; the run asked for batch " + std::to_string(index),
           "write a batch file with enough batches for max_steps x gradient_accumulation_steps, or lower max_steps");
    }
    const uint64_t at = kHeaderBytes + static_cast<uint64_t>(index) * record_bytes();
    int32_t head[2];
    int error = read_at(fd_.get(), head, sizeof head, at);
    if (error == 0) error = read_at(fd_.get(), out, elements() * 4, at + sizeof head);
    if (error != 0) {
      fail(6510, "reading batch " + std::to_string(index) + " of '" + path_ + "' failed: " + io_error_text(error), "check the file and the disk");
    }
    const BatchInfo info{head[0], head[1]};
    validate(index, info, out);
    return info;
  }

 private:
  std::string path_;
  BatchLimits limits_;
  Fd fd_;
  uint32_t count_ = 0;

  uint64_t plane() const { return static_cast<uint64_t>(limits_.rows) * limits_.length; }
  uint64_t record_bytes() const { return 8 + 4 * elements(); }

  void check_header() {
    const std::string regenerate = "write the batch file again with trainc (backends/cuda/runtime/batch-file.ts)";
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) fail(6510, "cannot read batch file '" + path_ + "': " + std::strerror(errno), "check the path");
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    char magic[8] = {};
    uint32_t fields[4] = {};
    if (size < kHeaderBytes || read_at(fd_.get(), magic, 8, 0) != 0 || std::memcmp(magic, kMagic, 8) != 0) {
      fail(6511, "'" + path_ + "' is not a trainc batch file (it does not start with " + kMagic + ")", regenerate);
    }
    if (const int error = read_at(fd_.get(), fields, sizeof fields, 8)) {
      fail(6510, "cannot read batch file '" + path_ + "': " + io_error_text(error), "check the file and the disk");
    }
    const auto [version, count, rows, length] = fields;
    if (version != kVersion) {
      fail(6511, "batch file '" + path_ + "' has layout version " + std::to_string(version) + "; this program reads version " +
                     std::to_string(kVersion),
           regenerate);
    }
    if (rows != limits_.rows || length != limits_.length) {
      fail(6512, "batch file '" + path_ + "' holds batches of B=" + std::to_string(rows) + ", T=" + std::to_string(length) +
                     " but the program was compiled for micro_batch_size " + std::to_string(limits_.rows) + " and sequence_len " +
                     std::to_string(limits_.length),
           "write the batch file with the config the program was compiled from, or compile again");
    }
    count_ = count;
    const uint64_t expected = kHeaderBytes + static_cast<uint64_t>(count) * record_bytes();
    if (size != expected) {
      fail(6513, "batch file '" + path_ + "' is " + std::to_string(size) + " bytes, but its header (" + std::to_string(count) +
                     " batches of " + std::to_string(rows) + "x" + std::to_string(length) + ") needs " + std::to_string(expected),
           "the file is truncated or was changed; " + regenerate);
    }
  }

  [[noreturn]] void invalid(uint32_t index, uint64_t slot, const std::string& what) const {
    fail(6515, "batch file '" + path_ + "', batch " + std::to_string(index) + ", row " + std::to_string(slot / limits_.length) +
                   ", position " + std::to_string(slot % limits_.length) + ": " + what,
         "write the batch file with the tokenizer and config the program was compiled for (vocab_size " +
             std::to_string(limits_.vocab_size) + ", " + std::to_string(limits_.max_position) + " positions)");
  }

  void validate(uint32_t index, const BatchInfo& info, const int32_t* data) const {
    const int32_t vocab = limits_.vocab_size;
    const uint64_t n = plane();
    if (info.tokens < 0 || static_cast<uint64_t>(info.tokens) > n || info.epoch < 0) {
      fail(6515, "batch file '" + path_ + "', batch " + std::to_string(index) + ": epoch " + std::to_string(info.epoch) +
                     " and token count " + std::to_string(info.tokens) + " are not possible for " + std::to_string(n) + " slots",
           "the file is corrupt; write it again with trainc");
    }
    for (uint64_t i = 0; i < n; i++) {
      const int32_t id = data[i];
      const int32_t label = data[n + i];
      const int32_t position = data[2 * n + i];
      if (id < 0 || id >= vocab) {
        invalid(index, i, "input id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
      }
      if (label != -100 && (label < 0 || label >= vocab)) {
        invalid(index, i, "label " + std::to_string(label) + " is neither -100 nor a token id");
      }
      if (position < 0 || position >= limits_.max_position) {
        invalid(index, i, "position id " + std::to_string(position) + " is outside [0, " + std::to_string(limits_.max_position) + ")");
      }
    }
  }
};

}  // namespace trainc
