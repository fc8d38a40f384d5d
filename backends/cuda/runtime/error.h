// Errors of the generated training program's host runtime (plain C++17). A user-caused failure throws
// trainc::Error(code, message, fix), printed exactly as the TypeScript side prints a TraincError:
// `error[E<code>]: <message>` and `  fix: <fix>`; guarded_main() turns it into exit status 1 (70 for a bug), as
// compiler/cli.ts does.
// Invariant: every code below is thrown only with the meaning listed; codes shared with TypeScript files keep the
// meaning they have there, so a user sees the same code for the same problem from either side.
//
// Error codes of backends/cuda/runtime (C++ and batch-file.ts):
//   2100-2114  safetensors, same meanings as compiler/import/safetensors.ts:
//              2100 file missing or unreadable      2106 shape and byte size disagree   2111 no tensor of that name
//              2101 shorter than 8 bytes            2107 byte range outside the data    2112 dtype cannot be written
//              2102 header length beyond the file   2108 byte ranges overlap            2114 file could not be written
//              2103 header is not a JSON object     2109 gap or trailing bytes
//              2104 malformed header entry          2110 value not convertible to the requested type
//   6500  a tensor's shape differs from the one the program was compiled for
//   6501  a checkpoint folder could not be written or swapped into place
//   6510  batch file missing or unreadable           6513  batch file size disagrees with its header
//   6511  not a trainc batch file, or another version 6514  batch index beyond the file's batches
//   6512  batch file B/T differ from the program's    6515  a batch holds an invalid token id, label or position
//   6516  batch file cannot be written (batch-file.ts) 6517  batches of different shapes (batch-file.ts)
//   6520  metrics.jsonl cannot be written             6521  the --profile file or summary.json cannot be written
//   6530  a CUDA call failed                          6533  too little free device memory
//   6531  no CUDA device, or the driver is too old    6534  a kernel needs more shared memory than the device has
//   6532  the GPU's compute capability does not match the build
//   6540  the program was started without its run file, or the run file lacks a key (host-main.ts)
//   6541  TRAINC_GEMM names no GEMM mode (gemm-choice.h)
// A broken runtime contract (a bug in the generated program, never the user's fault) is a std::logic_error instead:
// guarded_main() prints it as an internal error with exit status 70.

#pragma once

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

namespace trainc {

/** An error a user can act on: stable `code`, a message naming the culprit, and what to change. */
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message, std::string fix)
      : std::runtime_error(message), code_(code), fix_(std::move(fix)) {}

  int code() const { return code_; }
  const std::string& fix() const { return fix_; }

  /** The text shown to the user, as compiler/diagnostics.ts formats a TraincError. */
  std::string format() const {
    std::string text = "error[E" + std::to_string(code_) + "]: " + what();
    if (!fix_.empty()) text += "\n  fix: " + fix_;
    return text;
  }

 private:
  int code_;
  std::string fix_;
};

/** Throws an Error; reads like compiler/diagnostics.ts's fail(). */
[[noreturn]] inline void fail(int code, const std::string& message, const std::string& fix) {
  throw Error(code, message, fix);
}

/** Reports a broken runtime contract: a bug in the generated program, never the user's fault. */
[[noreturn]] inline void internal_error(const std::string& message) {
  throw std::logic_error(message);
}

/**
 * Runs `body` and returns the process exit status: its own on success, 1 after printing a trainc::Error to stderr,
 * 70 after printing any other exception as an internal error (the statuses compiler/cli.ts uses).
 */
template <typename Body>
int guarded_main(Body&& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.format().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error (a bug in trainc; please report it with the command you ran):\n%s\n", e.what());
    return 70;
  }
}

}  // namespace trainc
