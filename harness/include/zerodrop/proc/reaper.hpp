// proc/reaper — one thread that collects every child exit, for a caller that blocks on exits
// (the walkthrough); the harness's run reaps from its own loop instead (reap.hpp).
//
// Contract: while a Reaper exists, this process is a child subreaper (PR_SET_CHILD_SUBREAPER),
// so a server generation whose parent exited (the new generation after the old one drained)
// becomes our child, and its exit is collected here too. The thread calls waitpid(-1) and
// records, for every pid, its wait status and the time of its exit; nothing else in the process
// may call waitpid. wait_exit() blocks until a given pid has been reaped or a deadline passes.
// Only one Reaper may exist at a time. Its destructor first ends every registered process group
// and every remaining descendant (process_groups.hpp), so it never waits forever.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace zerodrop::proc {

using Clock = std::chrono::steady_clock;

struct ExitRecord {
  pid_t pid = -1;
  int status = 0;  // raw wait status
  Clock::time_point when{};
  bool exited_normally() const;
  int exit_code() const;         // -1 unless exited normally
  std::string describe() const;  // "exit code 0", "killed by SIGKILL"
};

class Reaper {
 public:
  Reaper();
  ~Reaper();
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Call after spawning: wakes the thread if it was idle for lack of children.
  void child_added();
  std::optional<ExitRecord> wait_exit(pid_t pid, Clock::time_point deadline);
  std::optional<ExitRecord> exit_of(pid_t pid);

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<pid_t, ExitRecord> exits_;
  unsigned long added_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace zerodrop::proc
