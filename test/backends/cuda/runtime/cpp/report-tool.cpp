// Test driver of the C++ progress line and metrics (backends/cuda/runtime/report.h, js-format.h), run by
// report.test.ts:
//   format   reads {"numbers": [...], "steps": [...]} on stdin (numbers may be "NaN", "Infinity", "-Infinity", "-0")
//            and prints, per number, its toFixed(4), toFixed(3), toExponential(2), String, JSON.stringify,
//            Math.round(x).toLocaleString and clock text (tab-separated), then per step its progress line and its
//            metrics.jsonl object
//   run <metrics.jsonl> <total> <logging_steps> <live|lines>
//            reports `total` made-up steps (step i: loss 4/i, lr 1e-3*i/total, grad 1/i, epoch (i-1)/4, 100+i target
//            and 120+i input tokens) at 0.75 s apart to stdout, and after every third step and the last an
//            evaluation (loss 2/i, 50+i target tokens)
// Errors print as the runtime prints them (error[E...]) with exit status 1.

#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "json.h"
#include "report.h"

namespace {

double number_of(const trainc::json::Value& v) {
  if (v.kind == trainc::json::Value::Kind::Number) return v.number;
  if (v.text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (v.text == "-0") return -0.0;
  return v.text == "Infinity" ? HUGE_VAL : -HUGE_VAL;
}

int format() {
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  const trainc::json::Value doc = trainc::json::parse(input);
  namespace js = trainc::js;
  for (const auto& item : doc.find("numbers")->items) {
    const double x = number_of(item);
    std::printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", js::to_fixed(x, 4).c_str(), js::to_fixed(x, 3).c_str(), js::to_exponential(x, 2).c_str(),
                js::to_string(x).c_str(), js::json_number(x).c_str(), js::locale_integer(js::math_round(x)).c_str(),
                std::fabs(x) < 1e9 ? trainc::clock_text(x).c_str() : "-");
  }
  for (const auto& s : doc.find("steps")->items) {
    const auto field = [&](const char* key) { return number_of(*s.find(key)); };
    const trainc::StepResult r{static_cast<int64_t>(field("step")), static_cast<int64_t>(field("epoch")), field("loss"), field("lr"),
                               field("grad_norm"), static_cast<int64_t>(field("target_tokens")), static_cast<int64_t>(field("input_tokens"))};
    std::printf("%s\n%s\n", trainc::progress_line(r, static_cast<int64_t>(field("total")), field("elapsed"), field("rate")).c_str(),
                trainc::metrics_line(r, field("rate"), field("elapsed")).c_str());
  }
  return 0;
}

int report(const std::string& metrics, int64_t total, int64_t logging_steps, bool live) {
  int calls = 0;
  trainc::Reporter reporter(total, logging_steps, metrics, stdout, live, [&calls] { return 0.75 * ++calls; });
  for (int64_t i = 1; i <= total; i++) {
    const double step = static_cast<double>(i);
    reporter.step({i, (i - 1) / 4, 4 / step, 1e-3 * step / static_cast<double>(total), 1 / step, 100 + i, 120 + i});
    if (i % 3 == 0 || i == total) reporter.eval({i, 2 / step, 50 + i});
  }
  reporter.done();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return trainc::guarded_main([&] {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 1 && args[0] == "format") return format();
    if (args.size() == 5 && args[0] == "run") return report(args[1], std::stoll(args[2]), std::stoll(args[3]), args[4] == "live");
    std::fprintf(stderr, "usage: format < cases.json | run <metrics.jsonl> <total> <logging_steps> <live|lines>\n");
    return 2;
  });
}
