// conform/suite — the built-in scenarios of `zerodrop conform`, level by level, as YAML text
// built from the options (each one is written to the workdir, so `zerodrop run` reruns it).
//
// Why these shapes: every scenario is short (1–4 s of load; L5's 100 restarts back to back), and
// each selects only the invariants its level claims, so the invariant that stops a level is the
// one the level is about. Slow requests last half the drain deadline (at most 800 ms, at least
// 200 ms) so that a correct server finishes them well inside its drain.
#include <algorithm>
#include <stdexcept>

#include "parts.hpp"
#include "zerodrop/vocabulary.hpp"

namespace zerodrop::conform {
namespace {

// The restarts of L5's leak scenario.
constexpr int kLeakRestarts = 100;

YAML::Node flow(YAML::Node n) {
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

YAML::Node kind(const char* k, int weight, int ms = 0) {
  YAML::Node n;
  n["kind"] = k;
  n["weight"] = weight;
  if (ms > 0) n["ms"] = ms;
  return flow(n);
}

YAML::Node signal_fault(int at_ms, const std::string& sig, int when_slow = 0, int repeat = 1,
                        int interval_ms = 0) {
  YAML::Node n;
  n["at_ms"] = at_ms;
  if (when_slow > 0) n["when_slow_in_flight"] = when_slow;
  n["signal"] = sig;
  if (repeat > 1) {
    n["repeat"] = repeat;
    n["interval_ms"] = interval_ms;
  }
  return flow(n);
}

YAML::Node replace_fault(int at_ms, const std::string& path) {
  YAML::Node n;
  n["at_ms"] = at_ms;
  n["replace_binary"] = path;
  return flow(n);
}

YAML::Node invariants(std::initializer_list<Invariant> list) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (Invariant i : list)
    n.push_back(to_string(i));
  return flow(n);
}

struct Builder {
  const ConformOptions& o;
  YAML::Node server;  // the --from scenario's server block, or empty
  std::vector<std::string> argv;
  int slow_ms;
  std::vector<ConformScenario> out;

  YAML::Node base(const std::string& name, const std::string& what) const {
    YAML::Node n;
    n["name"] = "conform-" + name;
    n["description"] = what;
    n["server"] = YAML::Clone(server);
    YAML::Node cmd(YAML::NodeType::Sequence);
    for (auto& a : argv)
      cmd.push_back(a);
    n["server"]["command"] = flow(cmd);
    if (o.startup_timeout_ms > 0) n["server"]["startup_timeout_ms"] = o.startup_timeout_ms;
    return n;
  }

  static YAML::Node load(int rate, int duration_ms, const char* conn,
                         std::initializer_list<YAML::Node> kinds) {
    YAML::Node n;
    n["rate"] = rate;
    n["duration_ms"] = duration_ms;
    n["connections"] = conn;
    for (auto& k : kinds)
      n["kinds"].push_back(k);
    return n;
  }

  void add(int level, const std::string& name, const std::string& what, YAML::Node n,
           const std::string& extra = "") {
    n["expect"]["drain_ms"] = o.drain_ms;
    apply_flags(n, o);
    YAML::Emitter e;
    e << n;
    out.push_back({level, name, what, std::string(e.c_str()) + "\n", extra});
  }

  // A restart under load on one connection mode, the reload signal once slow requests are in
  // flight (L2, L3, L4 differ in the mode and the invariants they select).
  YAML::Node restart(const std::string& name, const std::string& what, const char* conn, int rate,
                     int duration_ms, int at_ms) const {
    YAML::Node n = base(name, what);
    n["load"] = load(rate, duration_ms, conn, {kind("fast", 20), kind("slow", 1, slow_ms)});
    n["faults"].push_back(signal_fault(at_ms, o.reload_signal, 2));
    n["expect"]["restarts"] = 1;
    n["expect"]["slack_ms"] = 1500;
    return n;
  }

  // L5: the binary on disk replaced by `broken` and the reload signal sent (the new generation
  // cannot serve), then the server's own binary put back and the reload signal again: the old
  // generation serves throughout, the second restart is the only one.
  YAML::Node broken_restart(const std::string& name, const std::string& what,
                            const std::string& broken) const {
    YAML::Node n = base(name, what);
    n["server"]["copy_binary"] = true;
    n["load"] =
        load(300, 3000, "both", {kind("fast", 20), kind("slow", 1, std::min(slow_ms, 500))});
    n["faults"].push_back(replace_fault(500, broken));
    n["faults"].push_back(signal_fault(900, o.reload_signal));
    n["faults"].push_back(replace_fault(1600, argv[0]));
    n["faults"].push_back(signal_fault(2000, o.reload_signal));
    n["expect"]["restarts"] = 1;
    n["expect"]["invariants"] =
        invariants({Invariant::kNoDroppedRequests, Invariant::kNewServedByNew,
                    Invariant::kPidTransition, Invariant::kSettles});
    return n;
  }
};

}  // namespace
}  // namespace zerodrop::conform

namespace zerodrop {

using conform::Builder;
using conform::flow;
using conform::invariants;
using conform::kind;
using conform::kLeakRestarts;
using conform::signal_fault;

std::vector<ConformScenario> conform_suite(const ConformOptions& options) {
  ConformOptions o = options;
  YAML::Node server(YAML::NodeType::Map);
  std::vector<std::string> argv;
  if (!o.from.empty()) {
    server = conform::server_from(o.from, o);
    if (server["command"] && server["command"].IsSequence())
      for (const auto& a : server["command"])
        argv.push_back(a.Scalar());
  }
  if (!o.server.empty()) argv = conform::server_argv(o.server);
  if (argv.empty())
    throw std::invalid_argument("--server (or --from): a server command is required");
  if (o.reload_signal.empty()) o.reload_signal = "HUP";
  if (o.stop_signal.empty()) o.stop_signal = "TERM";
  if (o.drain_ms == 0) o.drain_ms = 5000;
  for (const auto* sig : {&o.reload_signal, &o.stop_signal})
    if (find_signal(*sig) == nullptr)
      throw std::invalid_argument("unknown signal \"" + *sig + "\"");
  if (o.drain_ms < 400)
    throw std::invalid_argument("--drain-ms: at least 400 (the slow requests last half of it)");
  if (o.level < 1 || o.level > kConformLevels)
    throw std::invalid_argument("--level: 1 to " + std::to_string(kConformLevels));
  if (o.jobs < 1)
    throw std::invalid_argument("--jobs: at least 1 (the scenarios of a level run at once)");
  Builder b{o, server, argv, std::clamp(o.drain_ms / 2, 200, 800), {}};
  const std::string stop = o.stop_signal, reload = o.reload_signal;

  {  // L1: shutdown with requests in flight; the load ends before the signal, so that no new
     // connection races the listener's close (a refusal there would be allowed anyway).
    const std::string what = "SIG" + stop + " with " + std::to_string(b.slow_ms) +
                             " ms requests in flight: each finishes, exit 0 within the drain";
    YAML::Node n = b.base("L1-shutdown", what);
    n["load"] = Builder::load(100, 700, "fresh", {kind("fast", 3), kind("slow", 1, b.slow_ms)});
    n["faults"].push_back(signal_fault(750, stop, 2));
    n["expect"]["restarts"] = 0;
    n["expect"]["final_exit"] = 0;
    n["expect"]["shutdown_ends_run"] = true;
    n["expect"]["invariants"] =
        invariants({Invariant::kNoDroppedRequests, Invariant::kInFlightServedByOld,
                    Invariant::kOldGenerationExits, Invariant::kSettles});
    b.add(1, "L1-shutdown", what, n);
  }
  {  // L1: past the deadline. The cut requests are expected; the exit code is the server's.
    const int long_ms = o.drain_ms + 2000;
    const std::string what = "SIG" + stop + " with a " + std::to_string(long_ms) +
                             " ms request in flight: the server gives up at its " +
                             std::to_string(o.drain_ms) + " ms deadline (exits within +1 s)";
    YAML::Node n = b.base("L1-deadline", what);
    n["load"] = Builder::load(20, 600, "fresh", {kind("fast", 3), kind("slow", 1, long_ms)});
    n["load"]["timeout_ms"] = long_ms + 2000;
    n["faults"].push_back(signal_fault(650, stop, 1));
    n["expect"]["restarts"] = 0;
    n["expect"]["slack_ms"] = 1000;
    n["expect"]["shutdown_ends_run"] = true;
    YAML::Node allowed(YAML::NodeType::Sequence);
    for (const char* c : {"reset", "eof_without_response", "truncated", "timeout", "indeterminate"})
      allowed.push_back(c);
    n["expect"]["allowed"] = flow(allowed);
    n["expect"]["invariants"] = invariants({Invariant::kNoDroppedRequests, Invariant::kSettles});
    b.add(1, "L1-deadline", what, n, "deadline_honoured");
  }
  {
    const std::string what = "SIG" + reload + " under 300 req/s on fresh connections with " +
                             std::to_string(b.slow_ms) + " ms requests in flight";
    YAML::Node n = b.restart("L2-restart-fresh", what, "fresh", 300, 1800, 800);
    n["expect"]["invariants"] = invariants(
        {Invariant::kNoDroppedRequests, Invariant::kInFlightServedByOld, Invariant::kNewServedByNew,
         Invariant::kPidTransition, Invariant::kOldGenerationExits, Invariant::kSettles});
    b.add(2, "L2-restart-fresh", what, n);
  }
  {
    const std::string what = "SIG" + reload +
                             " under 400 req/s over a keep-alive pool of 16, slow requests in "
                             "flight: no RST, Connection: close while draining";
    YAML::Node n = b.restart("L3-restart-keepalive", what, "keepalive", 400, 1800, 800);
    n["load"]["pool"] = 16;
    n["expect"]["invariants"] =
        invariants({Invariant::kNoDroppedRequests, Invariant::kInFlightServedByOld,
                    Invariant::kGracefulClose});
    b.add(3, "L3-restart-keepalive", what, n);
  }
  {
    const std::string what = "SIG" + reload +
                             " at 1.2 s of 3 s at 300 req/s: fast requests within +-500 ms and "
                             "after: max 300 ms, p99 <= 3 x steady + 80 ms";
    YAML::Node n = b.restart("L4-latency", what, "both", 300, 3000, 1200);
    YAML::Node lat;
    lat["window_ms"] = 500;
    lat["max_ms"] = 300;
    lat["p99_relative"] = 3;
    lat["p99_floor_ms"] = 80;
    n["expect"]["latency"] = flow(lat);
    n["expect"]["invariants"] = invariants({Invariant::kLatencyBound});
    b.add(4, "L4-latency", what, n);
  }
  {
    const std::string what = "20 x SIG" + reload +
                             " 5 ms apart: coalesced (1 to 20 restarts), nothing lost, one "
                             "generation at the end";
    YAML::Node n = b.base("L5-storm", what);
    n["load"] = Builder::load(300, 2500, "both",
                              {kind("fast", 20), kind("slow", 1, std::min(b.slow_ms, 300))});
    n["faults"].push_back(signal_fault(1000, reload, 0, 20, 5));
    n["expect"]["restarts"] = 1;
    n["expect"]["max_restarts"] = 20;
    n["expect"]["invariants"] = invariants(
        {Invariant::kNoDroppedRequests, Invariant::kNewServedByNew, Invariant::kPidTransition,
         Invariant::kNoLeaks, Invariant::kSettles, Invariant::kGracefulClose});
    b.add(5, "L5-storm", what, n);
  }
  {
    const std::string what = "binary replaced by /bin/false, SIG" + reload +
                             " (the restart fails), binary restored, SIG" + reload +
                             ": the old generation serves throughout";
    b.add(5, "L5-failed-restart", what, b.broken_restart("L5-failed-restart", what, "/bin/false"));
  }
  {
    const std::string crash = o.workdir + "/crash-during-start";
    const std::string what =
        "binary replaced by a program that dies of SIGSEGV 50 ms after it "
        "starts, SIG" +
        reload + ", binary restored, SIG" + reload + ": the old generation serves throughout";
    b.add(5, "L5-crash-during-start", what, b.broken_restart("L5-crash-during-start", what, crash));
  }
  {
    const std::string what = std::to_string(kLeakRestarts) + " x SIG" + reload +
                             ", each once the generation before is ready, under light load: "
                             "every one restarts, no fd growth, no zombie";
    YAML::Node n = b.base("L5-leaks", what);
    n["load"] = Builder::load(50, 4000, "both", {kind("fast", 1)});
    // As fast as the server allows: each signal once the generation the one before started
    // is ready (`after: ready`), so none lands in a restart still starting and is coalesced.
    n["faults"].push_back(signal_fault(500, reload));
    for (int i = 1; i < kLeakRestarts; ++i) {
      YAML::Node f;
      f["after"] = "ready";
      f["signal"] = reload;
      n["faults"].push_back(flow(f));
    }
    n["expect"]["restarts"] = kLeakRestarts;
    n["expect"]["invariants"] =
        invariants({Invariant::kNoDroppedRequests, Invariant::kPidTransition, Invariant::kNoLeaks,
                    Invariant::kSettles});
    b.add(5, "L5-leaks", what, n);
  }
  return b.out;
}

}  // namespace zerodrop
