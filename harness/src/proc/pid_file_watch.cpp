// See zerodrop/proc/pid_file_watch.hpp.
#include "zerodrop/proc/pid_file_watch.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace zerodrop::proc {

std::optional<pid_t> parse_pid_text(const std::string& text) {
  std::size_t i = 0, n = text.size();
  while (i < n && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  long long v = 0;
  std::size_t digits = 0;
  for (; i < n && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    v = v * 10 + (text[i] - '0');
    if (v > 0x7fffffff) return std::nullopt;
  }
  while (i < n && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  if (digits == 0 || i != n || v <= 0) return std::nullopt;
  return static_cast<pid_t>(v);
}

PidFileWatch::PidFileWatch(std::string path) : path_(std::move(path)) {
  const auto slash = path_.rfind('/');
  dir_ = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
  name_ = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  // The directory, not the file: the file may not exist yet, and a rename into place (the
  // atomic way to write a pid file) replaces the inode a watch on the file would follow.
  if (::inotify_add_watch(fd_, dir_.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
    const int e = errno;
    ::close(fd_);
    throw std::system_error(e, std::generic_category(), "inotify_add_watch(" + dir_ + ")");
  }
}

PidFileWatch::~PidFileWatch() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<pid_t> PidFileWatch::changed() {
  bool touched = false, only_created = true;
  alignas(inotify_event) char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN)
        std::fprintf(stderr, "zerodrop: read (inotify %s): %s\n", dir_.c_str(),
                     std::strerror(errno));
      break;
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if ((ev->mask & IN_Q_OVERFLOW) != 0) {  // events were lost: the file may have changed
        touched = true;
        only_created = false;
        continue;
      }
      if (ev->len == 0 || name_ != ev->name) continue;
      touched = true;
      if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0) only_created = false;
    }
  }
  if (!touched) return std::nullopt;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT)
      std::fprintf(stderr, "zerodrop: open(%s): %s\n", path_.c_str(), std::strerror(errno));
    return std::nullopt;
  }
  char text[64];
  ssize_t got;
  while ((got = ::read(fd, text, sizeof text - 1)) < 0 && errno == EINTR) {
  }
  if (got < 0)
    std::fprintf(stderr, "zerodrop: read(%s): %s\n", path_.c_str(), std::strerror(errno));
  ::close(fd);
  if (got <= 0) return std::nullopt;
  const std::string content(text, static_cast<std::size_t>(got));
  // Only created, not yet closed: the writer may be between its open and its write (or in the
  // middle of it); its IN_CLOSE_WRITE comes next. A complete line is a complete pid already.
  if (only_created && content.back() != '\n') return std::nullopt;
  const auto pid = parse_pid_text(content);
  if (!pid || *pid == last_) return std::nullopt;
  last_ = *pid;
  return pid;
}

}  // namespace zerodrop::proc
