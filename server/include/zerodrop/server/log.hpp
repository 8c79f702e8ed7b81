// log: one logfmt line per lifecycle event on stderr.
//
// Contract: every line starts `ts=<UTC ISO-8601 µs>Z pid=<pid> gen=<generation> event=<name>`
// followed by the key=value pairs added with kv(); values with spaces, quotes or '=' are
// quoted. A line is written with one write(2) when the LogLine is destroyed, so lines from
// two generations sharing stderr never interleave (a line is cut to PIPE_BUF for that).
// Logging never throws and, after log_set_nonblocking(), never blocks on a pipe or socket
// whose reader stopped reading: a line that does not fit is dropped, and the next line written
// carries ` log_dropped=N` (lines lost since the last one that was written). Files and
// terminals are written as before.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace zerodrop::server {

// If stderr is a pipe or socket, write lines without blocking from now on (a pipe gets a
// private O_NONBLOCK descriptor: fd 2's flags are shared with other processes).
void log_set_nonblocking();

// Sets the pid/generation every line carries (call again after fork in the child).
void log_set_identity(int pid, std::uint32_t generation);

class LogLine {
 public:
  explicit LogLine(std::string_view event);
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  ~LogLine();

  LogLine& kv(std::string_view key, std::string_view value);
  LogLine& kv(std::string_view key, const char* value) { return kv(key, std::string_view(value)); }
  LogLine& kv(std::string_view key, std::int64_t value);
  LogLine& kv(std::string_view key, std::uint64_t value);
  LogLine& kv(std::string_view key, int value) { return kv(key, static_cast<std::int64_t>(value)); }
  LogLine& kv(std::string_view key, unsigned value) {
    return kv(key, static_cast<std::uint64_t>(value));
  }
  LogLine& kv(std::string_view key, long long value) {
    return kv(key, static_cast<std::int64_t>(value));
  }
  LogLine& kv(std::string_view key, unsigned long long value) {
    return kv(key, static_cast<std::uint64_t>(value));
  }

 private:
  fmt::memory_buffer buf_;
};

// `event=syscall_error syscall=<name> errno=<ENAME> error="<strerror>"` plus an optional context.
void log_syscall_error(std::string_view syscall, int err, std::string_view context = {});

// The symbolic name of an errno value ("EAGAIN"), or its number as text.
std::string_view errno_name(int err);

}  // namespace zerodrop::server
