// signalfd set-up. See signals.hpp.
#include "zerodrop/server/signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "zerodrop/server/log.hpp"

namespace zerodrop::server {

SignalFd::SignalFd(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals)
    sigaddset(&set, s);
  if (sigprocmask(SIG_BLOCK, &set, &old_mask_) < 0) {
    int err = errno;
    log_syscall_error("sigprocmask", err);
    throw std::system_error(err, std::generic_category(), "sigprocmask");
  }
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  if (sigaction(SIGPIPE, &ign, &old_pipe_) < 0) log_syscall_error("sigaction", errno, "SIGPIPE");
  if (sigismember(&set, SIGCHLD) == 1) {
    // An ignored SIGCHLD survives execve (a careless launcher, `trap '' CHLD`) and makes the
    // kernel reap our children itself: waitpid would never report a failed successor, and
    // the attempt would wait for that report forever. We want the default: zombies we reap.
    struct sigaction dfl {
    }, old{};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (sigaction(SIGCHLD, &dfl, &old) < 0)
      log_syscall_error("sigaction", errno, "SIGCHLD");
    else if (old.sa_handler == SIG_IGN || (old.sa_flags & SA_NOCLDWAIT) != 0)
      LogLine("signal_disposition_reset").kv("signal", "SIGCHLD").kv("was", "ignored");
  }
  fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    log_syscall_error("signalfd", err);
    throw std::system_error(err, std::generic_category(), "signalfd");
  }
}

SignalFd::~SignalFd() {
  if (fd_ >= 0) ::close(fd_);
}

int SignalFd::read_one() {
  signalfd_siginfo info{};
  for (;;) {
    ssize_t n = ::read(fd_, &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info)) return static_cast<int>(info.ssi_signo);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) log_syscall_error("read", errno, "signalfd");
    return 0;
  }
}

void SignalFd::restore_for_exec() const {
  sigaction(SIGPIPE, &old_pipe_, nullptr);
  sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace zerodrop::server
