// See interrupt_guard.hpp.
#include "zerodrop/proc/interrupt_guard.hpp"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "zerodrop/proc/process_groups.hpp"

namespace zerodrop::proc {

InterruptGuard::InterruptGuard(std::string scratch_dir) : scratch_(std::move(scratch_dir)) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP})
    sigaddset(&set, s);
  if (int e = pthread_sigmask(SIG_BLOCK, &set, &old_mask_); e != 0)
    throw std::system_error(e, std::generic_category(), "pthread_sigmask");
  sigfd_ = ::signalfd(-1, &set, SFD_CLOEXEC);
  if (sigfd_ < 0 || ::pipe2(stop_pipe_, O_CLOEXEC) < 0) {
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    throw std::system_error(e, std::generic_category(), "signalfd/pipe2");
  }
  thread_ = std::thread([this] { run(); });
}

InterruptGuard::~InterruptGuard() {
  ssize_t ignored = ::write(stop_pipe_[1], "x", 1);
  (void)ignored;
  thread_.join();
  for (int fd : {sigfd_, stop_pipe_[0], stop_pipe_[1]})
    ::close(fd);
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void InterruptGuard::run() {
  for (;;) {
    pollfd p[2] = {{sigfd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "zerodrop: poll signalfd: %s\n", strerror(errno));
      return;
    }
    if (p[1].revents != 0) return;
    signalfd_siginfo si{};
    if (::read(sigfd_, &si, sizeof si) != static_cast<ssize_t>(sizeof si)) continue;
    std::fprintf(stderr, "\nwalkthrough: interrupted by SIG%s: ending every process it started\n",
                 sigabbrev_np(static_cast<int>(si.ssi_signo)));
    end_all_registered_groups();
    kill_all_descendants();
    // A killed browser may still be writing its profile until it is gone: wait (the Reaper
    // thread reaps them) before removing the scratch directory.
    wait_no_descendants(std::chrono::milliseconds(3000));
    std::error_code ec;
    std::filesystem::remove_all(scratch_, ec);
    std::fflush(nullptr);
    ::_exit(128 + static_cast<int>(si.ssi_signo));
  }
}

}  // namespace zerodrop::proc
