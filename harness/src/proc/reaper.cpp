// See reaper.hpp.
#include "zerodrop/proc/reaper.hpp"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>

#include "zerodrop/proc/process_groups.hpp"
#include "zerodrop/proc/reap.hpp"

namespace zerodrop::proc {

bool ExitRecord::exited_normally() const {
  return WIFEXITED(status);
}
int ExitRecord::exit_code() const {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
std::string ExitRecord::describe() const {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return std::string("killed by SIG") + (name != nullptr ? name : "?");
  }
  return "status " + std::to_string(status);
}

Reaper::Reaper() {
  become_subreaper();
  thread_ = std::thread([this] { run(); });
}

Reaper::~Reaper() {
  end_all_registered_groups();
  kill_all_descendants();
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  // Every descendant was SIGKILLed: waitpid(-1) returns each, then ECHILD, and the thread sees
  // stop_.
  thread_.join();
}

void Reaper::child_added() {
  {
    std::lock_guard lk(mu_);
    ++added_;
  }
  cv_.notify_all();
}

void Reaper::run() {
  unsigned long seen_added = 0;
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid > 0) {
      std::lock_guard lk(mu_);
      exits_[pid] = ExitRecord{pid, status, Clock::now()};
      cv_.notify_all();
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != ECHILD) {
      std::fprintf(stderr, "zerodrop: waitpid: %s\n", strerror(errno));
    }
    // No children at all: a new one can only come from spawn() (a re-parented orphan needs a
    // living child to descend from), which calls child_added().
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return stop_ || added_ != seen_added; });
    if (stop_) return;
    seen_added = added_;
  }
}

std::optional<ExitRecord> Reaper::wait_exit(pid_t pid, Clock::time_point deadline) {
  std::unique_lock lk(mu_);
  cv_.wait_until(lk, deadline, [&] { return exits_.count(pid) != 0; });
  auto it = exits_.find(pid);
  if (it == exits_.end()) return std::nullopt;
  return it->second;
}

std::optional<ExitRecord> Reaper::exit_of(pid_t pid) {
  std::lock_guard lk(mu_);
  auto it = exits_.find(pid);
  if (it == exits_.end()) return std::nullopt;
  return it->second;
}

}  // namespace zerodrop::proc
