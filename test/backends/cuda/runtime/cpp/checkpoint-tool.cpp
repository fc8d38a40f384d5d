// Test driver of the C++ checkpoint writer (backends/cuda/runtime/checkpoint.h), run by checkpoint.test.ts:
//   save <dir> <config.json> <weights.safetensors> <F32|BF16|F16|F64> <tokenizer dir or ->
//        saves a checkpoint of every tensor of the weights file (BF16 ones held as bf16, others as f32)
//   crash <same arguments>   the same with a 64 KiB file size limit: the kernel kills the process (SIGXFSZ) in the
//                            middle of writing model.safetensors, as a crash would
//   full <same arguments>    the same limit with SIGXFSZ ignored: the write fails (EFBIG) and the save reports it
//   recover <dir>            cleans what crashed saves of <dir> left
// Errors print as the runtime prints them (error[E...]) with exit status 1.

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "checkpoint.h"
#include "safetensors-read.h"

namespace {

using trainc::Host;
using trainc::Stored;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Stored stored_of(const std::string& name) {
  for (const auto& s : trainc::kStored) {
    if (name == s.name) return s.dtype;
  }
  return Stored::F32;
}

void limit_file_size(bool ignore_signal) {
  if (ignore_signal) std::signal(SIGXFSZ, SIG_IGN);
  const rlimit limit{64 * 1024, 64 * 1024};
  setrlimit(RLIMIT_FSIZE, &limit);
}

int save(const std::vector<std::string>& args) {
  trainc::SafetensorsReader weights(args[3]);
  std::vector<std::vector<unsigned char>> buffers;
  buffers.reserve(weights.tensors().size());
  trainc::Checkpoint c{args[1], read_text(args[2]), {}, stored_of(args[4]), args[5] == "-" ? "" : args[5]};
  for (const auto& t : weights.tensors()) {
    const Host host = t.dtype == Stored::BF16 ? Host::BF16 : Host::F32;
    buffers.emplace_back(t.count * trainc::host_bytes(host));
    weights.read(t.name, host, buffers.back().data(), t.shape);
    c.tensors.push_back({t.name, t.shape, host, buffers.back().data()});
  }
  if (args[0] != "save") limit_file_size(args[0] == "full");
  trainc::save_checkpoint(c);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return trainc::guarded_main([&] {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 6 && (args[0] == "save" || args[0] == "crash" || args[0] == "full")) return save(args);
    if (args.size() == 2 && args[0] == "recover") {
      trainc::recover_checkpoint(args[1]);
      return 0;
    }
    std::fprintf(stderr, "usage: save|crash|full <dir> <config.json> <weights> <dtype> <tokenizer dir> | recover <dir>\n");
    return 2;
  });
}
