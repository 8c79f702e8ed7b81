// proc/pid_file_watch — a server's pid file, followed as it is written (nginx, gunicorn,
// tableflip and the reference server each announce a new main process by writing it).
//
// Contract: PidFileWatch watches the directory of `path` with inotify (IN_CLOSE_WRITE |
// IN_MOVED_TO | IN_CREATE: written in place, renamed into place, or created), non-blocking and
// close-on-exec; fd() goes into the caller's epoll. Only events after construction count: a file
// left over from an earlier run is never taken for an announcement. changed() drains the events
// and, when one concerned the file, reads it: it returns the pid it names when that pid differs
// from the last one returned (a rewrite naming the same pid is no news), else nothing. A file
// that is empty, not a decimal pid (surrounding white space allowed), or that was only just
// created without its line's end (a writer between open and write: its IN_CLOSE_WRITE follows)
// is not read as a pid. Whether that pid is alive is the caller's question. The constructor
// throws std::system_error naming the syscall (a directory that does not exist: inotify_add_watch).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace zerodrop::proc {

class PidFileWatch {
 public:
  explicit PidFileWatch(std::string path);
  ~PidFileWatch();
  PidFileWatch(const PidFileWatch&) = delete;
  PidFileWatch& operator=(const PidFileWatch&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  std::optional<pid_t> changed();

 private:
  std::string path_, dir_, name_;
  int fd_ = -1;
  pid_t last_ = 0;
};

// The pid a pid file's text names: decimal digits with white space around; nothing otherwise.
std::optional<pid_t> parse_pid_text(const std::string& text);

}  // namespace zerodrop::proc
