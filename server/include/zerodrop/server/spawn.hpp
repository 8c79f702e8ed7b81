// spawn: start the next generation's process in a time that does not grow with the number of
// descriptors we hold (open connections).
//
// Contract: construct the Spawner before any connection exists: it reserves three descriptor
// numbers (slots, pointing at /dev/null) that are therefore low. spawn() points the slots at
// the listener, the ready channel and the exec-error pipe, then clone()s with CLONE_VM |
// CLONE_VFORK | CLONE_FILES: the child shares our memory (like vfork, we are suspended until
// it execs or exits) and our descriptor table — nothing is copied yet. Its first act is
// close_range(first unreserved fd, ~0, CLOSE_RANGE_UNSHARE), which gives it a private table
// holding only the descriptors below that number; so neither the copy nor execve's
// close-on-exec sweep sees our connections. Then it moves the listener to fd 3 and the ready
// channel to fd 4 (the only two that cross the exec), writes its pid into LISTEN_PID,
// restores the signal mask and SIGPIPE, and execs `path`. An exec failure writes errno to the
// error pipe and exits 127. When spawn() returns, the slots point at /dev/null again: we hold
// no extra reference to anything we handed over. Without the reservation (or on a kernel
// without close_range, < 5.9) the child copies the whole table, as vfork does: slower, same
// behaviour.
//
// An exec helper process forked at start-up would reach the same cost; this keeps the child a
// child of the generation (its SIGCHLD, its waitpid) and adds no process to supervise.
#pragma once

#include <sys/types.h>

#include "zerodrop/server/signals.hpp"

namespace zerodrop::server {

class Spawner {
 public:
  struct Request {
    const char* path;
    char* const* argv;
    char* const* envp;
    int listen_fd;           // becomes fd 3
    int ready_fd;            // becomes fd 4
    int error_fd;            // the child writes errno here if it cannot exec
    char* listen_pid_value;  // room for 11 digits + NUL: the child writes its pid here
    const SignalFd* signals;
  };

  Spawner();
  ~Spawner();
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;

  // The child's pid, or -1 with `err` set (clone failed). The child has exec'd or exited by
  // the time this returns.
  pid_t spawn(const Request& request, int& err);
  // False if the reservation failed: spawn() then copies the whole descriptor table.
  bool flat() const { return slots_[0] >= 0; }

 private:
  static constexpr int kSlots = 3;
  int placeholder_ = -1;  // /dev/null
  int slots_[kSlots] = {-1, -1, -1};
  void* stack_ = nullptr;  // the child's stack (it shares our memory)
};

}  // namespace zerodrop::server
