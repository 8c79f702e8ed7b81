// Restart and shutdown costs of the reference server, timed as a supervisor sees them: from
// the signal to the new generation's READY=1 on NOTIFY_SOCKET, and to the old one's exit.
// - SIGHUP to ready, idle server (the target: median <= 5 ms);
// - the floor under it: fork + exec + exit of the same static binary (a usage error exits at
//   once) and of a small dynamic one (/bin/true), so the report can say what a restart costs
//   beyond starting a process at all on this machine;
// - restart with N open keep-alive connections (1,000 and 10,000): ready, and old-exit time
//   (the idle connections get --drain-idle-grace, set to 0 here: the time is the mechanism's);
// - shutdown drain time with N idle keep-alive connections (10, 100, 1,000).
// Each iteration's time is the measured interval (UseManualTime); p50/p99/max are counters.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_guard.hpp"
#include "bench_server.hpp"

namespace {

using zerodrop::bench::BenchServer;
using zerodrop::bench::guarded;
using zerodrop::bench::Herd;
using zerodrop::bench::smoke_mode;

void add_percentiles(benchmark::State& state, std::vector<double> ms, const std::string& prefix) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ms.size())))]; };
  state.counters[prefix + "p50_ms"] = at(0.5);
  state.counters[prefix + "p99_ms"] = at(0.99);
  state.counters[prefix + "max_ms"] = ms.back();
}

void BM_SighupToReady(benchmark::State& state) {
  guarded(state, [&] {
    BenchServer server;
    std::vector<double> ms, gone;
    for (auto _ : state) {
      std::int64_t ns = server.restart();
      if (ns < 0) return state.SkipWithError("no new generation within 10 s");
      std::int64_t old = server.old_exit_ns();
      if (old < 0) return state.SkipWithError("old generation did not exit within 10 s");
      state.SetIterationTime(static_cast<double>(ns) / 1e9);
      ms.push_back(static_cast<double>(ns) / 1e6);
      gone.push_back(static_cast<double>(old) / 1e6);
    }
    add_percentiles(state, ms, "");
    add_percentiles(state, gone, "old_exit_");
  });
}

// fork + exec + exit of argv until its exit is visible, in ns (the child in its own group, PDEATHSIG, killed if it
// outlives 5 s: these commands exit at once).
std::int64_t spawn_and_reap(const std::vector<const char*>& argv) {
  const std::int64_t t0 = zerodrop::bench::realtime_ns();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execv(argv[0], const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  // A pidfd turns readable at the exit: no polling interval in the figure.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  pollfd p{pidfd, POLLIN, 0};
  int status = 0;
  if (pidfd < 0 || ::poll(&p, 1, 5000) <= 0) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    if (pidfd >= 0) ::close(pidfd);
    throw std::runtime_error(std::string(argv[0]) + " did not exit within 5 s (or pidfd_open failed)");
  }
  ::close(pidfd);
  ::waitpid(pid, &status, 0);
  const std::int64_t ns = zerodrop::bench::realtime_ns() - t0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) throw std::runtime_error(std::string("cannot exec ") + argv[0]);
  return ns;
}

// Arg 0: the server binary (static) with a usage error; 1: /bin/true (dynamic, libc only).
void BM_ExecFloor(benchmark::State& state) {
  guarded(state, [&] {
    const std::string server = zerodrop::bench::server_binary();
    std::vector<const char*> argv =
        state.range(0) == 0 ? std::vector<const char*>{server.c_str(), "--no-such-option", nullptr}
                            : std::vector<const char*>{"/bin/true", nullptr};
    std::vector<double> ms;
    for (auto _ : state) {
      std::int64_t ns = spawn_and_reap(argv);
      state.SetIterationTime(static_cast<double>(ns) / 1e9);
      ms.push_back(static_cast<double>(ns) / 1e6);
    }
    add_percentiles(state, ms, "");
  });
}

void BM_RestartWithOpenConnections(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const long limit = zerodrop::bench::raise_fd_limit();
  if (limit < n + 200)
    return state.SkipWithError(("RLIMIT_NOFILE hard limit " + std::to_string(limit) + " is below the " +
                                std::to_string(n + 200) + " descriptors this needs (raise it: ulimit -Hn)")
                                   .c_str());
  guarded(state, [&] {
    BenchServer server({"--max-connections", std::to_string(n + 100), "--drain-idle-grace", "0"});
    std::vector<double> ready, exited;
    for (auto _ : state) {
      Herd herd(server.port(), n);
      std::int64_t ns = server.restart();
      if (ns < 0) return state.SkipWithError("no new generation within 10 s");
      std::int64_t gone = server.old_exit_ns(20000);
      if (gone < 0) return state.SkipWithError("old generation did not exit within 20 s");
      state.SetIterationTime(static_cast<double>(ns) / 1e9);
      ready.push_back(static_cast<double>(ns) / 1e6);
      exited.push_back(static_cast<double>(gone) / 1e6);
    }
    add_percentiles(state, ready, "ready_");
    add_percentiles(state, exited, "old_exit_");
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

BENCHMARK(BM_SighupToReady)->Iterations(kRestarts)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ExecFloor)->ArgName("dynamic")->Arg(0)->Arg(1)->Iterations(kRestarts)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RestartWithOpenConnections)
    ->ArgName("connections")
    ->Arg(1000)
    ->Arg(10000)
    ->Iterations(kHeavy)
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
