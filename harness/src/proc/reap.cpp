// See zerodrop/proc/reap.hpp.
#include "zerodrop/proc/reap.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "zerodrop/proc/procfs.hpp"

namespace zerodrop::proc {

void become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    std::fprintf(stderr, "zerodrop: prctl(PR_SET_CHILD_SUBREAPER): %s\n", std::strerror(errno));
}

std::optional<Reaped> reap_one() {
  int st = 0;
  pid_t p;
  while ((p = ::waitpid(-1, &st, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (p < 0 && errno != ECHILD)
    std::fprintf(stderr, "zerodrop: waitpid: %s\n", std::strerror(errno));
  if (p <= 0) return std::nullopt;
  return Reaped{p, st};
}

int exit_code(int st) {
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : 0;
}

std::string describe_status(int st) {
  return WIFSIGNALED(st) ? std::string("signal ") + strsignal(WTERMSIG(st))
                         : "code " + std::to_string(exit_code(st));
}

int pidfd_open(pid_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0 && errno != ESRCH)
    std::fprintf(stderr, "zerodrop: pidfd_open(%d): %s\n", static_cast<int>(pid),
                 std::strerror(errno));
  return fd;
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int r;
  while ((r = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (r < 0) std::fprintf(stderr, "zerodrop: poll: %s\n", std::strerror(errno));
  return r > 0;
}

std::optional<int> wait_exit(pid_t pid, int timeout_ms) {
  const int pidfd = pidfd_open(pid);
  if (pidfd < 0) return -1;  // already reaped, or never existed
  const bool exited = wait_readable(pidfd, timeout_ms);
  ::close(pidfd);
  if (!exited) return std::nullopt;
  // Ours (directly, or re-parented to us as subreaper): reap it. The re-parenting of an orphan
  // may lag its exit by a moment, and no event marks its end: a short bounded retry.
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) return status;
    if (w < 0 && errno == ECHILD && !process_exists(pid)) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

bool end_group(pid_t pgid, int grace_ms, int kill_ms, bool reap) {
  if (pgid <= 0) return true;
  using Clock = std::chrono::steady_clock;
  // A group has no descriptor to await: its emptiness is polled, only while ending it (no
  // result depends on this timing).
  auto await_empty = [&](int ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      if (reap)
        while (::waitpid(-pgid, nullptr, WNOHANG) > 0) {
        }
      if (::kill(-pgid, 0) < 0 && errno == ESRCH) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  if (::kill(-pgid, SIGTERM) < 0) {
    if (errno == ESRCH) return true;
    std::fprintf(stderr, "zerodrop: kill(-%d, SIGTERM): %s\n", pgid, std::strerror(errno));
  }
  if (await_empty(grace_ms)) return true;
  if (::kill(-pgid, SIGKILL) < 0 && errno != ESRCH)
    std::fprintf(stderr, "zerodrop: kill(-%d, SIGKILL): %s\n", pgid, std::strerror(errno));
  return await_empty(kill_ms);
}

}  // namespace zerodrop::proc
