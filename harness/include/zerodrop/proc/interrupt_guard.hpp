// proc/interrupt_guard — ending every process a program started when it is itself interrupted
// (the walkthrough's guard; the run's is Launcher::install_interrupt_handlers()).
//
// Contract: while an InterruptGuard exists, SIGINT, SIGTERM and SIGHUP sent to this process
// (a person's Ctrl+C, a CI timeout) do not kill it on the spot: they are blocked and read from
// a signalfd by a thread, which ends every process group the walkthrough spawned and every
// remaining descendant (process_groups.hpp), removes the scratch directory, and exits with
// 128+signal. Construct it on the main thread before any other thread starts (threads inherit the
// mask); proc::spawn() resets the mask in children. The destructor restores the previous mask.
#pragma once

#include <signal.h>

#include <string>
#include <thread>

namespace zerodrop::proc {

class InterruptGuard {
 public:
  explicit InterruptGuard(std::string scratch_dir);
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  void run();
  std::string scratch_;
  sigset_t old_mask_{};
  int sigfd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace zerodrop::proc
