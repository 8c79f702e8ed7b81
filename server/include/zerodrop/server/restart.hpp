// restart: fork + exec the next generation, hand it the listener, and learn its fate.
//
// Contract: start() spawns (spawn.hpp: in constant time however many connections are open);
// the child moves the listener to fd 3 (LISTEN_FDS=1,
// LISTEN_PID=<its pid>) and the write end of a ready pipe to fd 4 (ZERODROP_READY_FD=4), sets
// ZERODROP_GENERATION, restores the signal mask, and execs the binary by its absolute path.
// Every other fd of ours is close-on-exec. A second close-on-exec pipe reports an exec
// failure precisely (the child writes errno and _exits 127); its EOF means exec succeeded.
// Exactly one of these reaches the observer per start():
//   - restart_child_ready(pid): the child wrote its byte (its loop is accepting), or
//   - restart_failed(reason): exec failed, the child exited/crashed before ready, or it was
//     not ready within the timeout — in every case the child is SIGKILLed if needed and
//     *reaped* before the report, so no zombie is left and the next start() may run.
// on_child_exit() must be fed every pid the server reaps (SIGCHLD). abort() SIGKILLs a pending
// child without waiting (shutdown or hammer during a restart); pending() stays true until its
// reap arrives through on_child_exit(), or await_abort() (bounded, for the way out) waits.
// Not the harness's Boost.Process layer (harness/src/proc/): the server is a static binary with no
// Boost, and its spawn must stay constant-time and async-signal-safe (spawn.hpp).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "zerodrop/server/event_loop.hpp"
#include "zerodrop/server/signals.hpp"
#include "zerodrop/server/spawn.hpp"

namespace zerodrop::server {

class RestartObserver {
 public:
  virtual void restart_child_ready(pid_t pid) = 0;
  virtual void restart_failed(const std::string& reason) = 0;
  // After answer_successor(): the successor has announced itself (it closed the ready
  // channel), or it did not within 1 s.
  virtual void restart_successor_announced() = 0;

 protected:
  ~RestartObserver() = default;
};

class Restarter final : public TimerHandler {
 public:
  static constexpr int kChildListenFd = 3;
  static constexpr int kChildReadyFd = 4;

  Restarter(EventLoop& loop, RestartObserver& observer, const SignalFd& signals,
            std::string exe_path, std::vector<std::string> argv);
  ~Restarter();
  Restarter(const Restarter&) = delete;
  Restarter& operator=(const Restarter&) = delete;

  // false (with `reason`) if it could not even fork; otherwise the observer will be told.
  bool start(int listen_fd, std::uint32_t next_generation, Millis ready_timeout,
             std::string& reason);
  // True if `pid` was the pending child (its status is then used for the failure reason).
  bool on_child_exit(pid_t pid, int status);
  void abort();
  void await_abort(Millis bound_ms);
  bool pending() const { return phase_ != Phase::kIdle; }
  // Tells the successor that we have stopped accepting (it then announces itself, then closes
  // the channel: restart_successor_announced()). Called by the observer as soon as its
  // listener is closed; called again after restart_child_ready() returns, in case it was not.
  // Idempotent.
  void answer_successor();
  pid_t child() const { return child_; }
  // Answered, and the successor has not yet closed the channel (announced itself).
  bool awaiting_announcement() const { return answer_watch_.fd >= 0; }
  // True if the file at exe_path() is not the one the last start() exec'd (replaced, changed,
  // or gone). Errs towards true: its stat is taken just before the exec.
  bool binary_replaced() const;
  const std::string& exe_path() const { return exe_path_; }

  void on_timer(std::uint64_t cookie) override;

 private:
  enum class Phase : std::uint8_t { kIdle, kWaiting, kFailing, kAborting };
  static constexpr std::uint64_t kAnnounceTimer = std::uint64_t{1} << 63;
  static constexpr Millis kAnnounceWaitMs = 1000;
  struct PipeWatch final : IoHandler {
    enum class Kind : std::uint8_t { kReady, kError, kAnswered };
    Restarter* owner = nullptr;
    Kind kind = Kind::kError;
    int fd = -1;
    void on_io(std::uint32_t events) override;
  };
  void on_ready_pipe();
  void on_error_pipe();
  void child_died_before_ready();
  void successor_announced();
  void fail(std::string reason);  // kill (if alive) and wait for the reap
  void finish_failure();
  void close_pipe(PipeWatch& w);
  void reset();

  EventLoop& loop_;
  RestartObserver& observer_;
  Spawner spawner_;  // constructed with us: before any connection exists
  const SignalFd& signals_;
  std::string exe_path_;
  std::vector<std::string> argv_;
  Phase phase_ = Phase::kIdle;
  pid_t child_ = -1;
  bool reaped_ = false;
  int child_status_ = 0;
  std::string reason_;
  bool reason_wants_status_ = false;
  std::uint64_t attempt_ = 0;
  Millis ready_timeout_ = 0;
  PipeWatch ready_pipe_;
  PipeWatch error_pipe_;
  int answer_fd_ = -1;  // the successor's ready channel, until answered
  bool answered_ = false;
  PipeWatch answer_watch_;  // then: awaiting its EOF (the successor has announced itself)
  std::uint64_t answer_seq_ = 0;
  struct stat exec_stat_ {};  // exe_path_ just before the last exec; st_nlink 0: unknown
};

// The child-side half: write the ready byte to ZERODROP_READY_FD (if set). When that fd is our
// parent generation's socket, returns it (close-on-exec): the parent's answer byte, or EOF,
// arrives there once it has stopped accepting. Otherwise (unset, or a launcher's pipe) closes
// it and returns -1: nothing to wait for.
int report_ready_to_parent();

// "exit status 1", "killed by SIGSEGV".
std::string describe_wait_status(int status);

}  // namespace zerodrop::server
