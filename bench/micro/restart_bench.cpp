// Restart and shutdown costs of the reference server, timed as a supervisor sees them: from
// the signal to the new generation's READY=1 on NOTIFY_SOCKET, and to the old one's exit.
// - SIGHUP to ready, idle server (the target: median <= 5 ms);
// - the floor under it: vfork + exec + exit of the same static binary (a usage error exits at
//   once) and of a small dynamic one (/bin/true), so the report can say what a restart costs
//   beyond starting a process at all on this machine;
// - restart with N open keep-alive connections (0, 1,000, 10,000, 20,000): ready, and old-exit
//   time (the idle connections get --drain-idle-grace, set to 0 here: the time is the
//   mechanism's); every row after the first also reports its ready p50 as a ratio to the
//   0-connection row of the same run (ready_p50_ratio_to_idle), the figure the goal
//   is stated in (<= 1.2 with 20,000 connections), and to idle restarts interleaved with its
//   own (paired_idle_ready_*, ready_p50_ratio_to_paired_idle: same moment, same kernel
//   backlog of earlier iterations' closed sockets);
// - shutdown drain time with N idle keep-alive connections (10, 100, 1,000).
// Each iteration's time is the measured interval (UseManualTime); p50/p99/max are counters.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_guard.hpp"
#include "bench_server.hpp"
#include "herd.hpp"
#include "zerodrop/stats.hpp"

extern char** environ;

namespace {

using zerodrop::bench::BenchServer;
using zerodrop::bench::guarded;
using zerodrop::bench::Herd;
using zerodrop::bench::smoke_mode;

// Nearest-rank percentiles (zerodrop/stats.hpp): with 100 restarts, p99 is the 99th value and
// max the 100th.
void add_percentiles(benchmark::State& state, const std::vector<double>& ms,
                     const std::string& prefix) {
  if (ms.empty()) return;
  const zerodrop::Summary s = zerodrop::summarize(ms);
  state.counters[prefix + "p50_ms"] = s.p50;
  state.counters[prefix + "p99_ms"] = s.p99;
  state.counters[prefix + "max_ms"] = s.max;
}

void add_median(benchmark::State& state, const std::vector<double>& ms, const std::string& name) {
  if (ms.empty()) return;
  state.counters[name] = zerodrop::percentile(ms, 50);
}

// Phases of each restart (ms, from the server's log and our READY=1 timestamp):
// signal = SIGHUP -> restart_requested (delivery + the loop waking); exec = that -> the
// child's `start` line (vfork + execve + static init to main(); the parent's child_spawned
// line comes after the exec, vfork suspends it until then); init = start -> the parent's
// child_ready (listener adopted, loop accepting, ready byte read by the parent); handover =
// that -> READY=1 (parent stops accepting and answers, child announces).
struct Phases {
  std::vector<double> signal, exec, init, handover;
  bool add(const BenchServer& server, double ready_ms) {
    const auto ph = server.phases();
    if (ph.requested < 0 || ph.started < 0 || ph.child_ready < 0) return false;
    signal.push_back(ph.requested);
    exec.push_back(ph.started - ph.requested);
    init.push_back(ph.child_ready - ph.started);
    handover.push_back(ready_ms - ph.child_ready);
    return true;
  }
  void report(benchmark::State& state) const {
    add_median(state, signal, "phase1_signal_p50_ms");
    add_median(state, exec, "phase2_exec_p50_ms");
    add_median(state, init, "phase3_init_p50_ms");
    add_median(state, handover, "phase4_handover_p50_ms");
  }
};

void BM_SighupToReady(benchmark::State& state) {
  guarded(state, [&] {
    BenchServer server;
    std::vector<double> ms, gone;
    Phases phases;
    for (auto _ : state) {
      std::int64_t ns = server.restart();
      if (ns < 0) return state.SkipWithError("no new generation within 10 s");
      std::int64_t old = server.old_exit_ns();
      if (old < 0) return state.SkipWithError("old generation did not exit within 10 s");
      state.SetIterationTime(static_cast<double>(ns) / 1e9);
      ms.push_back(static_cast<double>(ns) / 1e6);
      gone.push_back(static_cast<double>(old) / 1e6);
      if (!phases.add(server, ms.back()))
        return state.SkipWithError("restart steps missing from the server's log");
    }
    add_percentiles(state, ms, "");
    add_percentiles(state, gone, "old_exit_");
    phases.report(state);
  });
}

// vfork-style spawn (posix_spawn: clone(CLONE_VM|CLONE_VFORK), as the server's restart does)
// + exec + exit of argv until its exit is visible, in ns. The child gets its own process group;
// no PDEATHSIG (posix_spawn cannot set it) but these commands exit at once, and one that does
// not is killed after 5 s.
// If main_ns is given, the child gets a pipe as fd 3 and *main_ns is what it wrote there (its
// clock at main(), ns since the spawn) or -1.
std::int64_t spawn_and_reap(const std::vector<const char*>& argv, std::int64_t* main_ns = nullptr) {
  int pipe_fds[2] = {-1, -1};
  if (main_ns != nullptr && ::pipe2(pipe_fds, O_CLOEXEC) < 0)
    throw std::runtime_error("pipe2 failed");
  struct CloseReadEnd {  // on every path out, exceptions included
    int fd;
    ~CloseReadEnd() {
      if (fd >= 0) ::close(fd);
    }
  } read_end{pipe_fds[0]};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (main_ns != nullptr) posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 3);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&at, 0);
  pid_t pid = 0;
  const std::int64_t t0 = zerodrop::bench::realtime_ns();
  const int err =
      ::posix_spawn(&pid, argv[0], &fa, &at, const_cast<char* const*>(argv.data()), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (pipe_fds[1] >= 0) ::close(pipe_fds[1]);
  if (err != 0)
    throw std::runtime_error(std::string("posix_spawn ") + argv[0] + ": " + std::strerror(err));
  // A pidfd turns readable at the exit: no polling interval in the figure.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  pollfd p{pidfd, POLLIN, 0};
  int status = 0;
  if (pidfd < 0 || ::poll(&p, 1, 5000) <= 0) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    if (pidfd >= 0) ::close(pidfd);
    throw std::runtime_error(std::string(argv[0]) +
                             " did not exit within 5 s (or pidfd_open failed)");
  }
  ::close(pidfd);
  ::waitpid(pid, &status, 0);
  const std::int64_t ns = zerodrop::bench::realtime_ns() - t0;
  if (main_ns != nullptr) {
    std::int64_t at_main = 0;
    *main_ns = ::read(pipe_fds[0], &at_main, sizeof at_main) == static_cast<ssize_t>(sizeof at_main)
                   ? at_main - t0
                   : -1;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    throw std::runtime_error(std::string("cannot exec ") + argv[0]);
  return ns;
}

// vfork + exec + exit of: an empty static program (the floor), /bin/true (dynamic: ld.so and
// libc mapped), and zerodrop-server stopping at a usage error (its static init and argument
// parsing, most of what a new generation does before its `start` line).
void BM_ExecFloor(benchmark::State& state, std::vector<std::string> args) {
  guarded(state, [&] {
    std::vector<const char*> argv;
    for (auto& a : args)
      argv.push_back(a.c_str());
    argv.push_back(nullptr);
    const bool reports_main = args[0] == ZERODROP_EMPTY_BIN;
    std::vector<double> ms, to_main;
    for (auto _ : state) {
      std::int64_t main_ns = -1;
      std::int64_t ns = spawn_and_reap(argv, reports_main ? &main_ns : nullptr);
      state.SetIterationTime(static_cast<double>(ns) / 1e9);
      ms.push_back(static_cast<double>(ns) / 1e6);
      if (main_ns >= 0) to_main.push_back(static_cast<double>(main_ns) / 1e6);
    }
    add_percentiles(state, ms, "");
    add_median(state, to_main, "to_main_p50_ms");
  });
}

// The 0-connection row's ready p50 in this run (registered first, so it runs first).
double g_idle_ready_p50_ms = -1;

void BM_RestartWithOpenConnections(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  const long limit = zerodrop::bench::raise_fd_limit(n + 1000);
  // The server holds every connection plus ~15 descriptors of its own, the herd (this
  // process) every client end: both must fit under RLIMIT_NOFILE. Where the hard limit is just
  // the row's size (20,000 on the machine of the README's figures, without CAP_SYS_RESOURCE)
  // the row runs with what fits, and says so in its `connections` counter.
  if (limit < n + 200 && n > 10000 && limit >= 10200) n = static_cast<int>(limit - 150);
  state.counters["connections"] = n;
  if (limit < n + 150)
    return state.SkipWithError(("RLIMIT_NOFILE hard limit " + std::to_string(limit) +
                                " is below the " + std::to_string(n + 200) +
                                " descriptors this needs (raise it: ulimit -Hn)")
                                   .c_str());
  guarded(state, [&] {
    BenchServer server({"--max-connections", std::to_string(n + 100), "--drain-idle-grace", "0"});
    std::vector<double> ready, exited, idle;
    Phases phases;
    for (auto _ : state) {
      // Paired idle restart (rows with connections): the same server, the same moment of the
      // run, no connection open. Whatever the kernel still does for earlier iterations'
      // sockets (TIME_WAIT expiry of up to 20,000 per iteration) weighs on both alike.
      if (n > 0) {
        ::poll(nullptr, 0, 200);
        std::int64_t idle_ns = server.restart();
        if (idle_ns < 0 || server.old_exit_ns(20000) < 0)
          return state.SkipWithError("idle restart failed");
        idle.push_back(static_cast<double>(idle_ns) / 1e6);
      }
      Herd herd(server.port(), n);
      // Idle connections, not connections being opened: let the kernel finish the work that
      // opening (and the previous iteration's closing) of up to 20,000 sockets leaves behind
      // before the signal, on every row alike.
      ::poll(nullptr, 0, 200);
      std::int64_t ns = server.restart();
      if (ns < 0) return state.SkipWithError("no new generation within 10 s");
      std::int64_t gone = server.old_exit_ns(20000);
      if (gone < 0) return state.SkipWithError("old generation did not exit within 20 s");
      state.SetIterationTime(static_cast<double>(ns) / 1e9);
      ready.push_back(static_cast<double>(ns) / 1e6);
      exited.push_back(static_cast<double>(gone) / 1e6);
      if (!phases.add(server, ready.back()))
        return state.SkipWithError("restart steps missing from the server's log");
    }
    add_percentiles(state, ready, "ready_");
    add_percentiles(state, exited, "old_exit_");
    phases.report(state);
    const double p50 = state.counters["ready_p50_ms"];
    if (!idle.empty()) {
      add_percentiles(state, idle, "paired_idle_ready_");
      state.counters["ready_p50_ratio_to_paired_idle"] =
          p50 / state.counters["paired_idle_ready_p50_ms"];
    }
    if (n == 0)
      g_idle_ready_p50_ms = p50;
    else if (g_idle_ready_p50_ms > 0)
      state.counters["ready_p50_ratio_to_idle"] = p50 / g_idle_ready_p50_ms;
  });
}

void BM_ShutdownDrainIdle(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  zerodrop::bench::raise_fd_limit();
  guarded(state, [&] {
    std::vector<double> ms;
    for (auto _ : state) {
      state.PauseTiming();  // manual time anyway; keeps setup out of the CPU column too
      BenchServer server({"--mode", "shutdown", "--drain-idle-grace", "0"});
      Herd herd(server.port(), n);
      state.ResumeTiming();
      std::int64_t ns = server.shutdown();
      if (ns < 0) return state.SkipWithError("did not exit within 10 s");
      state.SetIterationTime(static_cast<double>(ns) / 1e9);
      ms.push_back(static_cast<double>(ns) / 1e6);
    }
    add_percentiles(state, ms, "");
  });
}

// Fixed iteration counts: each one is a restart, the distribution is the figure. Smoke runs
// (ZERODROP_BENCH_SMOKE) only prove each path works.
const int kRestarts = smoke_mode() ? 3 : 100;
const int kHeavy = smoke_mode() ? 1 : 5;
const int kConnRestarts = smoke_mode() ? 1 : 21;  // per row: 21 restarts, each with its herd

BENCHMARK(BM_SighupToReady)->Iterations(kRestarts)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ExecFloor, empty_static, {ZERODROP_EMPTY_BIN})
    ->Iterations(kRestarts)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ExecFloor, bin_true_dynamic, {"/bin/true"})
    ->Iterations(kRestarts)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ExecFloor, server_usage_error,
                  {zerodrop::bench::server_binary(), "--no-such-option"})
    ->Iterations(kRestarts)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RestartWithOpenConnections)
    ->ArgName("connections")
    ->Arg(0)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(20000)
    ->Iterations(kConnRestarts)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ShutdownDrainIdle)
    ->ArgName("idle")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(kHeavy)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
