// Test driver of the C++ batch file reader (backends/cuda/runtime/batch-file.h), run by batch-file.test.ts:
//   dump <file> <B> <T> <vocab_size> <max_position> [index...]
// prints {"count":N,"batches":[{"epoch","tokens","input_ids","labels","position_ids"}]} for the given batches (all
// when none are given). Errors print as the runtime prints them (error[E...]) with exit status 1.

#include <cstdio>
#include <string>
#include <vector>

#include "batch-file.h"

namespace {

std::string array_json(const int32_t* values, uint64_t n) {
  std::string out = "[";
  for (uint64_t i = 0; i < n; i++) out += (i ? "," : "") + std::to_string(values[i]);
  return out + "]";
}

int dump(const std::vector<std::string>& args) {
  const trainc::BatchLimits limits{static_cast<uint32_t>(std::stoul(args[2])), static_cast<uint32_t>(std::stoul(args[3])),
                                   std::stoi(args[4]), std::stoi(args[5])};
  const trainc::BatchFile file(args[1], limits);
  std::vector<uint32_t> indices;
  for (size_t i = 6; i < args.size(); i++) indices.push_back(static_cast<uint32_t>(std::stoul(args[i])));
  if (args.size() == 6) {
    for (uint32_t i = 0; i < file.count(); i++) indices.push_back(i);
  }
  std::vector<int32_t> buffer(file.elements());
  const uint64_t plane = file.elements() / 3;
  std::string out = "{\"count\":" + std::to_string(file.count()) + ",\"batches\":[";
  for (size_t k = 0; k < indices.size(); k++) {
    const trainc::BatchInfo info = file.read(indices[k], buffer.data());
    out += (k ? "," : "") + std::string("{\"epoch\":") + std::to_string(info.epoch) + ",\"tokens\":" + std::to_string(info.tokens) +
           ",\"input_ids\":" + array_json(buffer.data(), plane) + ",\"labels\":" + array_json(buffer.data() + plane, plane) +
           ",\"position_ids\":" + array_json(buffer.data() + 2 * plane, plane) + "}";
  }
  std::printf("%s]}\n", out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return trainc::guarded_main([&] {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() >= 6 && args[0] == "dump") return dump(args);
    std::fprintf(stderr, "usage: dump <file> <B> <T> <vocab_size> <max_position> [index...]\n");
    return 2;
  });
}
