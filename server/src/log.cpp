// logfmt lifecycle lines on stderr. See log.hpp.
#include "zerodrop/server/log.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zerodrop::server {
namespace {

int g_pid = 0;
std::uint32_t g_generation = 1;
int g_fd = STDERR_FILENO;     // where lines go (a private non-blocking descriptor for a pipe)
bool g_socket = false;        // stderr is a socket: send(MSG_DONTWAIT)
bool g_may_block = true;      // a file or terminal: no EAGAIN to expect, loop on short writes
std::uint64_t g_dropped = 0;  // lines not written since the last one that was

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
      return true;
  return false;
}

void append_value(fmt::memory_buffer& buf, std::string_view v) {
  if (!needs_quotes(v)) {
    buf.append(v);
    return;
  }
  buf.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') {
      buf.push_back('\\');
      buf.push_back(c);
    } else if (c == '\n') {
      buf.append(std::string_view("\\n"));
    } else if (static_cast<unsigned char>(c) < 0x20) {
      buf.push_back('?');
    } else {
      buf.push_back(c);
    }
  }
  buf.push_back('"');
}

}  // namespace

void log_set_nonblocking() {
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) < 0) return;
  if (S_ISSOCK(st.st_mode)) {
    g_socket = true;
    g_may_block = false;
  } else if (S_ISFIFO(st.st_mode)) {
    // O_NONBLOCK on fd 2 itself would change the open file description we share with the
    // reader's other writers (and the next generation): open the pipe anew, privately.
    int fd = ::open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      g_fd = fd;
      g_may_block = false;
    }
  }
}

void log_set_identity(int pid, std::uint32_t generation) {
  g_pid = pid;
  g_generation = generation;
}

LogLine::LogLine(std::string_view event) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  fmt::format_to(std::back_inserter(buf_),
                 "ts={:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z pid={} gen={} event=",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                 utc.tm_sec, ts.tv_nsec / 1000, g_pid != 0 ? g_pid : getpid(), g_generation);
  append_value(buf_, event);
}

LogLine& LogLine::kv(std::string_view key, std::string_view value) {
  buf_.push_back(' ');
  buf_.append(key);
  buf_.push_back('=');
  append_value(buf_, value);
  return *this;
}

LogLine& LogLine::kv(std::string_view key, std::int64_t value) {
  fmt::format_to(std::back_inserter(buf_), " {}={}", key, value);
  return *this;
}

LogLine& LogLine::kv(std::string_view key, std::uint64_t value) {
  fmt::format_to(std::back_inserter(buf_), " {}={}", key, value);
  return *this;
}

LogLine::~LogLine() {
  if (g_dropped > 0) fmt::format_to(std::back_inserter(buf_), " log_dropped={}", g_dropped);
  // One write for the whole line, at most PIPE_BUF: atomic on a pipe (whole or EAGAIN).
  if (buf_.size() > PIPE_BUF - 1) buf_.resize(PIPE_BUF - 1);
  buf_.push_back('\n');
  const char* p = buf_.data();
  std::size_t left = buf_.size();
  while (left > 0) {
    ssize_t n = g_socket ? ::send(STDERR_FILENO, p, left, MSG_DONTWAIT | MSG_NOSIGNAL)
                         : ::write(g_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || (!g_may_block && static_cast<std::size_t>(n) < left)) {
      // A reader that stopped reading must not stop the server: the line is dropped and
      // counted, and the next line that gets through says how many (log_dropped=N).
      ++g_dropped;
      return;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  g_dropped = 0;
}

std::string_view errno_name(int err) {
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
  return "EUNKNOWN";
}

void log_syscall_error(std::string_view syscall, int err, std::string_view context) {
  LogLine line("syscall_error");
  line.kv("syscall", syscall).kv("errno", errno_name(err)).kv("error", std::strerror(err));
  if (!context.empty()) line.kv("context", context);
}

}  // namespace zerodrop::server
