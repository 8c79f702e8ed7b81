// Restart and shutdown costs of the reference server, timed as a supervisor sees them: from
// the signal to the new generation's READY=1 on NOTIFY_SOCKET, and to the old one's exit.
// - SIGHUP to ready, idle server (the target: median <= 5 ms);
// - restart with N open keep-alive connections (1,000 and 10,000): ready, and old-exit time
//   (the idle connections get --drain-idle-grace, set to 0 here: the time is the mechanism's);
// - shutdown drain time with N idle keep-alive connections (10, 100, 1,000).
// Each iteration's time is the measured interval (UseManualTime); p50/p99/max are counters.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "bench_server.hpp"

namespace {

using zerodrop::bench::BenchServer;
using zerodrop::bench::Herd;

void add_percentiles(benchmark::State& state, std::vector<double> ms, const std::string& prefix) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ms.size())))]; };
  state.counters[prefix + "p50_ms"] = at(0.5);
  state.counters[prefix + "p99_ms"] = at(0.99);
  state.counters[prefix + "max_ms"] = ms.back();
}

void BM_SighupToReady(benchmark::State& state) {
  BenchServer server;
  std::vector<double> ms;
  for (auto _ : state) {
    std::int64_t ns = server.restart();
    if (ns < 0) return state.SkipWithError("no new generation within 10 s");
    if (server.old_exit_ns() < 0) return state.SkipWithError("old generation did not exit");
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
    ms.push_back(static_cast<double>(ns) / 1e6);
  }
  add_percentiles(state, ms, "");
}

void BM_RestartWithOpenConnections(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  if (zerodrop::bench::raise_fd_limit() < n + 200) return state.SkipWithError("RLIMIT_NOFILE too low for this many connections");
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
}

void BM_ShutdownDrainIdle(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  zerodrop::bench::raise_fd_limit();
  std::vector<double> ms;
  for (auto _ : state) {
    BenchServer server({"--mode", "shutdown", "--drain-idle-grace", "0"});
    Herd herd(server.port(), n);
    std::int64_t ns = server.shutdown();
    if (ns < 0) return state.SkipWithError("did not exit within 10 s");
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
    ms.push_back(static_cast<double>(ns) / 1e6);
  }
  add_percentiles(state, ms, "");
}

BENCHMARK(BM_SighupToReady)->Iterations(40)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RestartWithOpenConnections)->ArgName("connections")->Arg(1000)->Arg(10000)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ShutdownDrainIdle)->ArgName("idle")->Arg(10)->Arg(100)->Arg(1000)->Iterations(5)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
