// See zerodrop/proc/line_pipe.hpp.
#include "zerodrop/proc/line_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace zerodrop::proc {

LinePipe::LinePipe(int fd, int tee_fd, std::string name)
    : fd_(fd), tee_fd_(tee_fd), name_(std::move(name)) {
  const int fl = ::fcntl(fd_, F_GETFL);
  if (fl < 0 || ::fcntl(fd_, F_SETFL, fl | O_NONBLOCK) < 0)
    std::fprintf(stderr, "zerodrop: fcntl(O_NONBLOCK, %s): %s\n", name_.c_str(),
                 std::strerror(errno));
}

LinePipe::~LinePipe() {
  if (fd_ >= 0) ::close(fd_);
  if (tee_fd_ >= 0) ::close(tee_fd_);
}

void LinePipe::grow(int bytes) {
  if (fd_ >= 0 && ::fcntl(fd_, F_SETPIPE_SZ, bytes) < 0)
    std::fprintf(stderr, "zerodrop: fcntl(F_SETPIPE_SZ %d, %s): %s\n", bytes, name_.c_str(),
                 std::strerror(errno));
}

std::vector<std::string> LinePipe::read() {
  std::vector<std::string> lines;
  if (fd_ < 0) return lines;
  char chunk[4096];
  bool eof = false;
  // At most 64 reads a call: a server that writes without pause must not keep the harness here
  // (the epoll is level-triggered: what is left wakes the next wait at once).
  for (int reads = 0; reads < 64; ++reads) {
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN)
        std::fprintf(stderr, "zerodrop: read(%s): %s\n", name_.c_str(), std::strerror(errno));
      break;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (tee_fd_ >= 0 && !tee_failed_) {
      for (ssize_t off = 0; off < n;) {
        const ssize_t w = ::write(tee_fd_, chunk + off, static_cast<std::size_t>(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          std::fprintf(stderr, "zerodrop: write(%s copy): %s\n", name_.c_str(),
                       std::strerror(errno));
          tee_failed_ = true;
          break;
        }
        off += w;
      }
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
  std::size_t start = 0, nl;
  while ((nl = buf_.find('\n', start)) != std::string::npos) {
    lines.push_back(buf_.substr(start, nl - start));
    start = nl + 1;
  }
  buf_.erase(0, start);
  if (eof) {
    if (!buf_.empty()) lines.push_back(std::move(buf_));
    buf_.clear();
    ::close(fd_);  // also leaves any epoll set it was in
    fd_ = -1;
  }
  return lines;
}

}  // namespace zerodrop::proc
