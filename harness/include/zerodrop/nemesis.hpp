// nemesis — applies a scenario's fault timeline to the running server.
//
// Contract: tick() is called often from the run loop; each fault fires once its time (relative
// to the load's start) has come — and, with when_slow_in_flight, once that many slow requests
// are in flight (or 5 s after its time, recorded as `fault_condition_timeout`) — and then
// `repeat` times every interval_ms. A signal goes to the current main pid; replace_binary
// copies a file over the running binary atomically (temp + rename, as a deploy does); command
// runs argv in its own process group. Every action is a lifecycle event in the history.
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
  void tick(std::int64_t now_ns, int slow_in_flight);
  bool done() const;
  // When the last action will have fired at the latest (for sizing the run).
  std::int64_t last_planned_ns() const;

 private:
  struct State {
    Fault f;
    int fired = 0;
    std::int64_t next_ns = 0;
    bool armed = false;
  };
  void fire(State& s);
  std::vector<State> faults_;
  std::map<std::string, std::string> vars_;
  Launcher& launcher_;
  std::int64_t start_ns_;
  std::string binary_, log_;
};

// Copies `from` over `to` atomically; throws std::runtime_error naming the failing syscall.
void replace_file(const std::string& from, const std::string& to);

}  // namespace zerodrop
