// The Timeline: generations in the order they took over, and the run's landmarks.
#include <algorithm>
#include <climits>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "zerodrop/checks.hpp"

namespace zerodrop {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kUnknown:
      return "unknown";
    case Verdict::kNotApplicable:
      return "n/a";
  }
  return "unknown";
}

int Timeline::main_index_of(long pid) const {
  for (std::size_t i = 0; i < gens.size(); ++i)
    if (gens[i].pid == pid) return static_cast<int>(i);
  return -1;
}

int Timeline::gen_index_of(long pid) const {
  // Up the parents recorded at first sight (bounded: a reused pid could make a loop).
  for (int hops = 0; pid > 0 && hops < 4096; ++hops) {
    if (int i = main_index_of(pid); i >= 0) return i;
    auto it = processes.find(pid);
    if (it == processes.end()) return -1;
    pid = it->second.ppid;
  }
  return -1;
}

int Timeline::set_of(long pid) const {
  if (main_index_of(pid) >= 0) return kMainSet;
  for (std::size_t k = 0; k < worker_sets.size(); ++k)
    if (std::find(worker_sets[k].pids.begin(), worker_sets[k].pids.end(), pid) !=
        worker_sets[k].pids.end())
      return static_cast<int>(k);
  return -1;
}

std::int64_t Timeline::cause_of(std::size_t g) const {
  std::int64_t sig = -1;
  for (auto& [at, name] : signals)
    if (at <= gens[g].takeover_ns) sig = at;
  return sig;
}

std::int64_t Timeline::drain_ns(std::size_t i) const {
  if (i + 1 < gens.size())
    return gens[i + 1].ready_ns >= 0 ? gens[i + 1].ready_ns : gens[i + 1].takeover_ns;
  if (shutdown_ns < 0) return -1;
  if (gens[i].stopping_ns >= shutdown_ns) return gens[i].stopping_ns;
  return shutdown_ns + 50'000'000;
}

std::vector<double> Timeline::restart_times_ms() const {
  std::vector<double> out;
  for (std::size_t g = 1; g < gens.size(); ++g) {
    const std::int64_t sig = cause_of(g);
    const std::int64_t ready = gens[g].ready_ns >= 0 ? gens[g].ready_ns : gens[g].takeover_ns;
    if (sig >= 0) out.push_back(static_cast<double>(ready - sig) / 1e6);
  }
  return out;
}

std::vector<std::int64_t> Timeline::signal_times() const {
  std::vector<std::int64_t> out;
  for (const auto& [at, name] : signals)
    out.push_back(at);
  return out;
}

std::vector<std::int64_t> Timeline::restart_fault_times() const {
  std::vector<std::int64_t> out = restart_signal_ns;
  out.insert(out.end(), command_ns.begin(), command_ns.end());
  std::sort(out.begin(), out.end());
  return out;
}

Timeline::Span Timeline::span_of(std::int64_t scheduled_ns, std::int64_t window_ns,
                                 const std::vector<std::int64_t>& at) const {
  if (at.empty() || scheduled_ns < at.front() - window_ns) return Span::kSteady;
  for (std::int64_t f : at)
    if (scheduled_ns >= f - window_ns && scheduled_ns <= f + window_ns) return Span::kWindow;
  if (scheduled_ns > at.back() + window_ns && (shutdown_ns < 0 || scheduled_ns < shutdown_ns))
    return Span::kAfter;
  return Span::kOther;
}

long Timeline::main_at(std::int64_t t) const {
  long pid = gens.empty() ? 0 : gens.front().pid;
  for (auto& g : gens)
    if (g.takeover_ns <= t) pid = g.pid;
  return pid;
}

namespace {
// Events that say a fault did not run as written: the run is not valid.
const std::set<std::string> kInvalidating = {"fault_condition_unmet", "signal_failed",
                                             "replace_binary_failed", "command_failed"};
}  // namespace

std::int64_t Timeline::cpu_wait_ns(long pid, std::int64_t from_ns, std::int64_t to_ns) const {
  auto it = cpu_wait.find(pid);
  if (it == cpu_wait.end() || it->second.empty() || to_ns <= from_ns) return 0;
  const auto& v = it->second;
  // The cumulative wait at time x: linear between samples, flat (no claim) outside them.
  auto at = [&](std::int64_t x) -> double {
    if (x <= v.front().first) return static_cast<double>(v.front().second);
    if (x >= v.back().first) return static_cast<double>(v.back().second);
    auto hi = std::lower_bound(v.begin(), v.end(), x,
                               [](const auto& s, std::int64_t t) { return s.first < t; });
    auto lo = hi - 1;
    const double f =
        static_cast<double>(x - lo->first) / static_cast<double>(hi->first - lo->first);
    return static_cast<double>(lo->second) + f * static_cast<double>(hi->second - lo->second);
  };
  return static_cast<std::int64_t>(at(to_ns) - at(from_ns));
}

namespace {
// in_place's worker sets (checks.hpp, WorkerSet): built for every run, used by in_place checks.
void build_worker_sets(const History& h, Timeline& t) {
  std::vector<std::int64_t> reloads;
  auto before_stop = [&](std::int64_t at) { return t.shutdown_ns < 0 || at < t.shutdown_ns; };
  for (auto& [at, name] : t.signals)
    if (!is_stop_signal(name) && before_stop(at)) reloads.push_back(at);
  for (std::int64_t at : t.command_ns)
    if (before_stop(at)) reloads.push_back(at);
  std::sort(reloads.begin(), reloads.end());
  t.worker_sets.assign(reloads.size() + 1, WorkerSet{});
  for (std::size_t k = 1; k < t.worker_sets.size(); ++k)
    t.worker_sets[k].fault_ns = reloads[k - 1];
  for (auto& [pid, p] : t.processes) {
    if (t.main_index_of(pid) >= 0 || t.gen_index_of(pid) < 0) continue;
    if (std::find(t.settle_workers.begin(), t.settle_workers.end(), pid) != t.settle_workers.end())
      continue;
    std::size_t k = reloads.size();
    while (k > 0 &&
           !(reloads[k - 1] <= p.start_ns + p.resolution_ns && p.seen_ns >= reloads[k - 1]))
      --k;
    t.worker_sets[k].pids.push_back(pid);
  }
  for (auto& q : h.requests) {
    const int k = q.pid > 0 ? t.set_of(q.pid) : -1;
    const std::int64_t at = q.first_byte_ns >= 0 ? q.first_byte_ns : q.end_ns;
    if (k < 0 || at < 0) continue;
    auto& r = t.worker_sets[static_cast<std::size_t>(k)].ready_ns;
    if (r < 0 || at < r) r = at;
  }
  for (std::size_t k = 1; k < t.worker_sets.size(); ++k) {
    const std::int64_t from = t.worker_sets[k].fault_ns;
    const std::int64_t to = k < reloads.size() ? reloads[k] : INT64_MAX;
    for (std::int64_t at : t.reload_ready_ns)
      if (at >= from && at < to) {
        auto& r = t.worker_sets[k].ready_ns;
        if (r < 0 || at < r) r = at;
        break;
      }
  }
  if (!t.gens.empty() && t.gens.front().ready_ns >= 0 &&
      (t.worker_sets[0].ready_ns < 0 || t.gens.front().ready_ns < t.worker_sets[0].ready_ns))
    t.worker_sets[0].ready_ns = t.gens.front().ready_ns;
}
}  // namespace

Timeline build_timeline(const History& h) {
  Timeline t;
  auto add_gen = [&](long pid, std::int64_t ts) {
    if (pid > 0 && t.main_index_of(pid) < 0)
      t.gens.push_back({pid, ts, -1, std::nullopt, -1, false, -1});
  };
  std::vector<std::pair<std::int64_t, long>> stopping;       // (time, sender)
  std::vector<std::pair<std::int64_t, long>> stop_signals;   // (time, target; -pgid: a group)
  std::vector<std::pair<std::int64_t, long>> other_signals;  // the same, for the other signals
  std::map<long, std::int64_t> ends;                         // exited or vanished, by pid
  std::map<long, std::int64_t> reloading;  // RELOADING=1 not yet followed by READY=1
  bool after_settle_restart = false;       // its generations are the settles probe's, not the run's
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
    if (after_settle_restart &&
        (e.event == "spawned" || e.event == "mainpid" || e.event == "ready" ||
         e.event == "listening" || e.event == "stopping"))
      continue;
    if (kInvalidating.count(e.event)) t.invalid.push_back(e);
    if (e.event == "spawned")
      add_gen(e.pid, e.t_ns);
    else if (e.event == "mainpid")
      add_gen(e.pid, e.t_ns);
    else if (e.event == "daemonized") {
      // A daemonizing start (nginx's `daemon on`): the first process forked the daemon the
      // main-pid source named and exited 0. The daemon is the first generation, from the start:
      // the hand-over was the server starting, not a restart. Only as the launcher records it
      // (the first process, then the daemon's announcement, nothing else): any other generation
      // in between was one of its own.
      if (t.gens.size() == 2 && t.gens[0].pid == e.other && t.gens[1].pid == e.pid) {
        t.gens[1].takeover_ns = t.gens[0].takeover_ns;
        t.gens.erase(t.gens.begin());
      }
    } else if (e.event == "ready" || e.event == "listening") {
      if (e.event == "ready" && reloading.erase(e.pid) > 0) t.reload_ready_ns.push_back(e.t_ns);
      int i = t.main_index_of(e.pid);
      if (i < 0 && e.event == "listening" && !t.gens.empty() && t.gens.back().ready_ns >= 0) {
        // A server without the notify protocol: a new pid listening is a new generation.
        add_gen(e.pid, e.t_ns);
        i = t.main_index_of(e.pid);
      }
      if (i >= 0 && t.gens[i].ready_ns < 0) t.gens[i].ready_ns = e.t_ns;
    } else if (e.event == "reloading") {
      reloading[e.pid] = e.t_ns;
    } else if (e.event == "process") {
      ServerProcess p;
      p.pid = e.pid;
      p.ppid = e.other;
      p.seen_ns = e.t_ns;
      p.start_ns = e.t_ns;  // no start time recorded: first sight is the latest it can be
      auto j = nlohmann::json::parse(e.detail, nullptr, false);
      if (j.is_object()) {
        p.start_ns = j.value("start_ns", e.t_ns);
        p.resolution_ns = j.value("resolution_ns", 0L);
      }
      t.processes.emplace(p.pid, p);
      if (after_settle_restart && p.start_ns + p.resolution_ns >= t.settle_restart_ns)
        t.settle_workers.push_back(p.pid);
    } else if (e.event == "exited") {
      ends.emplace(e.pid, e.t_ns);
      int i = t.main_index_of(e.pid);
      if (i >= 0) {
        t.gens[i].vanished = false;
        t.gens[i].exit_code = static_cast<int>(e.other);
        t.gens[i].exit_ns = e.t_ns;
      }
      if (std::find(t.command_pids.begin(), t.command_pids.end(), e.pid) != t.command_pids.end())
        t.command_exits.emplace_back(e.pid, static_cast<int>(e.other));
    } else if (e.event == "vanished") {
      ends.emplace(e.pid, e.t_ns);
      int i = t.main_index_of(e.pid);
      if (i >= 0 && !t.gens[i].exit_code) {
        t.gens[i].vanished = true;
        t.gens[i].exit_ns = e.t_ns;
      }
    } else if (e.event == "signal") {
      t.signals.emplace_back(e.t_ns, e.detail);
      if (is_stop_signal(e.detail))
        stop_signals.emplace_back(e.t_ns, e.pid);
      else
        other_signals.emplace_back(e.t_ns, e.pid);
    } else if (e.event == "fault") {
      auto i = static_cast<std::size_t>(e.other);
      if (t.fault_ns.size() <= i) t.fault_ns.resize(i + 1, -1);
      if (t.fault_ns[i] < 0) t.fault_ns[i] = e.t_ns;
    } else if (e.event == "command") {
      t.command_pids.push_back(e.pid);
      t.command_ns.push_back(e.t_ns);
    } else if (e.event == "stopping") {
      // STOPPING=1 in answer to the harness's own stop at teardown (HAProxy -Ws, the reference
      // server) comes after the load: it is not a shutdown of the scenario, and counting it as
      // one asked in_flight_served_by_old for requests in flight at a stop nobody scheduled.
      if (t.teardown_ns >= 0 && e.t_ns >= t.teardown_ns) continue;
      stopping.emplace_back(e.t_ns, e.pid);
    } else if (e.event == "idle_close") {
      t.idle_closes.push_back({e.t_ns, e.pid, static_cast<std::uint64_t>(e.other), e.detail});
    } else if (e.event == "load_summary") {
      t.load_planned = e.other;
      auto j = nlohmann::json::parse(e.detail, nullptr, false);
      if (j.is_object()) {
        t.load_issued = j.value("issued", -1L);
        t.load_saturated = j.value("saturated", 0L);
      }
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
    } else if (e.event == "cpu_wait") {
      t.cpu_wait[e.pid].emplace_back(e.t_ns, e.other);
    }
  }
  // A stop signal is the shutdown only when it went to the then-current main (or, as -pgid, to
  // its group: the nemesis resolves `group` from the current main) and no new main took over
  // after it. One to a previous main or to workers retires an old generation; one after which a
  // new main is announced (nginx's USR2 binary upgrade) was a restart. Decided after the loop:
  // the successor's announcement comes later in the history.
  auto to_main = [&](std::int64_t at, long target) {
    return target < 0 || target == t.main_at(at);
  };
  auto taken_over_after = [&](std::int64_t at) {
    return std::any_of(t.gens.begin(), t.gens.end(), [&](auto& g) { return g.takeover_ns > at; });
  };
  for (auto& [at, target] : stop_signals) {
    if (!to_main(at, target) || taken_over_after(at)) continue;
    if (t.shutdown_ns < 0 || at < t.shutdown_ns) t.shutdown_ns = at;
    break;
  }
  // A command after which the then-current main exited before the teardown, with no new main
  // taking over, stopped the server (`caddy stop`, `nginx -s quit`): the shutdown began with it,
  // as with a stop signal. One after which the main lives on (a reload, a sidecar fetch) did not.
  for (std::int64_t at : t.command_ns) {
    auto end = ends.find(t.main_at(at));
    if (end == ends.end() || end->second < at || taken_over_after(at) ||
        (t.teardown_ns >= 0 && end->second >= t.teardown_ns))
      continue;
    if (t.shutdown_ns < 0 || at < t.shutdown_ns) t.shutdown_ns = at;
    break;
  }
  // The restarts asked for, decided after the loop too (which main was current at a signal
  // needs every takeover): any other signal to the current main, and a stop signal to it that
  // a new main took over after (as above).
  for (auto& [at, target] : other_signals)
    if (to_main(at, target)) t.restart_signal_ns.push_back(at);
  for (auto& [at, target] : stop_signals)
    if (to_main(at, target) && taken_over_after(at)) t.restart_signal_ns.push_back(at);
  std::sort(t.restart_signal_ns.begin(), t.restart_signal_ns.end());
  // STOPPING=1 excuses refusals only when it comes from the generation being stopped: the last
  // one. A generation that says it is stopping and is then replaced was restarting.
  if (!t.gens.empty())
    for (auto& [at, pid] : stopping)
      if (pid == t.gens.back().pid) {
        if (t.shutdown_ns < 0 || at < t.shutdown_ns) t.shutdown_ns = at;
        if (t.gens.back().stopping_ns < 0) t.gens.back().stopping_ns = at;
      }
  for (auto& [pid, series] : t.cpu_wait)
    std::sort(series.begin(), series.end());
  for (auto& [pid, at] : ends)
    if (auto it = t.processes.find(pid); it != t.processes.end()) it->second.exit_ns = at;
  build_worker_sets(h, t);
  return t;
}

bool is_allowed(Outcome o, std::int64_t end_ns, const Expect& e, const Timeline& t) {
  for (auto& a : e.allowed) {
    if (a.cls != to_string(o)) continue;
    auto i = static_cast<std::size_t>(a.after_fault);
    if (i < t.fault_ns.size() && t.fault_ns[i] >= 0 && end_ns >= t.fault_ns[i]) return true;
  }
  return false;
}

CheckFn check_for(Invariant i) {
  switch (i) {  // no default: a new invariant without a check is a compile warning (an error)
    case Invariant::kNoDroppedRequests:
      return check_no_dropped_requests;
    case Invariant::kInFlightServedByOld:
      return check_in_flight_served_by_old;
    case Invariant::kNewServedByNew:
      return check_new_served_by_new;
    case Invariant::kPidTransition:
      return check_pid_transition;
    case Invariant::kOldGenerationExits:
      return check_old_generation_exits;
    case Invariant::kLatencyBound:
      return check_latency_bound;
    case Invariant::kNoLeaks:
      return check_no_leaks;
    case Invariant::kSettles:
      return check_settles;
    case Invariant::kGracefulClose:
      return check_graceful_close;
  }
  return nullptr;
}

std::vector<CheckResult> run_checks(const History& h, const Expect& e) {
  Timeline t = build_timeline(h);
  std::vector<CheckResult> out;
  for (const auto& d : kInvariants) {
    if (!e.invariants.empty() &&
        std::find(e.invariants.begin(), e.invariants.end(), d.name) == e.invariants.end())
      continue;
    out.push_back(check_for(d.invariant)(h, e, t));
  }
  return out;
}

}  // namespace zerodrop
