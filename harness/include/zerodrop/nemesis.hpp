// nemesis — applies a scenario's fault timeline to the running server.
//
// Contract: tick() is called from the run loop at next_due_ns() and whenever the load's slow
// requests in flight change; each fault fires once its time (relative
// to the load's start) has come — and, with when_slow_in_flight, once that many slow requests
// are in flight — and then `repeat` times every interval_ms. A condition not met within 5 s of
// its time (or by the end of the load) is never fired late: `fault_condition_unmet` is recorded
// and the run is invalid. A signal goes to the current main pid (a refused kill() is recorded as
// `signal_failed`; a target that has just exited is retried on the next main pid announced
// within 1 s); replace_binary copies a file over the running binary atomically (temp +
// rename, as a deploy does; failure: `replace_binary_failed`); command runs argv in its own
// process group (its exit code is checked: not 0 makes the run invalid). Every firing is a
// `fault` event (other = the fault's index in the scenario) before its action's own event.
// Signal names are vocabulary.hpp's; placeholders in a command's argv and in replace_binary are
// expanded (expand(), scenario.hpp) when the fault fires. Events go to the history through the
// launcher (Launcher::record).
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
  Nemesis(std::vector<Fault> faults, std::map<std::string, std::string> vars, Launcher& launcher,
          std::int64_t start_ns, std::string binary_path, std::string log_path);
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
  };
  void fire(State& s, std::int64_t now);
  void send_signal(State& s, pid_t target, std::int64_t now);
  std::int64_t clock_now() const { return launcher_.now_ns(); }
  std::vector<State> faults_;
  std::map<std::string, std::string> vars_;
  Launcher& launcher_;
  std::int64_t start_ns_;
  std::string binary_, log_;
};

// Copies `from` over `to` atomically (a copy beside `to` with `from`'s mode, renamed over it);
// throws std::runtime_error naming the failing syscall, and then leaves `to` untouched and no
// partial copy behind.
void replace_file(const std::string& from, const std::string& to);

}  // namespace zerodrop
