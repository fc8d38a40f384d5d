// Checkpoints as Hugging Face folders, written so that a crash never leaves a half-written checkpoint in place of a
// good one: config.json (the text the program was given, unchanged), model.safetensors (metadata format=pt, float
// tensors in the requested dtype) and the tokenizer files compiler/train/checkpoint.ts copies, all into
// `<dir>.tmp-<pid>` and synced; then the swap: `<dir>` is renamed to `<dir>.old-<pid>`, the new folder is renamed to
// `<dir>`, the old one is deleted.
// recover_checkpoint() (run first by every save) cleans what a crashed process left: a `.tmp-<pid>` folder of a
// process that is gone is deleted; a `.old-<pid>` of a gone process is renamed back to `<dir>` when `<dir>` is
// missing (a crash between the two renames), deleted otherwise.
// Invariants: at every instant `<dir>` is absent, the complete previous checkpoint, or the complete new one; a save
// that fails removes its temporary folder and leaves `<dir>` as it was.

#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <signal.h>

#include "error.h"
#include "file-io.h"
#include "safetensors-write.h"

namespace trainc {

/** Tokenizer files copied beside the weights when the tokenizer's folder has them (as compiler/train/checkpoint.ts). */
inline const char* const kTokenizerFiles[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"};

/** What one checkpoint holds. */
struct Checkpoint {
  std::string dir;
  /** config.json's text, written unchanged (its dtype key should already name `dtype`). */
  std::string config_json;
  std::vector<TensorToWrite> tensors;
  /** Stored dtype of the float tensors: F32, BF16, F16 or F64. */
  Stored dtype;
  /** Folder the tokenizer files are copied from; empty for none. */
  std::string tokenizer_dir;
};

namespace detail {

namespace fs = std::filesystem;

[[noreturn]] inline void checkpoint_failed(const std::string& dir, const std::string& step, const std::string& why) {
  fail(6501, "cannot save checkpoint '" + dir + "': " + step + ": " + why,
       "check that the output folder is writable and the disk has room; the previous checkpoint is untouched");
}

/** Writes `size` bytes to a new file and syncs it; returns 0 or an errno value. */
inline int write_synced(const std::string& path, const char* data, size_t size) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.ok()) return errno;
  if (const int error = write_at(fd.get(), data, size, 0)) return error;
  if (::fsync(fd.get()) != 0) return errno;
  return fd.reset();
}

/** Copies a whole file and syncs the copy; returns 0 or an errno value. */
inline int copy_synced(const std::string& from, const std::string& to) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.ok()) return errno;
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  return write_synced(to, bytes.data(), bytes.size());
}

/** The pid in `<base><marker><pid>`, or 0 when `name` is not of that form. */
inline long leftover_pid(const std::string& name, const std::string& base, const std::string& marker) {
  const std::string prefix = base + marker;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return 0;
  const std::string digits = name.substr(prefix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) return 0;
  return std::strtol(digits.c_str(), nullptr, 10);
}

inline bool process_alive(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

/** Writes the three parts of a checkpoint into the (new, empty) folder `tmp`. */
inline void write_parts(const Checkpoint& c, const std::string& tmp) {
  if (const int error = write_synced(tmp + "/config.json", c.config_json.data(), c.config_json.size())) {
    checkpoint_failed(c.dir, "writing config.json", io_error_text(error));
  }
  write_safetensors(tmp + "/model.safetensors", c.tensors, c.dtype, {{"format", "pt"}});
  for (const char* name : kTokenizerFiles) {
    const std::string from = c.tokenizer_dir + "/" + name;
    if (c.tokenizer_dir.empty() || !fs::exists(from)) continue;
    if (const int error = copy_synced(from, tmp + "/" + name)) checkpoint_failed(c.dir, std::string("copying ") + from, io_error_text(error));
  }
  if (const int error = sync_folder(tmp)) checkpoint_failed(c.dir, "syncing " + tmp, io_error_text(error));
}

/** Puts the complete folder `tmp` in place of `dir` (see the file comment); a leftover old folder is only a warning. */
inline void swap_in(const std::string& dir, const std::string& tmp) {
  std::error_code ec;
  const std::string old = dir + ".old-" + std::to_string(static_cast<long>(::getpid()));
  const bool had_old = fs::exists(dir);
  if (had_old && std::rename(dir.c_str(), old.c_str()) != 0) checkpoint_failed(dir, "moving the previous checkpoint aside", std::strerror(errno));
  if (std::rename(tmp.c_str(), dir.c_str()) != 0) {
    const int error = errno;
    if (had_old) std::rename(old.c_str(), dir.c_str());
    checkpoint_failed(dir, "renaming " + tmp + " into place", std::strerror(error));
  }
  if (had_old) fs::remove_all(old, ec);
  if (ec) {
    std::fprintf(stderr, "warning: checkpoint '%s' is saved, but its previous version %s could not be deleted (%s); delete it by hand\n",
                 dir.c_str(), old.c_str(), ec.message().c_str());
  }
}

}  // namespace detail

/** Cleans what a crashed save of `dir` left behind (see the file comment); errors are 6501. */
inline void recover_checkpoint(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path target(dir);
  const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string base = target.filename().string();
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) return;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(parent, ec)) entries.push_back(entry.path());
  if (ec) detail::checkpoint_failed(dir, "listing " + parent.string(), ec.message());
  for (const auto& path : entries) {
    const std::string name = path.filename().string();
    const long tmp_pid = detail::leftover_pid(name, base, ".tmp-");
    const long old_pid = detail::leftover_pid(name, base, ".old-");
    const long pid = tmp_pid != 0 ? tmp_pid : old_pid;
    if (pid == 0 || pid == static_cast<long>(::getpid()) || detail::process_alive(pid)) continue;
    if (old_pid != 0 && !fs::exists(target)) {
      if (std::rename(path.c_str(), dir.c_str()) != 0) detail::checkpoint_failed(dir, "restoring " + path.string(), std::strerror(errno));
      continue;
    }
    fs::remove_all(path, ec);
    if (ec) detail::checkpoint_failed(dir, "deleting the leftover " + path.string(), ec.message());
  }
}

/** Saves a checkpoint as a Hugging Face folder at `c.dir` (see the file comment); errors are 6501, 2112 or 2114. */
inline void save_checkpoint(const Checkpoint& c) {
  namespace fs = std::filesystem;
  recover_checkpoint(c.dir);
  const std::string tmp = temporary_name(c.dir);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  const fs::path parent = fs::path(c.dir).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec || !fs::create_directory(tmp, ec) || ec) {
    detail::checkpoint_failed(c.dir, "creating " + tmp, ec ? ec.message() : "it already exists");
  }
  try {
    detail::write_parts(c, tmp);
    detail::swap_in(c.dir, tmp);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  sync_folder(parent.empty() ? "." : parent.string());
}

/**
 * Saves the model files of `c` into the existing folder `c.dir` without replacing the folder (it also holds
 * metrics.jsonl and checkpoint-<step> folders): every file is written complete into `<dir>/.tmp-model-<pid>`, then
 * renamed into `<dir>` one by one, so each file is at every instant either the previous complete one or the new one.
 */
inline void save_model_files(const Checkpoint& c) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(c.dir, ec);
  const std::string tmp = c.dir + "/.tmp-model-" + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec) || ec) detail::checkpoint_failed(c.dir, "creating " + tmp, ec ? ec.message() : "it already exists");
  try {
    detail::write_parts(c, tmp);
    for (const auto& entry : fs::directory_iterator(tmp)) {
      const std::string to = c.dir + "/" + entry.path().filename().string();
      if (std::rename(entry.path().c_str(), to.c_str()) != 0) detail::checkpoint_failed(c.dir, "renaming into " + to, std::strerror(errno));
    }
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  fs::remove_all(tmp, ec);
  sync_folder(c.dir);
}

}  // namespace trainc
