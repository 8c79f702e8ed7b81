// checks — the named invariants, computed from a History alone.
//
// Contract: each check_* function looks only at the History (its requests and lifecycle
// events, through the Timeline derived from them) and the scenario's Expect, and returns a
// CheckResult: pass, fail, or unknown (the data cannot decide — never a silent pass), with its
// figures and up to a few example request ids or pids as evidence. run_checks() runs the
// invariants the scenario selects (all by default) in a fixed order.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "zerodrop/history.hpp"
#include "zerodrop/scenario.hpp"

namespace zerodrop {

enum class Verdict { pass, fail, unknown };
const char* to_string(Verdict v);

struct CheckResult {
  std::string name;
  Verdict verdict = Verdict::unknown;
  std::string summary;  // one line for the table
  nlohmann::json figures = nlohmann::json::object();
  std::vector<std::uint64_t> examples;  // request ids (or pids, per the check)
};

// What the lifecycle events say, in the form the checks need.
struct Generation {
  long pid = 0;
  std::int64_t takeover_ns = 0;  // spawned, or MAINPID= naming it
  std::int64_t ready_ns = -1;    // READY=1 from it, or its `listening` line
  std::optional<int> exit_code;  // negative: killed by that signal
  std::int64_t exit_ns = -1;
  bool vanished = false;  // exited, reaped by its parent: code not observable
  bool gone() const { return exit_code.has_value() || vanished; }
};

struct Timeline {
  std::vector<Generation> gens;
  std::vector<std::pair<std::int64_t, std::string>> signals;  // nemesis signals (time, name)
  std::int64_t shutdown_ns = -1;  // first TERM/INT/USR2/KILL/QUIT sent, or STOPPING=1
  std::int64_t teardown_ns = -1;  // harness began ending the run
  std::int64_t settle_ns = -1;
  long settle_live = -1;      // generations alive at settle
  long settle_probe_pid = 0;  // pid answering the settle probe (0: none)
  // The further restart tried once settled (settle_restart): -1 not tried; else the pid that
  // answered a probe afterwards (0: none). Generations it starts are not in `gens`.
  std::int64_t settle_restart_ns = -1;
  std::string settle_restart_signal;
  long settle_restart_from = 0, settle_restart_answered = -1;
  std::vector<std::pair<long, long>> fd_counts;  // (pid, count)
  std::vector<long> zombies;
  std::vector<long> orphans;         // the run's processes found outside the harness's tree
  int gen_index_of(long pid) const;  // -1 if unknown
  long main_at(std::int64_t t) const;
};

Timeline build_timeline(const History& h);

CheckResult check_no_dropped_requests(const History& h, const Expect& e, const Timeline& t);
CheckResult check_in_flight_served_by_old(const History& h, const Expect& e, const Timeline& t);
CheckResult check_new_served_by_new(const History& h, const Expect& e, const Timeline& t);
CheckResult check_pid_transition(const History& h, const Expect& e, const Timeline& t);
CheckResult check_old_generation_exits(const History& h, const Expect& e, const Timeline& t);
CheckResult check_latency_bound(const History& h, const Expect& e, const Timeline& t);
CheckResult check_no_leaks(const History& h, const Expect& e, const Timeline& t);
CheckResult check_settles(const History& h, const Expect& e, const Timeline& t);

std::vector<CheckResult> run_checks(const History& h, const Expect& e);

// Percentile (0..100) of latencies in ms, nearest-rank; 0 when empty.
double percentile(std::vector<double> v, double p);

}  // namespace zerodrop
