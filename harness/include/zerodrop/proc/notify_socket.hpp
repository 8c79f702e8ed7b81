// proc/notify_socket — the NOTIFY_SOCKET of systemd's sd_notify protocol, as a supervisor reads it.
//
// Contract: NotifySocket binds a unix datagram socket at `path` (give it to the server as
// NOTIFY_SOCKET=path), non-blocking and close-on-exec, with SO_PASSCRED (each datagram carries
// the sender's pid from the kernel, as systemd's NotifyAccess=all sees it) and SO_TIMESTAMPNS
// (the kernel stamps each datagram on arrival: READY=1 is timed when the server sent it, not when
// a busy reader got round to it). receive() returns one datagram or nothing (never blocks);
// wait_readable() blocks up to a timeout. The socket file is unlinked on destruction. Every
// failing syscall throws std::system_error naming it (constructor) or is logged with its name.
// NotifyLog (notify_log.hpp) is the threaded collector built on it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerodrop::proc {

struct NotifyDatagram {
  pid_t sender = 0;             // SCM_CREDENTIALS; 0 if absent
  std::int64_t arrived_ns = 0;  // CLOCK_REALTIME, stamped by the kernel on arrival
  std::string text;             // e.g. "READY=1\nMAINPID=42"
  // The datagram's lines ("READY=1", "MAINPID=42", ...).
  std::vector<std::string_view> lines() const;
};

class NotifySocket {
 public:
  explicit NotifySocket(std::string path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  std::optional<NotifyDatagram> receive();
  bool wait_readable(int timeout_ms) const;

 private:
  std::string path_;
  int fd_ = -1;
};

// CLOCK_REALTIME in ns: the clock of SO_TIMESTAMPNS.
std::int64_t realtime_ns();

}  // namespace zerodrop::proc
