// signals: signals arrive as data on a signalfd, never as asynchronous handlers.
//
// Contract: SignalFd blocks the given signals for the (single-threaded) process, remembering
// the previous mask, and opens a non-blocking, close-on-exec signalfd for them; read_one()
// returns the next pending signal number or 0. SIGPIPE is ignored process-wide (writes use
// MSG_NOSIGNAL anyway; stdout may be a closed pipe). If SIGCHLD is in the set, its
// disposition is reset to the default (an inherited SIG_IGN would auto-reap our children).
// restore_for_exec() is async-signal-safe and undoes both in a forked child before exec, because a
// blocked mask and ignored dispositions survive execve and would otherwise silently deafen the next
// generation.
#pragma once

#include <signal.h>

#include <initializer_list>

namespace zerodrop::server {

class SignalFd {
 public:
  explicit SignalFd(std::initializer_list<int> signals);  // throws std::system_error
  ~SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  int fd() const { return fd_; }
  int read_one();
  // In a forked child, before execve: previous mask and SIGPIPE disposition back.
  void restore_for_exec() const;

 private:
  int fd_ = -1;
  sigset_t old_mask_{};
  struct sigaction old_pipe_ {};
};

}  // namespace zerodrop::server
