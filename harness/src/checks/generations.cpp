// pid_transition, old_generation_exits, settles: the life of the processes themselves.
#include <algorithm>
#include <map>
#include <set>

#include "zerodrop/checks.hpp"

namespace zerodrop {

CheckResult check_pid_transition(const History& h, const Expect& e, const Timeline& t) {
  if (e.reload == Reload::kInPlace) return in_place::check_pid_transition(h, e, t);
  CheckResult r;
  r.name = to_string(Invariant::kPidTransition);
  std::vector<long> pids;
  for (auto& g : t.gens)
    pids.push_back(g.pid);
  std::set<long> distinct(pids.begin(), pids.end());
  std::set<long> foreign;
  // A prefork worker belongs to its master's generation (gen_index_of): only a pid in no
  // recorded tree is foreign. Without a pid header nothing answers by pid: that part is n/a.
  for (auto& q : h.requests)
    if (e.pids_answered && q.pid > 0 && t.gen_index_of(q.pid) < 0) {
      foreign.insert(q.pid);
      if (r.examples.size() < 5) r.examples.push_back(q.id);
    }
  long restarts = t.gens.empty() ? 0 : static_cast<long>(t.gens.size()) - 1;
  // X-Generation, where the server sends it, must name one number per pid, rising with each
  // hand-over: a server that reports the wrong generation misleads whoever reads it.
  std::map<long, std::set<int>> xgen;  // pid -> X-Generation values seen
  for (auto& q : h.requests)
    if (q.pid > 0 && q.generation > 0 && e.pids_answered) xgen[q.pid].insert(q.generation);
  std::string xgen_problem;
  int last_x = 0;
  for (auto& g : t.gens) {
    auto it = xgen.find(g.pid);
    if (it == xgen.end()) continue;
    if (it->second.size() > 1) {
      xgen_problem = "pid " + std::to_string(g.pid) + " sent " + std::to_string(it->second.size()) +
                     " different X-Generation values";
      break;
    }
    int x = *it->second.begin();
    if (x <= last_x) {
      xgen_problem = "X-Generation " + std::to_string(x) + " of pid " + std::to_string(g.pid) +
                     " does not rise after " + std::to_string(last_x);
      break;
    }
    last_x = x;
  }
  r.figures = {{"pids", pids},
               {"restarts", restarts},
               {"expected_restarts", e.restarts},
               {"max_restarts", e.max_restarts},
               {"pids_answering_but_never_main", std::vector<long>(foreign.begin(), foreign.end())},
               {"x_generation_problem", xgen_problem}};
  std::string list;
  for (auto p : pids)
    list += (list.empty() ? "" : " -> ") + std::to_string(p);
  if (t.gens.empty()) {
    r.verdict = Verdict::kUnknown;
    r.summary = "no generation recorded";
  } else if (restarts < e.restarts ||
             restarts > (e.max_restarts >= 0 ? e.max_restarts : e.restarts) ||
             distinct.size() != pids.size() || !foreign.empty() || !xgen_problem.empty()) {
    r.verdict = Verdict::kFail;
    r.summary = "PIDs " + list + ": " + std::to_string(restarts) + " changes, expected " +
                std::to_string(e.restarts) +
                (e.max_restarts >= 0 ? ".." + std::to_string(e.max_restarts) : "") +
                (foreign.empty() ? ""
                                 : "; " + std::to_string(foreign.size()) +
                                       " pid(s) answered without ever being announced") +
                (xgen_problem.empty() ? "" : "; " + xgen_problem);
  } else {
    r.verdict = Verdict::kPass;
    r.summary = "PIDs " + list + " (" + std::to_string(restarts) + " changes, as expected)";
  }
  if (!e.pids_answered) r.summary += "; answering pids: n/a (server.pid_header: none)";
  return r;
}

// Each replaced generation exits with old_exit within drain + slack of its successor taking
// over; the last one exits with final_exit within drain + slack of the signal that ended it.
CheckResult check_old_generation_exits(const History& h, const Expect& e, const Timeline& t) {
  if (e.reload == Reload::kInPlace) return in_place::check_old_generation_exits(h, e, t);
  CheckResult r;
  r.name = to_string(Invariant::kOldGenerationExits);
  nlohmann::json gens = nlohmann::json::array();
  bool bad = false, unknown = false;
  long unobservable = 0;
  const std::int64_t limit = static_cast<std::int64_t>(e.drain_ms + e.slack_ms) * 1'000'000;
  for (std::size_t i = 0; i < t.gens.size(); ++i) {
    auto& g = t.gens[i];
    bool last = i + 1 == t.gens.size();
    std::int64_t from =
        last ? (t.shutdown_ns >= 0 ? t.shutdown_ns : t.teardown_ns) : t.gens[i + 1].takeover_ns;
    int want = last ? e.final_exit : e.old_exit;
    nlohmann::json j = {{"pid", g.pid}, {"expected_code", want}};
    if (g.vanished) {
      // Reaped by its parent generation: the timing is known, the code is not.
      j["exit"] = "unobservable";
      std::int64_t took = from >= 0 ? g.exit_ns - from : -1;
      j["exit_after_ms"] = took >= 0 ? static_cast<double>(took) / 1e6 : -1.0;
      ++unobservable;
      if (took > limit) {
        bad = true;
        r.examples.push_back(static_cast<std::uint64_t>(g.pid));
      }
    } else if (!g.exit_code) {
      j["exit"] = nullptr;
      if (last && from < 0)
        unknown = true;
      else
        bad = true;
      if (!last || from >= 0) r.examples.push_back(static_cast<std::uint64_t>(g.pid));
    } else {
      j["exit"] = *g.exit_code;
      std::int64_t took = from >= 0 ? g.exit_ns - from : -1;
      j["exit_after_ms"] = took >= 0 ? static_cast<double>(took) / 1e6 : -1.0;
      if (*g.exit_code != want || (took >= 0 && took > limit) ||
          (!last && g.exit_ns >= 0 && t.teardown_ns >= 0 && g.exit_ns > t.teardown_ns)) {
        bad = true;
        r.examples.push_back(static_cast<std::uint64_t>(g.pid));
      }
    }
    gens.push_back(j);
  }
  r.figures = {{"generations", gens},
               {"limit_ms", e.drain_ms + e.slack_ms},
               {"exit_code_unobservable", unobservable}};
  r.verdict = bad                                           ? Verdict::kFail
              : (unknown || unobservable || t.gens.empty()) ? Verdict::kUnknown
                                                            : Verdict::kPass;
  std::string s;
  for (auto& j : gens) {
    s += (s.empty() ? "" : ", ") + std::to_string(j["pid"].get<long>()) + ":" +
         (j["exit"].is_null()     ? "never"
          : j["exit"].is_string() ? "?"
                                  : std::to_string(j["exit"].get<int>()));
    if (j.contains("exit_after_ms") && j["exit_after_ms"].get<double>() >= 0)
      s += " after " + std::to_string(static_cast<long>(j["exit_after_ms"].get<double>())) + " ms";
  }
  r.summary = "exits " + s + " (limit " + std::to_string(e.drain_ms + e.slack_ms) + " ms)" +
              (unobservable ? "; ? = reaped by its parent generation, code not observable" : "");
  return r;
}

// Once the faults are over exactly one generation is alive and it answers the probe — or, in a
// run that a shutdown ends, none is alive.
CheckResult check_settles(const History&, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = to_string(Invariant::kSettles);
  long main = t.gens.empty() ? 0 : t.gens.back().pid;
  r.figures = {{"live_generations_at_settle", t.settle_live},
               {"probe_answered_by", t.settle_probe_pid},
               {"last_main_pid", main}};
  if (t.settle_ns < 0) {
    r.verdict = Verdict::kUnknown;
    r.summary = "no settle point recorded";
    return r;
  }
  r.figures["orphans"] = t.orphans;
  const std::string orphans = t.orphans.empty()
                                  ? ""
                                  : "; " + std::to_string(t.orphans.size()) +
                                        " process(es) of the run outside the harness's tree";
  for (long o : t.orphans)
    r.examples.push_back(static_cast<std::uint64_t>(o));
  if (e.shutdown_ends_run) {
    r.verdict = t.settle_live == 0 && t.orphans.empty() ? Verdict::kPass : Verdict::kFail;
    r.summary = std::to_string(t.settle_live) +
                " generation(s) alive after the shutdown (expected 0)" + orphans;
    return r;
  }
  // The probe must be answered by the newest generation — by its main or one of its workers —
  // or, in_place, by the newest worker set (or the main, for a server without workers).
  bool probe_ok = true;
  std::string probe_text;
  const long probe = t.settle_probe_pid;
  if (!e.pids_answered) {
    probe_text = "probe: n/a (server.pid_header: none)";
  } else if (e.reload == Reload::kInPlace) {
    int newest = -1;
    for (std::size_t k = 0; k < t.worker_sets.size(); ++k)
      if (!t.worker_sets[k].pids.empty()) newest = static_cast<int>(k);
    const int got = t.set_of(probe);
    probe_ok = probe > 0 && (newest < 0 ? probe == main : got == newest);
    probe_text = "probe answered by pid " + std::to_string(probe) +
                 (newest < 0 ? " (main pid " + std::to_string(main) + ", no workers)"
                             : " (worker set " + (got >= 0 ? std::to_string(got) : "none") +
                                   ", newest " + std::to_string(newest) + ")");
  } else {
    probe_ok = probe > 0 && !t.gens.empty() &&
               t.gen_index_of(probe) == static_cast<int>(t.gens.size()) - 1;
    probe_text = "probe answered by pid " + std::to_string(probe) + " (last main pid " +
                 std::to_string(main) + ")";
  }
  bool ok = t.settle_live == 1 && probe_ok && t.orphans.empty();
  r.summary = std::to_string(t.settle_live) + " generation(s) alive, " + probe_text + orphans;
  if (t.settle_restart_ns >= 0 && e.pids_answered) {
    // Restarts must keep working after the faults: a server whose hand-over left it unable to
    // restart again (a lost listener, an exec in place, a generation stuck mid-restart) is not
    // settled, however well it serves.
    const long got = t.settle_restart_answered;
    // A process that was not in the signalled generation's tree before the restart (a new
    // generation may answer before it announces itself), or in_place one of a new worker set.
    auto it = t.processes.find(got);
    const int g = t.gen_index_of(got);
    const bool old_worker = it != t.processes.end() && it->second.seen_ns < t.settle_restart_ns &&
                            g >= 0 &&
                            t.gens[static_cast<std::size_t>(g)].pid == t.settle_restart_from;
    const bool restarted =
        e.reload == Reload::kInPlace
            ? got > 0 && std::find(t.settle_workers.begin(), t.settle_workers.end(), got) !=
                             t.settle_workers.end()
            : got > 0 && got != t.settle_restart_from && !old_worker;
    r.figures["further_restart"] = {{"signal", t.settle_restart_signal},
                                    {"from_pid", t.settle_restart_from},
                                    {"answered_by", got}};
    r.summary += restarted ? "; a further SIG" + t.settle_restart_signal + " handed over to pid " +
                                 std::to_string(got)
                           : "; a further SIG" + t.settle_restart_signal + " did not hand over (" +
                                 (got > 0 ? "still answered by pid " + std::to_string(got)
                                          : std::string("no answer")) +
                                 ")";
    ok = ok && restarted;
  }
  r.verdict = ok ? Verdict::kPass : Verdict::kFail;
  return r;
}

}  // namespace zerodrop
