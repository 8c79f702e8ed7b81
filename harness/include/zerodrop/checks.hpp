// checks — the named invariants, computed from a History alone.
//
// Contract: each check_* function looks only at the History (its requests and lifecycle
// events, through the Timeline derived from them) and the scenario's Expect, and returns a
// CheckResult: pass, fail, or unknown (the data cannot decide — never a silent pass: a check
// with nothing to judge is unknown and says what evidence it lacked), with its figures and up
// to a few example request ids or pids as evidence. Not applicable (n/a) is a fourth verdict: the
// scenario said the evidence cannot exist (server.pid_header: none for the pid-based checks);
// it is never a pass and does not change the exit code. run_checks() runs the invariants the
// scenario selects (all by default) in a fixed order. check_validity() says whether the run
// itself can be trusted: every fault ran as written, the load engine kept its schedule, the
// harness had no socket trouble of its own. A run that is not valid proves nothing either way.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "zerodrop/history.hpp"
#include "zerodrop/scenario.hpp"
#include "zerodrop/stats.hpp"

namespace zerodrop {

enum class Verdict { kPass, kFail, kUnknown, kNotApplicable };
const char* to_string(Verdict v);

struct CheckResult {
  std::string name;
  Verdict verdict = Verdict::kUnknown;
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
  bool vanished = false;          // exited, reaped by its parent: code not observable
  std::int64_t stopping_ns = -1;  // its own STOPPING=1, if it sent one
  bool gone() const { return exit_code.has_value() || vanished; }
};

// A process of the server's trees below a main pid (a prefork worker, a helper), from its
// `process` event: recorded once, when the launcher first saw it.
struct ServerProcess {
  long pid = 0;
  long ppid = 0;               // its parent when first seen
  std::int64_t start_ns = -1;  // on the run clock, to resolution_ns (one clock tick)
  std::int64_t resolution_ns = 0;
  std::int64_t seen_ns = 0;
  std::int64_t exit_ns = -1;  // exited or vanished
};

// expect.reload: in_place — the main's workers, by the reload that started them. Set k >= 1 holds
// the workers (descendants of the main, not the main) started after reload fault k fired and
// before the next: start + resolution >= the fault (a start time is truncated to a clock tick),
// and first seen after it (a worker seen before the fault is surely older).
struct WorkerSet {
  std::int64_t fault_ns = -1;  // the reload (a signal that is not a stop, or a command); -1: none
  std::vector<long> pids;
  // The first answer (first response byte) by one of its workers, or READY=1 from the main after
  // a RELOADING=1 after the fault, whichever came first; -1 never.
  std::int64_t ready_ns = -1;
};

struct IdleClose {
  std::int64_t t_ns = 0;
  long owner_pid = 0;  // who last answered on the connection
  std::uint64_t conn = 0;
  std::string how;  // fin | rst | unsolicited_data
};

struct Timeline {
  std::vector<Generation> gens;
  std::vector<std::pair<std::int64_t, std::string>> signals;  // nemesis signals (time, name)
  // The nemesis signals that asked for a restart: not a stop signal, sent to the then-current
  // main pid (or its group). The follow-ups of a binary upgrade (WINCH and QUIT to the previous
  // master) and signals to workers are not restarts of their own.
  std::vector<std::int64_t> restart_signal_ns;
  // The first stop signal (TERM/INT/USR2/KILL/QUIT) sent to the then-current main pid, or to
  // its group, after which no new main pid took over; or STOPPING=1 from the last generation
  // (the one being stopped: a generation that is replaced afterwards was not stopping, whatever
  // it said), whichever came first. A stop signal to a previous main or to workers retires an
  // old generation, and one followed by a new main (USR2 for nginx's binary upgrade) is a
  // restart: neither is the shutdown. A command fault after which the then-current main exits
  // before the teardown, with no successor (`caddy stop`), is a shutdown too, at its start.
  std::int64_t shutdown_ns = -1;
  std::vector<std::int64_t> fault_ns;  // first firing of each scenario fault, by index (-1: never)
  std::vector<IdleClose> idle_closes;
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
  std::vector<long> orphans;            // the run's processes found outside the harness's tree
  std::vector<LifecycleEvent> invalid;  // fault_condition_unmet, signal_failed, command_failed...
  std::vector<std::pair<long, int>> command_exits;  // (pid, code) of nemesis commands
  std::vector<long> command_pids;
  std::int64_t load_planned = -1, load_issued = -1, load_saturated = 0;
  // `cpu_wait` samples per pid: (time, cumulative ns the process was runnable but waiting for
  // a CPU; see zerodrop/cpu_wait.hpp), in time order. Pid 0: the harness's load engine thread.
  std::map<long, std::vector<std::pair<std::int64_t, std::int64_t>>> cpu_wait;
  // `process` events by pid; the workers started by the settle restart (not the run's).
  std::map<long, ServerProcess> processes;
  std::vector<long> settle_workers;
  std::vector<WorkerSet> worker_sets;         // [0] the first set, then one per reload fault
  std::vector<std::int64_t> reload_ready_ns;  // READY=1 from a main after its RELOADING=1
  // The generation of `pid`: the main pid itself, or its nearest recorded ancestor that is a
  // main pid (a prefork worker belongs to its master's generation); -1 if unknown.
  int gen_index_of(long pid) const;
  int main_index_of(long pid) const;  // exact: -1 unless pid is a generation's main pid
  // in_place: the worker set of `pid`; kMainSet for a main pid, -1 for a pid in no set.
  static constexpr int kMainSet = -2;
  int set_of(long pid) const;
  long main_at(std::int64_t t) const;
  // When generation i began to drain, as far as the harness can tell: its successor's readiness
  // (the reference contract announces a new generation only after the old one stopped
  // accepting), or for the last one its own STOPPING=1 after the stop (else the stop signal +
  // 50 ms: a loaded machine may run the server a little after the signal); -1 when it never
  // drained.
  std::int64_t drain_ns(std::size_t i) const;
  // How long process `pid` waited for a CPU between from_ns and to_ns (linear between its
  // samples; 0 outside them or without any: no excuse is made up).
  std::int64_t cpu_wait_ns(long pid, std::int64_t from_ns, std::int64_t to_ns) const;
  // The hand-overs: for each generation g >= 1, the signal that caused it (-1: none found).
  std::int64_t cause_of(std::size_t g) const;
  // Signal-to-ready time of each generation after the first (its cause_of() to its READY=1, or
  // to its takeover when it never said ready), in ms; generations without a cause are left out.
  std::vector<double> restart_times_ms() const;
  // The times of the nemesis's signals, and of its restart faults (restart_signal_ns and the
  // commands run: one per restart, whatever follow-up signals it needs).
  std::vector<std::int64_t> signal_times() const;
  std::vector<std::int64_t> restart_fault_times() const;
  // Where a request scheduled at `scheduled_ns` falls around the fault times `at` (sorted),
  // +-window_ns: steady before the first window, in a window, after the last window (until a
  // shutdown begins), or other (between two windows, or once a shutdown began). Without faults
  // every request is steady. The one split of latency_bound and of `zerodrop report --figures`.
  enum class Span { kSteady, kWindow, kAfter, kOther };
  Span span_of(std::int64_t scheduled_ns, std::int64_t window_ns,
               const std::vector<std::int64_t>& at) const;
  std::vector<std::int64_t> command_ns;  // each nemesis command's start
};

// Start lateness bounds of a valid run: past them the load no longer has the shape the scenario
// asked for (requests bunched up after a stall of the engine). Smaller lateness is absorbed by
// latency_bound, which does not charge a breach the harness's own lateness explains. Measured on
// this 2-core machine with two ctest -j2 runs and builds beside: p99 up to ~70 ms, max ~110 ms.
inline constexpr double kMaxStartLateP99Ms = 200;
inline constexpr double kMaxStartLateMaxMs = 1000;

Timeline build_timeline(const History& h);

// Whether the scenario allows outcome `o` for a request that ended at end_ns: `expect.allowed`
// names its class, and the fault it is allowed after had fired by then.
bool is_allowed(Outcome o, std::int64_t end_ns, const Expect& e, const Timeline& t);

CheckResult check_no_dropped_requests(const History& h, const Expect& e, const Timeline& t);
CheckResult check_in_flight_served_by_old(const History& h, const Expect& e, const Timeline& t);
CheckResult check_new_served_by_new(const History& h, const Expect& e, const Timeline& t);
CheckResult check_pid_transition(const History& h, const Expect& e, const Timeline& t);
CheckResult check_old_generation_exits(const History& h, const Expect& e, const Timeline& t);
CheckResult check_latency_bound(const History& h, const Expect& e, const Timeline& t);
CheckResult check_no_leaks(const History& h, const Expect& e, const Timeline& t);
CheckResult check_settles(const History& h, const Expect& e, const Timeline& t);
CheckResult check_graceful_close(const History& h, const Expect& e, const Timeline& t);

// Shared by the checks: a result saying the invariant is not applicable (pid_header: none); the
// body expected from generation (or worker set) `gen`; how long before a signal a request must
// have started to be surely accepted by the old generation (served_by.cpp).
CheckResult not_applicable(Invariant i);
const std::string& message_of(const Expect& e, int gen);
std::int64_t accepted_margin_ns(const History& h);

// expect.reload: in_place — the same invariants over worker sets (checks/in_place.cpp); the
// check_* above call these for an in_place scenario.
namespace in_place {
CheckResult check_in_flight_served_by_old(const History& h, const Expect& e, const Timeline& t);
CheckResult check_new_served_by_new(const History& h, const Expect& e, const Timeline& t);
CheckResult check_pid_transition(const History& h, const Expect& e, const Timeline& t);
CheckResult check_old_generation_exits(const History& h, const Expect& e, const Timeline& t);
}  // namespace in_place

// The check of each invariant of vocabulary.hpp's table (kInvariants), in the same order.
using CheckFn = CheckResult (*)(const History&, const Expect&, const Timeline&);
CheckFn check_for(Invariant i);

std::vector<CheckResult> run_checks(const History& h, const Expect& e);

// Whether the run can be trusted at all; `reasons` empty when it can.
struct Validity {
  std::vector<std::string> reasons;
  nlohmann::json figures = nlohmann::json::object();
  bool valid() const { return reasons.empty(); }
};
Validity check_validity(const History& h, const Timeline& t);

}  // namespace zerodrop
