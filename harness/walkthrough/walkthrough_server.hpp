// One zerodrop-server under the walkthrough, with all of its generations.
//
// Contract: the constructor spawns the server (process.hpp, the harness's process layer: own
// process group, death signal) with stdout and stderr captured. Every generation inherits those
// pipes, so one reader thread collects the lines of all of them, time-stamped, in order of arrival
// per stream. The wait_* calls block on new lines (an event), each up to a deadline; nothing here
// sleeps to synchronise. wait_inflight() asks a PID for its stats (SIGUSR1) until a stats line
// reports at least N requests in flight: that is the proof, from the server itself, that a client's
// request has arrived and is being held. The destructor ends the process group (TERM, grace,
// KILL) — a new generation stays in the group of the first — and stops the reader.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace zerodrop::walkthrough {

struct OutputLine {
  Clock::time_point when{};
  bool is_stderr = false;
  std::string text;
};

class WalkthroughServer {
 public:
  WalkthroughServer(Reaper& reaper, const SpawnSpec& spec);
  ~WalkthroughServer();
  WalkthroughServer(const WalkthroughServer&) = delete;
  WalkthroughServer& operator=(const WalkthroughServer&) = delete;

  pid_t first_pid() const { return spawned_.pid; }
  size_t line_count();
  std::vector<OutputLine> lines();
  std::string tail(size_t n);  // the last n lines, for failure evidence

  std::optional<OutputLine> wait_line(size_t from,
                                      const std::function<bool(const OutputLine&)>& pred,
                                      Clock::time_point deadline);
  std::optional<ListeningLine> wait_listening(int generation, Clock::time_point deadline);
  // A stderr lifecycle line of `pid` with event=`event`, at index >= from.
  std::optional<LogFields> wait_event(pid_t pid, std::string_view event, size_t from,
                                      Clock::time_point deadline);
  std::optional<LogFields> wait_inflight(pid_t pid, long long at_least, Clock::time_point deadline);

  void end();  // end the group now (idempotent)

  // The stderr lines of `pid` whose event is one of `events`, in order (without the signal
  // lines of our own SIGUSR1 stats probes).
  std::vector<std::string> log_of(pid_t pid, const std::vector<std::string_view>& events);

 private:
  void read_loop();

  Spawned spawned_;
  int stop_pipe_[2] = {-1, -1};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<OutputLine> lines_;
  bool ended_ = false;
  std::thread reader_;
};

}  // namespace zerodrop::walkthrough
