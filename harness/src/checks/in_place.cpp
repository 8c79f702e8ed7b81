// expect.reload: in_place — in_flight_served_by_old, new_served_by_new, pid_transition and
// old_generation_exits over worker sets: the main pid stays, each reload replaces its workers
// (nginx HUP, gunicorn HUP, HAProxy -W). Worker sets and their readiness: checks.hpp (WorkerSet).
#include <algorithm>
#include <map>
#include <set>

#include "zerodrop/checks.hpp"

namespace zerodrop::in_place {

namespace {
bool judged(const RequestRecord& q, const Expect& e, const Timeline& t) {
  if (q.outcome == Outcome::kHarnessError || q.outcome == Outcome::kIndeterminate) return false;
  return q.outcome == Outcome::kOk || !is_allowed(q.outcome, q.end_ns, e, t);
}

std::string set_name(const Timeline& t, std::size_t k) {
  return k == 0 ? std::string("the first worker set")
                : "worker set " + std::to_string(k) + " (reload at " +
                      std::to_string(t.worker_sets[k].fault_ns / 1'000'000) + " ms)";
}
}  // namespace

// A request in flight at reload k (started before it, less the accepted margin; not ended
// before it) is answered, completely, by a worker of an older set (started before the reload),
// with that set's body; on a reused keep-alive connection, by the worker that answered the
// connection's previous request. The main answering is accepted (a server without workers).
CheckResult check_in_flight_served_by_old(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = to_string(Invariant::kInFlightServedByOld);
  const std::int64_t margin = accepted_margin_ns(h);
  std::map<std::uint64_t, std::vector<std::pair<std::int64_t, long>>> answers;
  for (auto& q : h.requests)
    if (q.keepalive && q.conn != 0 && q.pid > 0) answers[q.conn].emplace_back(q.end_ns, q.pid);
  for (auto& [conn, v] : answers)
    std::sort(v.begin(), v.end());
  auto previous = [&](const RequestRecord& q) -> long {
    long pid = 0;
    if (auto it = answers.find(q.conn); q.reused && it != answers.end())
      for (auto& [end, p] : it->second)
        if (end < q.start_ns) pid = p;
    return pid;
  };
  struct Edge {
    std::int64_t at;
    std::size_t k;  // sets below k are old
    std::string what;
  };
  std::vector<Edge> edges;
  for (std::size_t k = 1; k < t.worker_sets.size(); ++k)
    edges.push_back({t.worker_sets[k].fault_ns, k, set_name(t, k)});
  if (t.shutdown_ns >= 0) edges.push_back({t.shutdown_ns, t.worker_sets.size(), "shutdown"});
  long checked = 0, wrong = 0, lost = 0, wrong_body = 0;
  nlohmann::json per_edge = nlohmann::json::array();
  std::string without;
  for (auto& [at, k, what] : edges) {
    long here = 0;
    for (auto& q : h.requests) {
      if (q.start_ns >= at - margin || (q.end_ns >= 0 && q.end_ns < at)) continue;
      if (!judged(q, e, t)) continue;
      const long prev = previous(q);
      const int prev_set = prev > 0 ? t.set_of(prev) : -1;
      if (q.reused && (prev <= 0 || prev_set >= static_cast<int>(k))) continue;
      ++here;
      const int got = t.set_of(q.pid);
      bool bad = false;
      if (q.outcome != Outcome::kOk) {
        ++lost;
        bad = true;
      } else if ((q.reused && q.pid != prev) ||
                 (got != Timeline::kMainSet && (got < 0 || got >= static_cast<int>(k)))) {
        ++wrong;
        bad = true;
      } else if (!e.messages.empty() && (q.kind == "fast" || q.kind == "slow") && got >= 0 &&
                 q.body != message_of(e, got)) {
        ++wrong_body;
        bad = true;
      }
      if (bad && r.examples.size() < 5) r.examples.push_back(q.id);
    }
    checked += here;
    per_edge.push_back(
        {{"at_ms", static_cast<double>(at) / 1e6}, {"what", what}, {"in_flight", here}});
    if (here == 0) without += (without.empty() ? "" : ", ") + what;
  }
  r.figures = {{"in_flight_at_reload", checked},
               {"answered_by_new_or_unknown_worker", wrong},
               {"not_answered", lost},
               {"wrong_body", wrong_body},
               {"reloads", per_edge},
               {"accepted_margin_ms", static_cast<double>(margin) / 1e6}};
  if (edges.empty()) {
    r.verdict = Verdict::kUnknown;
    r.summary = "no reload and no shutdown in this run: nothing in flight to judge";
    return r;
  }
  r.summary = std::to_string(checked) + " requests in flight across " +
              std::to_string(edges.size()) + " reload(s)/shutdown: " + std::to_string(wrong) +
              " answered by a new or unknown worker, " + std::to_string(lost) + " not answered, " +
              std::to_string(wrong_body) + " with another set's body";
  if (wrong || lost || wrong_body) {
    r.verdict = Verdict::kFail;
  } else if (!without.empty()) {
    r.verdict = Verdict::kUnknown;
    r.summary += "; no request in flight (started > " + std::to_string(margin / 1'000'000) +
                 " ms before the signal) at: " + without;
  } else {
    r.verdict = Verdict::kPass;
  }
  return r;
}

// A request on a fresh connection started after worker set k was ready is answered by a worker
// of set k or a newer one (the main answering is accepted: a server without workers), with that
// set's body. The newest set must be reached by one (else unknown).
CheckResult check_new_served_by_new(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = to_string(Invariant::kNewServedByNew);
  long checked = 0, old = 0, wrong_body = 0, unknown_pid = 0, by_main = 0;
  std::vector<long> per_set(t.worker_sets.size(), 0);
  for (auto& q : h.requests) {
    if (q.outcome != Outcome::kOk || q.reused) continue;
    if (t.shutdown_ns >= 0 && q.start_ns >= t.shutdown_ns) continue;
    int ready = -1;
    for (std::size_t k = 0; k < t.worker_sets.size(); ++k)
      if (t.worker_sets[k].ready_ns >= 0 && t.worker_sets[k].ready_ns <= q.start_ns)
        ready = static_cast<int>(k);
    if (ready < 0) continue;
    ++checked;
    ++per_set[static_cast<std::size_t>(ready)];
    const int got = t.set_of(q.pid);
    if (got == Timeline::kMainSet) {
      ++by_main;
      continue;
    }
    if (got < 0) {
      ++unknown_pid;
      if (r.examples.size() < 5) r.examples.push_back(q.id);
    } else if (got < ready) {
      ++old;
      if (r.examples.size() < 5) r.examples.push_back(q.id);
    } else if (!e.messages.empty() && (q.kind == "fast" || q.kind == "slow") &&
               q.body != message_of(e, got)) {
      ++wrong_body;
      if (r.examples.size() < 5) r.examples.push_back(q.id);
    }
  }
  std::vector<std::int64_t> ready_ms;
  std::vector<std::size_t> sizes;
  for (auto& s : t.worker_sets) {
    ready_ms.push_back(s.ready_ns >= 0 ? s.ready_ns / 1'000'000 : -1);
    sizes.push_back(s.pids.size());
  }
  r.figures = {{"checked", checked},
               {"per_worker_set", per_set},
               {"worker_set_sizes", sizes},
               {"worker_set_ready_ms", ready_ms},
               {"answered_by_older_worker_set", old},
               {"answered_by_main", by_main},
               {"wrong_body", wrong_body},
               {"answered_by_unknown_pid", unknown_pid},
               {"expected_messages", e.messages}};
  r.summary = std::to_string(checked) +
              " fresh requests after a worker set was ready: " + std::to_string(old) +
              " by an older worker set, " + std::to_string(wrong_body) + " with the wrong body, " +
              std::to_string(unknown_pid) + " by an unknown pid";
  const std::size_t last = t.worker_sets.empty() ? 0 : t.worker_sets.size() - 1;
  if (old || wrong_body || unknown_pid) {
    r.verdict = Verdict::kFail;
  } else if (checked == 0 || checked == by_main || per_set.empty() || per_set[last] == 0) {
    r.verdict = Verdict::kUnknown;
    r.summary += checked == 0 ? "; no fresh request started after a worker set was ready"
                 : checked == by_main
                     ? "; every one answered by the main pid: no workers to judge"
                     : "; no fresh request reached " + set_name(t, last) + " once it was ready";
  } else {
    r.verdict = Verdict::kPass;
  }
  return r;
}

// The main pid never changes; the worker set is replaced once per expected restart (a reload
// that started no worker replaced nothing). Every pid answering is the main or one of its
// workers (n/a without a pid header).
CheckResult check_pid_transition(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = to_string(Invariant::kPidTransition);
  std::vector<long> mains;
  for (auto& g : t.gens)
    mains.push_back(g.pid);
  long replacements = 0;
  std::vector<std::size_t> sizes;
  for (std::size_t k = 0; k < t.worker_sets.size(); ++k) {
    sizes.push_back(t.worker_sets[k].pids.size());
    if (k > 0 && !t.worker_sets[k].pids.empty()) ++replacements;
  }
  std::set<long> foreign;
  for (auto& q : h.requests)
    if (e.pids_answered && q.pid > 0 && t.gen_index_of(q.pid) < 0) {
      foreign.insert(q.pid);
      if (r.examples.size() < 5) r.examples.push_back(q.id);
    }
  const long most = e.max_restarts >= 0 ? e.max_restarts : e.restarts;
  r.figures = {
      {"main_pids", mains},
      {"worker_set_replacements", replacements},
      {"worker_set_sizes", sizes},
      {"expected_restarts", e.restarts},
      {"max_restarts", e.max_restarts},
      {"pids_answering_outside_the_tree", std::vector<long>(foreign.begin(), foreign.end())}};
  std::string main_list;
  for (long p : mains)
    main_list += (main_list.empty() ? "" : " -> ") + std::to_string(p);
  r.summary = "main pid " + main_list + ", " + std::to_string(replacements) +
              " worker-set replacement(s), expected " + std::to_string(e.restarts) +
              (e.max_restarts >= 0 ? ".." + std::to_string(e.max_restarts) : "");
  if (t.gens.empty()) {
    r.verdict = Verdict::kUnknown;
    r.summary = "no generation recorded";
    return r;
  }
  const bool bad =
      mains.size() != 1 || replacements < e.restarts || replacements > most || !foreign.empty();
  if (mains.size() != 1) r.summary += "; the main pid changed (expect.reload: in_place)";
  if (!foreign.empty())
    r.summary += "; " + std::to_string(foreign.size()) + " pid(s) answered from outside the tree";
  if (!e.pids_answered) r.summary += "; answering pids: n/a (server.pid_header: none)";
  r.verdict = bad ? Verdict::kFail : Verdict::kPass;
  return r;
}

// Each replaced worker set's workers exit within drain + slack of the next set's readiness (its
// reload, if it never was ready); the main exits with final_exit within drain + slack of the
// stop. Workers are reaped by the main: their exit codes are not observable, their times are.
CheckResult check_old_generation_exits(const History&, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = to_string(Invariant::kOldGenerationExits);
  const std::int64_t limit = static_cast<std::int64_t>(e.drain_ms + e.slack_ms) * 1'000'000;
  nlohmann::json sets = nlohmann::json::array();
  bool bad = false;
  long judged_workers = 0;
  std::size_t next = t.worker_sets.size();  // the newest non-empty set so far, from the end
  for (std::size_t k = t.worker_sets.size(); k-- > 0;) {
    const WorkerSet& s = t.worker_sets[k];
    if (s.pids.empty()) continue;
    nlohmann::json j = {{"worker_set", k}, {"workers", s.pids}};
    if (next < t.worker_sets.size()) {
      const WorkerSet& n = t.worker_sets[next];
      const std::int64_t from = n.ready_ns >= 0 ? n.ready_ns : n.fault_ns;
      std::int64_t slowest = 0;
      for (long pid : s.pids) {
        const auto& p = t.processes.at(pid);
        ++judged_workers;
        const std::int64_t took = p.exit_ns >= 0 ? p.exit_ns - from : -1;
        if (p.exit_ns < 0 || took > limit) {
          bad = true;
          r.examples.push_back(static_cast<std::uint64_t>(pid));
        }
        slowest = std::max(slowest, took);
      }
      j["replaced_at_ms"] = static_cast<double>(from) / 1e6;
      j["last_exit_after_ms"] = static_cast<double>(slowest) / 1e6;
    }
    sets.push_back(j);
    next = k;
  }
  nlohmann::json main = nullptr;
  bool main_unknown = t.gens.empty();
  if (!t.gens.empty()) {
    const Generation& g = t.gens.back();
    const std::int64_t from = t.shutdown_ns >= 0 ? t.shutdown_ns : t.teardown_ns;
    main = {{"pid", g.pid}, {"expected_code", e.final_exit}};
    if (g.exit_code) {
      main["exit"] = *g.exit_code;
      const std::int64_t took = from >= 0 ? g.exit_ns - from : -1;  // -1: no stop recorded
      main["exit_after_ms"] = static_cast<double>(took) / 1e6;
      if (*g.exit_code != e.final_exit || took > limit) {
        bad = true;
        r.examples.push_back(static_cast<std::uint64_t>(g.pid));
      }
    } else if (from >= 0 && !g.vanished) {
      main["exit"] = nullptr;
      bad = true;
      r.examples.push_back(static_cast<std::uint64_t>(g.pid));
    } else {
      main_unknown = true;
    }
  }
  r.figures = {{"worker_sets", sets},
               {"main", main},
               {"limit_ms", e.drain_ms + e.slack_ms},
               {"old_workers_judged", judged_workers}};
  r.summary = std::to_string(judged_workers) + " old worker(s) judged, limit " +
              std::to_string(e.drain_ms + e.slack_ms) + " ms after the next set was ready; main " +
              (main.is_null()           ? std::string("none")
               : !main.contains("exit") ? std::string("exit not observed")
               : main["exit"].is_null() ? std::string("never exited")
                                        : "exited " + std::to_string(main["exit"].get<int>()));
  r.verdict = bad ? Verdict::kFail : main_unknown ? Verdict::kUnknown : Verdict::kPass;
  return r;
}

}  // namespace zerodrop::in_place
