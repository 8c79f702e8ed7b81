// bench_server — a reference server for one benchmark, started and watched by the harness's own
// Launcher, restarted and stopped with kernel-timestamped intervals.
//
// Contract: BenchServer starts zerodrop-server (server_binary()) with a loopback listener handed
// over as fd 3 (LISTEN_FDS: no port race) and a NOTIFY_SOCKET of its own (proc::NotifySocket), and
// returns once READY=1 arrived (or throws). restart() sends SIGHUP and returns the nanoseconds
// until the new generation's READY=1 — what a supervisor sees — and old_exit_ns() how long the
// replaced generation took to exit from then. Both ends are kernel times: the signal is timestamped
// just before kill(), READY=1 by the kernel when the datagram arrived (SO_TIMESTAMPNS), the exit by
// a pidfd; so neither a busy benchmark thread's wake-up latency nor a polling interval is counted,
// and the benchmark sleeps in poll() instead of spinning on the 2 cores the server needs.
// Everything it started ends with it (the Launcher's process groups, PDEATHSIG, guardian).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "zerodrop/clock.hpp"
#include "zerodrop/launcher.hpp"
#include "zerodrop/proc/notify_socket.hpp"

namespace zerodrop::bench {

// Where the time of one restart went, from the server's own log (logfmt ts=, the same
// CLOCK_REALTIME): ms from the SIGHUP to each step. -1 where a line was not found.
struct RestartPhases {
  double requested =
      -1;               // the old generation logged restart_requested (signal delivered, loop woke)
  double spawned = -1;  // child_spawned: vfork returned in the parent
  double started = -1;  // the child's `start` line: exec done, static init, main() reached
  double child_ready = -1;  // the parent read the child's ready byte (child's loop accepting)
};

class BenchServer {
 public:
  explicit BenchServer(std::vector<std::string> extra_args = {});
  ~BenchServer();
  BenchServer(const BenchServer&) = delete;
  BenchServer& operator=(const BenchServer&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return main_pid_; }
  // SIGHUP; nanoseconds to the new generation's READY=1 (-1 on timeout).
  std::int64_t restart();
  // After restart(): nanoseconds from the SIGHUP until the replaced generation exited (-1: not
  // within timeout_ms).
  std::int64_t old_exit_ns(int timeout_ms = 10000);
  // After restart() and old_exit_ns(): the phases of that restart, from the server's log.
  RestartPhases phases() const;
  // SIGTERM to the current generation; nanoseconds until it exited (-1 on timeout).
  std::int64_t shutdown(int timeout_ms = 10000);

 private:
  void start(const std::vector<std::string>& extra_args);
  void cleanup();
  std::int64_t wait_exit(int pidfd, std::int64_t from, int timeout_ms);
  // Reads notify datagrams until READY=1 from a main pid other than not_from; returns its
  // kernel arrival time (CLOCK_REALTIME ns) or -1 past the deadline.
  std::int64_t await_ready(pid_t not_from, int timeout_ms);

  std::string workdir_;
  std::unique_ptr<proc::NotifySocket> notify_;
  int old_pidfd_ = -1;
  pid_t main_pid_ = 0;
  RunClock clock_;
  std::unique_ptr<Launcher> launcher_;
  std::uint16_t port_ = 0;
  pid_t previous_ = 0;
  std::int64_t signal_ns_ = 0;
  std::uintmax_t log_offset_ = 0;  // server.log's size at the last SIGHUP
};

// The zerodrop-server binary benchmarked: $ZERODROP_BENCH_SERVER if set (another build, or a
// broken path to see the smoke tests fail), else the one built with this tree.
std::string server_binary();
// ZERODROP_BENCH_SMOKE set (and not 0): benchmarks shrink their fixed iteration counts and
// durations so a smoke run proves each one works in a few seconds (the figures then mean nothing).
bool smoke_mode();
// CLOCK_REALTIME in ns: the clock of SO_TIMESTAMPNS, so both ends of an interval match.
using proc::realtime_ns;

}  // namespace zerodrop::bench
