// The reference server's event loop seen from a client, and the load generator's own cost.
// - round trip: one keep-alive GET / after another on one connection (the loop's latency per
//   request, kernel loopback included); and a new connection per request.
// - load generator CPU per request: the harness's LoadEngine (the epoll client every scenario
//   uses) driving zerodrop-server open loop, keep-alive and new-connection modes; CPU time of
//   the engine's thread divided by the requests it completed.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "bench_client.hpp"
#include "bench_guard.hpp"
#include "bench_server.hpp"
#include "zerodrop/load.hpp"
#include "zerodrop/stats.hpp"

namespace {

using zerodrop::bench::BenchServer;
using zerodrop::bench::Client;
using zerodrop::bench::guarded;

// One server for the whole binary: Google Benchmark calls a benchmark several times while it
// sizes the iteration count, and starting and ending a server (with the Launcher's guardian)
// costs about a second each time. Ended in main() after the run.
std::unique_ptr<BenchServer> g_server;
BenchServer& shared_server() {
  if (!g_server) g_server = std::make_unique<BenchServer>();
  return *g_server;
}

// Time per iteration = ns per round trip (request written -> whole response read).
void BM_KeepAliveRoundTrip(benchmark::State& state) {
  guarded(state, [&] {
    BenchServer& server = shared_server();
    Client c(server.port());
    if (!c.connected()) return state.SkipWithError("connect failed");
    for (auto _ : state)
      if (!c.get("/", true)) return state.SkipWithError("request failed");
    state.SetItemsProcessed(state.iterations());
  });
}

void BM_NewConnectionRoundTrip(benchmark::State& state) {
  guarded(state, [&] {
    BenchServer& server = shared_server();
    for (auto _ : state) {
      Client c(server.port());
      if (!c.connected() || !c.get("/", false)) return state.SkipWithError("request failed");
    }
    state.SetItemsProcessed(state.iterations());
  });
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Arg 0: keep-alive (1) or a new connection per request (0); arg 1: rate (req/s), 1 s each.
void load_generator_cpu(benchmark::State& state) {
  BenchServer& server = shared_server();
  zerodrop::LoadSpec spec;
  spec.conn = state.range(0) ? zerodrop::ConnMode::kKeepalive : zerodrop::ConnMode::kFresh;
  spec.rate = static_cast<double>(state.range(1));
  spec.duration_ms = zerodrop::bench::smoke_mode() ? 200 : 1000;
  spec.timeout_ms = 5000;
  zerodrop::RequestKind fast;  // the defaults: kind "fast", weight 1
  spec.kinds = {fast};
  double cpu = 0;
  std::uint64_t done = 0, failed = 0;
  // How late the engine starts each request against its schedule: open-loop latency counts from
  // the scheduled time, so this lateness is a floor under every latency the harness reports.
  std::vector<double> late_us;
  for (auto _ : state) {
    zerodrop::RunClock clock;
    zerodrop::LoadEngine engine(spec, server.port(), clock, clock.now_ns());
    std::atomic<bool> stop{false};
    const double c0 = thread_cpu_seconds();
    engine.run(stop);
    cpu += thread_cpu_seconds() - c0;
    done += engine.completed();
    failed += engine.failed();
    for (const auto& r : engine.take_records())
      late_us.push_back(static_cast<double>(r.start_ns - r.scheduled_ns) / 1e3);
  }
  if (failed > 0) state.SkipWithError("requests failed");
  state.counters["start_late_p50_us"] = zerodrop::percentile(late_us, 50);  // nearest rank
  state.counters["start_late_p99_us"] = zerodrop::percentile(late_us, 99);
  state.counters["cpu_us_per_request"] = done ? cpu * 1e6 / static_cast<double>(done) : 0;
  state.counters["requests"] = static_cast<double>(done);
  state.SetItemsProcessed(static_cast<std::int64_t>(done));
}

void BM_LoadGeneratorCpuPerRequest(benchmark::State& state) {
  guarded(state, [&] { load_generator_cpu(state); });
}

BENCHMARK(BM_KeepAliveRoundTrip)->UseRealTime();
BENCHMARK(BM_NewConnectionRoundTrip)->UseRealTime();
BENCHMARK(BM_LoadGeneratorCpuPerRequest)
    ->ArgNames({"keepalive", "rate"})
    ->Args({1, 5000})
    ->Args({0, 5000})
    ->Args({1, 20000})
    ->Iterations(zerodrop::bench::smoke_mode() ? 1 : 3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_server.reset();
  return 0;
}
