// POSIX file helpers of the runtime: an owning file descriptor, positioned reads and writes that loop until done,
// fsync of files and folders, and the process-unique temporary names that writes go through before a rename.
// Callers turn a failure (an errno value, or a short read) into a trainc::Error with their own code and message.
// Invariant: nothing here throws; every descriptor opened through Fd is closed exactly once.

#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace trainc {

/** An owned file descriptor (-1 when none), closed on destruction. */
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /** Closes now; returns 0 or the errno of close (which can report a failed delayed write). */
  int reset() {
    if (fd_ < 0) return 0;
    const int result = ::close(fd_);
    fd_ = -1;
    return result == 0 ? 0 : errno;
  }

 private:
  int fd_ = -1;
};

/** Result of a positioned read: 0 done, kShortRead at end of file, otherwise an errno value. */
constexpr int kShortRead = -1;

/** Reads exactly `n` bytes at `offset`. */
inline int read_at(int fd, void* out, size_t n, uint64_t offset) {
  auto* p = static_cast<char*>(out);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno;
    if (got == 0) return kShortRead;
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return 0;
}

/** Writes all `n` bytes at `offset`; returns 0 or an errno value. */
inline int write_at(int fd, const void* data, size_t n, uint64_t offset) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t put = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return errno;
    p += put;
    n -= static_cast<size_t>(put);
    offset += static_cast<uint64_t>(put);
  }
  return 0;
}

/** Text of an errno value or of kShortRead. */
inline std::string io_error_text(int error) {
  return error == kShortRead ? std::string("unexpected end of file") : std::string(std::strerror(error));
}

/** Flushes a folder's entries (after creating or renaming files in it) to disk; returns 0 or an errno value. */
inline int sync_folder(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) return errno;
  return ::fsync(fd.get()) == 0 ? 0 : errno;
}

/** `<path>.tmp-<pid>`: where a file or folder is written before it is renamed into place. */
inline std::string temporary_name(const std::string& path) {
  return path + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
}

}  // namespace trainc
