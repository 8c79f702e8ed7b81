// clone + exec of the next generation with a small descriptor table. See spawn.hpp.
//
// Everything the child runs is async-signal-safe and touches only memory prepared by the
// parent; it never returns (execve or _exit). Until its close_range() the child shares our
// descriptor table, so nothing before that call may open, close or dup a descriptor.
#include "zerodrop/server/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "zerodrop/server/log.hpp"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

namespace zerodrop::server {
namespace {

constexpr std::size_t kStackBytes = 64 * 1024;
constexpr int kChildListenFd = 3;
constexpr int kChildReadyFd = 4;

struct ChildArgs {
  const Spawner::Request* request;
  int listen_fd, ready_fd, error_fd;  // slot numbers, or the original fds
  unsigned keep_below;                // 0: no reservation, copy the whole table
};

[[noreturn]] void child_fail(int err_fd, int err) {
  ssize_t ignored = ::write(err_fd, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

void format_pid(char* out, pid_t pid) {  // out has room for 11 digits + NUL
  char tmp[16];
  int n = 0;
  auto v = static_cast<unsigned>(pid);
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = 0; i < n; ++i)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
}

int child_main(void* p) {
  const auto& a = *static_cast<const ChildArgs*>(p);
  const Spawner::Request& rq = *a.request;
  // Leave the shared table first: a private copy of only the descriptors below keep_below
  // (the kernel copies nothing above a range closed with CLOSE_RANGE_UNSHARE). Fallback: a
  // private copy of everything (what vfork does), then the close-on-exec sweep at execve.
  if (a.keep_below == 0 || ::close_range(a.keep_below, ~0U, CLOSE_RANGE_UNSHARE) < 0) {
    if (::unshare(CLONE_FILES) < 0) child_fail(a.error_fd, errno);  // a write changes no table
  }
  // Private table from here. Move our three fds above the 3/4 targets first, so no dup2
  // clobbers another.
  int err_fd = ::fcntl(a.error_fd, F_DUPFD_CLOEXEC, 10);
  if (err_fd < 0) _exit(126);
  int l = ::fcntl(a.listen_fd, F_DUPFD_CLOEXEC, 10);
  if (l < 0) child_fail(err_fd, errno);
  int r = ::fcntl(a.ready_fd, F_DUPFD_CLOEXEC, 10);
  if (r < 0) child_fail(err_fd, errno);
  // dup2 clears FD_CLOEXEC on the target: exactly these two fds cross the exec.
  if (::dup2(l, kChildListenFd) < 0) child_fail(err_fd, errno);
  if (::dup2(r, kChildReadyFd) < 0) child_fail(err_fd, errno);
  format_pid(rq.listen_pid_value, ::getpid());
  rq.signals->restore_for_exec();
  ::execve(rq.path, rq.argv, rq.envp);
  child_fail(err_fd, errno);
}

}  // namespace

Spawner::Spawner() {
  // The child's stack: it shares our memory, so it cannot use ours (we are suspended inside
  // clone(), but our frame is live).
  stack_ = ::mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack_ == MAP_FAILED) {
    log_syscall_error("mmap", errno, "spawn stack");
    stack_ = nullptr;
  }
  placeholder_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (placeholder_ < 0) {
    log_syscall_error("open", errno, "/dev/null (spawn slots)");
    return;
  }
  for (int& s : slots_) {
    s = ::fcntl(placeholder_, F_DUPFD_CLOEXEC, 0);
    if (s < 0) {
      log_syscall_error("fcntl", errno, "spawn slot");
      for (int& t : slots_)
        if (t >= 0) ::close(t), t = -1;
      return;
    }
  }
}

Spawner::~Spawner() {
  for (int s : slots_)
    if (s >= 0) ::close(s);
  if (placeholder_ >= 0) ::close(placeholder_);
  if (stack_ != nullptr) ::munmap(stack_, kStackBytes);
}

pid_t Spawner::spawn(const Request& rq, int& err) {
  ChildArgs args{&rq, rq.listen_fd, rq.ready_fd, rq.error_fd, 0};
  if (flat()) {
    // Point the slots at what the child needs. They were reserved at start-up, so they are
    // low, and everything the child keeps lies below keep_below.
    const int want[kSlots] = {rq.listen_fd, rq.ready_fd, rq.error_fd};
    bool slotted = true;
    for (int i = 0; i < kSlots && slotted; ++i)
      if (::dup3(want[i], slots_[i], O_CLOEXEC) < 0) {
        log_syscall_error("dup3", errno, "spawn slot");
        slotted = false;
      }
    if (slotted) {
      args = {&rq, slots_[0], slots_[1], slots_[2],
              static_cast<unsigned>(*std::max_element(slots_, slots_ + kSlots)) + 1};
    }
  }
  pid_t pid = -1;
  if (stack_ != nullptr) {
    char* top = static_cast<char*>(stack_) + kStackBytes;
    pid = ::clone(child_main, top, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &args);
    err = pid < 0 ? errno : 0;
    if (pid < 0) log_syscall_error("clone", err);
  } else {
    err = ENOMEM;
  }
  // Drop our extra references (listener, ready channel, error pipe): the slots hold
  // /dev/null again. Otherwise we would keep the listener after the hand-over and the
  // error pipe would never reach EOF.
  if (flat())
    for (int s : slots_)
      if (::dup3(placeholder_, s, O_CLOEXEC) < 0) log_syscall_error("dup3", errno, "spawn slot");
  return pid;
}

}  // namespace zerodrop::server
