// Test driver of the C++ safetensors reader and writer (backends/cuda/runtime/safetensors-*.h), run by
// safetensors.test.ts:
//   dump <file> <f32|bf16|i32>        every tensor converted to the host type, as JSON (f32 as bit patterns)
//   copy <in> <out> <F32|BF16|F16|F64|own>  reads every tensor and writes them again with that float dtype
//   read <file> <name> <f32|bf16|i32> <dims...>  reads one tensor expecting that shape; prints its element count
// Errors print as the runtime prints them (error[E...]) with exit status 1.

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "safetensors-read.h"
#include "safetensors-write.h"

namespace {

using trainc::Host;
using trainc::Stored;

Host host_of(const std::string& name) {
  if (name == "f32") return Host::F32;
  if (name == "bf16") return Host::BF16;
  if (name == "f16") return Host::F16;
  return Host::I32;
}

/** Elements of a host buffer as JSON numbers: f32 bit patterns, bf16 or f16 codes, i32 values. */
std::string values_json(Host host, const std::vector<unsigned char>& data, uint64_t count) {
  std::string out = "[";
  for (uint64_t i = 0; i < count; i++) {
    if (i) out += ",";
    if (host == Host::F32) out += std::to_string(trainc::load<uint32_t>(data.data(), i));
    else if (host == Host::BF16 || host == Host::F16) out += std::to_string(trainc::load<uint16_t>(data.data(), i));
    else out += std::to_string(trainc::load<int32_t>(data.data(), i));
  }
  return out + "]";
}

int dump(const std::string& path, Host host) {
  trainc::SafetensorsReader reader(path);
  std::string out = "{\"metadata\":[";
  for (size_t i = 0; i < reader.metadata().size(); i++) {
    out += (i ? "," : "") + std::string("[") + trainc::json::quote(reader.metadata()[i].first) + "," +
           trainc::json::quote(reader.metadata()[i].second) + "]";
  }
  out += "],\"tensors\":[";
  for (size_t i = 0; i < reader.tensors().size(); i++) {
    const trainc::TensorInfo& t = reader.tensors()[i];
    std::vector<unsigned char> data(t.count * trainc::host_bytes(host));
    reader.read(t.name, host, data.data(), t.shape);
    out += (i ? "," : "") + std::string("{\"name\":") + trainc::json::quote(t.name) + ",\"dtype\":\"" +
           trainc::stored_info(t.dtype).name + "\",\"shape\":" + trainc::shape_text(t.shape) +
           ",\"values\":" + values_json(host, data, t.count) + "}";
  }
  std::printf("%s]}\n", out.c_str());
  return 0;
}

/** Reads every tensor of `in` (BF16 as bf16, F16 as f16, other floats as f32, integers as i32) and writes them to `out`. */
int copy(const std::string& in, const std::string& out, const std::string& dtype) {
  trainc::SafetensorsReader reader(in);
  std::vector<std::vector<unsigned char>> buffers;
  std::vector<trainc::TensorToWrite> tensors;
  buffers.reserve(reader.tensors().size());
  for (const auto& t : reader.tensors()) {
    const auto& info = trainc::stored_info(t.dtype);
    const Host host = !info.is_float            ? Host::I32
                      : t.dtype == Stored::BF16 ? Host::BF16
                      : t.dtype == Stored::F16  ? Host::F16
                                                : Host::F32;
    buffers.emplace_back(t.count * trainc::host_bytes(host));
    reader.read(t.name, host, buffers.back().data(), t.shape);
    tensors.push_back({t.name, t.shape, host, buffers.back().data()});
  }
  std::optional<Stored> float_dtype;
  for (const auto& s : trainc::kStored) {
    if (dtype == s.name) float_dtype = s.dtype;
  }
  trainc::write_safetensors(out, tensors, float_dtype, reader.metadata());
  return 0;
}

int read_one(const std::string& path, const std::string& name, Host host, const std::vector<uint64_t>& shape) {
  trainc::SafetensorsReader reader(path);
  uint64_t count = 1;
  for (const uint64_t d : shape) count *= d;
  std::vector<unsigned char> data(count * trainc::host_bytes(host));
  reader.read(name, host, data.data(), shape);
  std::printf("%llu\n", static_cast<unsigned long long>(count));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return trainc::guarded_main([&] {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "dump") return dump(args[1], host_of(args[2]));
    if (args.size() == 4 && args[0] == "copy") return copy(args[1], args[2], args[3]);
    if (args.size() >= 4 && args[0] == "read") {
      std::vector<uint64_t> shape;
      for (size_t i = 4; i < args.size(); i++) shape.push_back(std::stoull(args[i]));
      return read_one(args[1], args[2], host_of(args[3]), shape);
    }
    std::fprintf(stderr, "usage: dump <file> <type> | copy <in> <out> <dtype> | read <file> <name> <type> <dims...>\n");
    return 2;
  });
}
