// The Timeline: generations in the order they took over, and the run's landmarks.
#include <algorithm>
#include <cmath>
#include <set>

#include "zerodrop/checks.hpp"

namespace zerodrop {

const char* to_string(Verdict v) {
  return v == Verdict::pass ? "pass" : v == Verdict::fail ? "FAIL" : "unknown";
}

int Timeline::gen_index_of(long pid) const {
  for (std::size_t i = 0; i < gens.size(); ++i)
    if (gens[i].pid == pid) return static_cast<int>(i);
  return -1;
}

long Timeline::main_at(std::int64_t t) const {
  long pid = gens.empty() ? 0 : gens.front().pid;
  for (auto& g : gens)
    if (g.takeover_ns <= t) pid = g.pid;
  return pid;
}

Timeline build_timeline(const History& h) {
  Timeline t;
  static const std::set<std::string> kStops = {"TERM", "INT", "USR2", "KILL", "QUIT"};
  auto add_gen = [&](long pid, std::int64_t ts) {
    if (pid > 0 && t.gen_index_of(pid) < 0) t.gens.push_back({pid, ts, -1, std::nullopt, -1});
  };
  bool after_settle_restart = false;  // its generations are the settles probe's, not the run's
  for (auto& e : h.events) {
    if (e.event == "settle_restart") {
      after_settle_restart = true;
      t.settle_restart_ns = e.t_ns;
      t.settle_restart_from = e.pid;
      t.settle_restart_signal = e.detail;
      continue;
    }
    if (e.event == "settle_restart_result") {
      t.settle_restart_answered = e.other;
      continue;
    }
    if (after_settle_restart && (e.event == "spawned" || e.event == "mainpid" ||
                                 e.event == "ready" || e.event == "listening"))
      continue;
    if (e.event == "spawned")
      add_gen(e.pid, e.t_ns);
    else if (e.event == "mainpid")
      add_gen(e.pid, e.t_ns);
    else if (e.event == "ready" || e.event == "listening") {
      int i = t.gen_index_of(e.pid);
      if (i < 0 && e.event == "listening" && !t.gens.empty() && t.gens.back().ready_ns >= 0) {
        // A server without the notify protocol: a new pid listening is a new generation.
        add_gen(e.pid, e.t_ns);
        i = t.gen_index_of(e.pid);
      }
      if (i >= 0 && t.gens[i].ready_ns < 0) t.gens[i].ready_ns = e.t_ns;
    } else if (e.event == "exited") {
      int i = t.gen_index_of(e.pid);
      if (i >= 0) {
        t.gens[i].vanished = false;
        t.gens[i].exit_code = static_cast<int>(e.other);
        t.gens[i].exit_ns = e.t_ns;
      }
    } else if (e.event == "vanished") {
      int i = t.gen_index_of(e.pid);
      if (i >= 0 && !t.gens[i].exit_code) {
        t.gens[i].vanished = true;
        t.gens[i].exit_ns = e.t_ns;
      }
    } else if (e.event == "signal") {
      t.signals.emplace_back(e.t_ns, e.detail);
      if (kStops.count(e.detail) && t.shutdown_ns < 0) t.shutdown_ns = e.t_ns;
    } else if (e.event == "stopping") {
      if (t.shutdown_ns < 0 || e.t_ns < t.shutdown_ns)
        t.shutdown_ns = t.shutdown_ns < 0 ? e.t_ns : t.shutdown_ns;
    } else if (e.event == "teardown") {
      if (t.teardown_ns < 0) t.teardown_ns = e.t_ns;
    } else if (e.event == "settle") {
      t.settle_ns = e.t_ns;
      t.settle_live = e.other;
      t.settle_probe_pid = std::atol(e.detail.c_str());
    } else if (e.event == "fd_count") {
      t.fd_counts.emplace_back(e.pid, e.other);
    } else if (e.event == "orphan") {
      t.orphans.push_back(e.pid);
    } else if (e.event == "zombie") {
      t.zombies.push_back(e.pid);
    }
  }
  return t;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  if (rank == 0) rank = 1;
  return v[std::min(rank, v.size()) - 1];
}

std::vector<CheckResult> run_checks(const History& h, const Expect& e) {
  Timeline t = build_timeline(h);
  using Fn = CheckResult (*)(const History&, const Expect&, const Timeline&);
  const std::vector<std::pair<std::string, Fn>> all = {
      {"no_dropped_requests", check_no_dropped_requests},
      {"in_flight_served_by_old", check_in_flight_served_by_old},
      {"new_served_by_new", check_new_served_by_new},
      {"pid_transition", check_pid_transition},
      {"old_generation_exits", check_old_generation_exits},
      {"latency_bound", check_latency_bound},
      {"no_leaks", check_no_leaks},
      {"settles", check_settles}};
  std::vector<CheckResult> out;
  for (auto& [name, fn] : all) {
    if (!e.invariants.empty() &&
        std::find(e.invariants.begin(), e.invariants.end(), name) == e.invariants.end())
      continue;
    out.push_back(fn(h, e, t));
  }
  return out;
}

}  // namespace zerodrop
