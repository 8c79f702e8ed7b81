// nemesis — applies a scenario's fault timeline to the running server.
//
// Contract: tick() is called from the run loop at next_due_ns() and whenever the load's slow
// requests in flight change or the launcher saw something (a datagram, a stdout line, an exit);
// each fault fires once its time (relative to the load's start) has come — and, with
// when_slow_in_flight, once that many slow requests are in flight; with `after: ready`, once the
// fault before it has fired and a `ready` event (`listening`, for a server that never sent one) is
// stamped after the latest firing of the fault whose generation it awaits
// (generation_fault_before(), scenario.hpp), within server.startup_timeout_ms of that firing — and
// then `repeat` times every interval_ms. A condition not met in time (5 s after its time for slow
// requests, or by the end of the load; startup_timeout_ms for readiness) is never fired late:
// `fault_condition_unmet` is recorded and the run is invalid. A signal goes to its target
// (Fault::to): the current main pid (a refused kill() is recorded as `signal_failed`; a target that
// has just exited is retried on the next main pid announced within 1 s), the previous main pid (the
// one main_pid() held before its latest change, as seen by tick()), every descendant of the main
// pid but itself (proc::descendants; one that exits before its kill() is skipped), or the main
// pid's process group (kill(-pgid)); each kill() that succeeds is a `signal` event naming its
// target (pid: -pgid for a group), and a target that does not exist (no takeover yet, no
// descendant) is a `signal_failed` saying so. replace_binary copies a file over the running binary
// atomically (temp + rename, as a deploy does; failure: `replace_binary_failed`); command runs argv
// in its own process group (its exit code is checked: not 0 makes the run invalid). Every firing is
// a `fault` event (other = the fault's index in the scenario; detail: its line, and the resolved
// targets of a signal not to main) before its action's own event. Signal names are
// vocabulary.hpp's; placeholders in a command's argv and in replace_binary are expanded (expand(),
// scenario.hpp) when the fault fires, with {main_pid} and {previous_pid} added (a placeholder that
// cannot be expanded fails the fault: `command_failed` / `replace_binary_failed`). Events go to the
// history through the launcher (Launcher::record).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "zerodrop/launcher.hpp"
#include "zerodrop/scenario.hpp"

namespace zerodrop {

class Nemesis {
 public:
  // ready_timeout_ms: how long an `after: ready` fault waits (server.startup_timeout_ms).
  Nemesis(std::vector<Fault> faults, std::map<std::string, std::string> vars, Launcher& launcher,
          std::int64_t start_ns, std::string binary_path, std::string log_path,
          int ready_timeout_ms);
  void tick(std::int64_t now_ns, int slow_in_flight, bool load_done);
  bool done() const;
  // When tick() has something to do next at the latest (INT64_MAX: nothing planned). A fault
  // waiting for slow requests in flight also needs a tick() when that number changes.
  std::int64_t next_due_ns() const;
  // When the last action will have fired at the latest (for sizing the run).
  std::int64_t last_planned_ns() const;

 private:
  struct State {
    Fault f;
    int fired = 0;
    std::int64_t next_ns = 0;
    bool armed = false;
    int index = 0;            // in the scenario's faults list
    pid_t retarget_from = 0;  // a signal met ESRCH: waiting for the next main pid
    std::int64_t retarget_until = 0;
    int awaits = -1;                  // after: ready: the fault whose generation it waits for
    std::int64_t last_fired_ns = -1;  // the latest firing (a signal: when its kill() went)
  };
  bool arm(State& s, std::int64_t now, int slow_in_flight, bool load_done);
  void give_up(State& s, int slow_in_flight, const std::string& why);
  std::int64_t ready_deadline(const State& s) const;
  void observe_main();
  void fire(State& s, std::int64_t now);
  void send_signal(State& s, pid_t target, std::int64_t now);
  void signal_targets(State& s);
  std::string expand_now(const std::string& text) const;
  std::int64_t clock_now() const { return launcher_.now_ns(); }
  static bool finished(const State& s) { return s.fired >= s.f.repeat && s.retarget_from == 0; }
  std::vector<State> faults_;
  std::map<std::string, std::string> vars_;
  Launcher& launcher_;
  std::int64_t start_ns_;
  std::string binary_, log_;
  std::int64_t ready_timeout_ns_;
  pid_t seen_main_ = 0, previous_main_ = 0;  // main_pid() as last seen, and the one before it
};

// Copies `from` over `to` atomically (a copy beside `to` with `from`'s mode, renamed over it);
// throws std::runtime_error naming the failing syscall, and then leaves `to` untouched and no
// partial copy behind.
void replace_file(const std::string& from, const std::string& to);

}  // namespace zerodrop
