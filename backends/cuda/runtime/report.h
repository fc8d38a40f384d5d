// What a training run tells the user, exactly as the cpu target does (compiler/train/report.ts): a progress line
//   step 12/300 | loss 2.3456 | lr 1.80e-3 | grad 1.234 | 5,432 tok/s | epoch 0 | 0:12 elapsed | ETA 4:48
// on stderr, redrawn in place on a terminal and kept on the first step, every logging_steps and the last step (only
// those lines are printed when stderr is not a terminal); and metrics.jsonl, one JSON object per optimizer step
// (step, epoch, loss, lr, grad_norm, target_tokens, tokens, tokens_per_s, elapsed_s), flushed per step so a stopped
// run keeps what it measured.
// Invariant: given the same step results and elapsed times, every byte printed or written equals the cpu target's.

#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>

#include <unistd.h>

#include "error.h"
#include "js-format.h"

namespace trainc {

/** What one optimizer step measured (compiler/train/loop.ts's StepResult). */
struct StepResult {
  /** 1-based number of the optimizer step just taken. */
  int64_t step;
  int64_t epoch;
  /** Mean loss over the step's target tokens. */
  double loss;
  double lr;
  double grad_norm;
  /** Target tokens (labels that count) and real input tokens in the step. */
  int64_t target_tokens;
  int64_t input_tokens;
};

/** What one evaluation measured (compiler/train/loop.ts's EvalResult). */
struct EvalResult {
  /** The optimizer steps taken before it. */
  int64_t step;
  /** Mean loss over the held-out target tokens. */
  double loss;
  int64_t target_tokens;
};

/** Seconds as m:ss or h:mm:ss (report.ts's clock). */
inline std::string clock_text(double seconds) {
  const int64_t s = static_cast<int64_t>(std::max(0.0, js::math_round(seconds)));
  const auto two = [](int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  const int64_t h = s / 3600;
  const int64_t m = (s % 3600) / 60;
  return h > 0 ? std::to_string(h) + ":" + two(m) + ":" + two(s % 60) : std::to_string(m) + ":" + two(s % 60);
}

/** One progress line for a step (report.ts's progressLine). */
inline std::string progress_line(const StepResult& r, int64_t total, double elapsed, double tokens_per_second) {
  const double eta = (elapsed / static_cast<double>(r.step)) * static_cast<double>(total - r.step);
  return "step " + std::to_string(r.step) + "/" + std::to_string(total) + " | loss " + js::to_fixed(r.loss, 4) + " | lr " +
         (r.lr == 0 ? std::string("0") : js::to_exponential(r.lr, 2)) + " | grad " + js::to_fixed(r.grad_norm, 3) + " | " +
         js::locale_integer(js::math_round(tokens_per_second)) + " tok/s | epoch " + std::to_string(r.epoch) + " | " +
         clock_text(elapsed) + " elapsed | ETA " + clock_text(eta);
}

/** One metrics.jsonl object, without the newline (report.ts's JSON.stringify of the step). */
inline std::string metrics_line(const StepResult& r, double tokens_per_second, double elapsed) {
  return "{\"step\":" + std::to_string(r.step) + ",\"epoch\":" + std::to_string(r.epoch) + ",\"loss\":" + js::json_number(r.loss) +
         ",\"lr\":" + js::json_number(r.lr) + ",\"grad_norm\":" + js::json_number(r.grad_norm) +
         ",\"target_tokens\":" + std::to_string(r.target_tokens) + ",\"tokens\":" + std::to_string(r.input_tokens) +
         ",\"tokens_per_s\":" + js::json_number(tokens_per_second) + ",\"elapsed_s\":" + js::json_number(elapsed) + "}";
}

/** The line an evaluation prints (report.ts's evalLine). */
inline std::string eval_line(const EvalResult& r, int64_t total) {
  return "eval at step " + std::to_string(r.step) + "/" + std::to_string(total) + " | eval loss " + js::to_fixed(r.loss, 4) + " | " +
         js::locale_integer(static_cast<double>(r.target_tokens)) + " target tokens";
}

/** One metrics.jsonl object of an evaluation, without the newline. */
inline std::string eval_metrics_line(const EvalResult& r) {
  return "{\"step\":" + std::to_string(r.step) + ",\"eval_loss\":" + js::json_number(r.loss) +
         ",\"eval_target_tokens\":" + std::to_string(r.target_tokens) + "}";
}

/** Whether `stream` is a terminal (the progress line is then redrawn in place). */
inline bool is_terminal(FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

/** Prints progress and appends metrics.jsonl for each optimizer step. */
class Reporter {
 public:
  /** Seconds since the run started. */
  using Clock = std::function<double()>;

  /**
   * Creates (truncates) `metrics_file` and its folder; `live` redraws the line in place (pass is_terminal(stream));
   * `clock` defaults to a steady clock started now. Error 6520 when the file cannot be written.
   */
  Reporter(int64_t total, int64_t logging_steps, std::string metrics_file, FILE* stream, bool live, Clock clock = {})
      : total_(total), logging_steps_(logging_steps), metrics_file_(std::move(metrics_file)), stream_(stream), live_(live),
        clock_(clock ? std::move(clock) : steady_clock()) {
    std::error_code ec;
    const auto folder = std::filesystem::path(metrics_file_).parent_path();
    if (!folder.empty()) std::filesystem::create_directories(folder, ec);
    metrics_ = std::fopen(metrics_file_.c_str(), "w");
    if (metrics_ == nullptr) metrics_failed(errno);
  }
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;
  ~Reporter() {
    if (metrics_ != nullptr) std::fclose(metrics_);
  }

  /** Reports one optimizer step. */
  void step(const StepResult& r) {
    const double elapsed = clock_();
    tokens_ += static_cast<double>(r.input_tokens);
    const double rate = tokens_ / std::max(elapsed, 1e-9);
    const std::string record = metrics_line(r, rate, elapsed) + "\n";
    if (std::fputs(record.c_str(), metrics_) < 0 || std::fflush(metrics_) != 0) metrics_failed(errno);
    const std::string line = progress_line(r, total_, elapsed, rate);
    const bool keep = r.step % logging_steps_ == 0 || r.step == 1 || r.step == total_;
    if (live_) {
      std::fprintf(stream_, "\r\x1b[2K%s%s", line.c_str(), keep ? "\n" : "");
      pending_ = !keep;
    } else if (keep) {
      std::fprintf(stream_, "%s\n", line.c_str());
    }
    std::fflush(stream_);
  }

  /** Reports one evaluation: a line of its own (ending a redrawn line first) and a metrics object. */
  void eval(const EvalResult& r) {
    const std::string record = eval_metrics_line(r) + "\n";
    if (std::fputs(record.c_str(), metrics_) < 0 || std::fflush(metrics_) != 0) metrics_failed(errno);
    std::fprintf(stream_, "%s%s\n", pending_ ? "\n" : "", eval_line(r, total_).c_str());
    pending_ = false;
    std::fflush(stream_);
  }

  /** Ends a redrawn line that was not kept. */
  void done() {
    if (pending_) std::fputs("\n", stream_);
    pending_ = false;
    std::fflush(stream_);
  }

 private:
  int64_t total_;
  int64_t logging_steps_;
  std::string metrics_file_;
  FILE* stream_;
  bool live_;
  Clock clock_;
  FILE* metrics_ = nullptr;
  double tokens_ = 0;
  bool pending_ = false;

  static Clock steady_clock() {
    const auto start = std::chrono::steady_clock::now();
    return [start] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  }

  [[noreturn]] void metrics_failed(int error) const {
    fail(6520, "cannot write '" + metrics_file_ + "': " + std::strerror(error), "check that output_dir is writable and the disk has room");
  }
};

}  // namespace trainc
