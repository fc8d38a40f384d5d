// Test driver of the runtime's small pieces, run by core.test.ts:
//   json                 parses stdin and prints it again as JSON.stringify would (or "error: ..." and status 1)
//   half                 reads a JSON list of numbers on stdin and prints each one's BF16 and F16 codes
//   bf16-agrees          checks f32_to_bf16 against encode_half on spread-out f32 bit patterns, and that decoding
//                        then encoding every BF16 and F16 code gives the code back; prints "ok" or the first failure
//   messages             prints the startup errors of device-messages.h for a fixed set of situations
//   slots <size> <offset> <bytes>   checks one arena slot (arena-table.h)

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include "arena-table.h"
#include "device-messages.h"
#include "float-bits.h"
#include "js-format.h"
#include "json.h"

namespace {

using trainc::json::Value;

std::string stringify(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Null: return "null";
    case Value::Kind::Bool: return v.boolean ? "true" : "false";
    case Value::Kind::Number: return trainc::js::json_number(v.number);
    case Value::Kind::String: return trainc::json::quote(v.text);
    case Value::Kind::Array: {
      std::string out = "[";
      for (size_t i = 0; i < v.items.size(); i++) out += (i ? "," : "") + stringify(v.items[i]);
      return out + "]";
    }
    case Value::Kind::Object: {
      std::string out = "{";
      for (size_t i = 0; i < v.members.size(); i++) out += (i ? "," : "") + trainc::json::quote(v.members[i].first) + ":" + stringify(v.members[i].second);
      return out + "}";
    }
  }
  return "";
}

std::string stdin_text() { return std::string((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>()); }

int json() {
  try {
    std::printf("%s\n", stringify(trainc::json::parse(stdin_text())).c_str());
    return 0;
  } catch (const trainc::json::ParseError& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
}

int half() {
  for (const Value& v : trainc::json::parse(stdin_text()).items) {
    std::printf("%u %u\n", trainc::encode_half(v.number, trainc::kBF16), trainc::encode_half(v.number, trainc::kF16));
  }
  return 0;
}

int bf16_agrees() {
  for (uint64_t b = 0; b <= 0xFFFFFFFFull; b += 4099) {
    const float x = trainc::float_from_bits(static_cast<uint32_t>(b));
    if (trainc::f32_to_bf16(x) != trainc::encode_half(x, trainc::kBF16)) {
      std::printf("f32 bits %08llx: fast %04x, generic %04x\n", static_cast<unsigned long long>(b), trainc::f32_to_bf16(x), trainc::encode_half(x, trainc::kBF16));
      return 1;
    }
  }
  for (const trainc::HalfFormat f : {trainc::kBF16, trainc::kF16}) {
    for (uint32_t code = 0; code < 65536; code++) {
      const float x = trainc::decode_half(static_cast<uint16_t>(code), f);
      if (x == x && trainc::encode_half(x, f) != code) {
        std::printf("code %04x of format %d/%d comes back as %04x\n", code, f.exponent_bits, f.mantissa_bits, trainc::encode_half(x, f));
        return 1;
      }
    }
  }
  std::printf("ok\n");
  return 0;
}

void print(const trainc::Error& e) { std::printf("%d\t%s\t%s\n", e.code(), e.what(), e.fix().c_str()); }

int messages() {
  const uint64_t gib = uint64_t{1} << 30;
  print(trainc::driver_error(0, 13000));
  print(trainc::driver_error(12040, 13000));
  print(trainc::no_device_error("no CUDA-capable device is detected"));
  for (const auto& [major, minor, arch, specific] : {std::tuple{8, 0, 90, false}, std::tuple{10, 0, 90, true}, std::tuple{9, 0, 90, true},
                                                    std::tuple{12, 0, 90, false}}) {
    const auto e = trainc::arch_error("device 0 (GPU)", major, minor, arch, specific);
    if (e) print(*e);
    else std::printf("fits sm_%d%s on %d.%d\n", arch, specific ? "a" : "", major, minor);
  }
  const auto short_memory = trainc::memory_error("device 0 (NVIDIA H200)", 70 * gib + gib / 4, 60 * gib, 140 * gib, {4, 4096});
  if (short_memory) print(*short_memory);
  std::printf("%s\n", trainc::memory_error("device 0 (NVIDIA H200)", 60 * gib, 60 * gib, 140 * gib, {4, 4096}) ? "short" : "fits");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return trainc::guarded_main([&] {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 1 && args[0] == "json") return json();
    if (args.size() == 1 && args[0] == "half") return half();
    if (args.size() == 1 && args[0] == "bf16-agrees") return bf16_agrees();
    if (args.size() == 1 && args[0] == "messages") return messages();
    if (args.size() == 4 && args[0] == "slots") {
      const trainc::ArenaSlot slot{"grad.lm_head.weight", std::stoull(args[2]), std::stoull(args[3])};
      trainc::check_slots("state", std::stoull(args[1]), &slot, 1);
      return 0;
    }
    std::fprintf(stderr, "usage: json | half | bf16-agrees | messages | slots <size> <offset> <bytes>\n");
    return 2;
  });
}
