// conform/run_one — one scenario of the suite through `zerodrop run`'s pipeline, and what the
// climb needs from its result: pass, or the invariant that failed (or could not be decided) and
// its evidence line, as the run's own report words it.
#include <fstream>
#include <sstream>

#include "parts.hpp"
#include "zerodrop/report.hpp"
#include "zerodrop/run.hpp"

namespace zerodrop::conform {
namespace {

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

// The outcome of a run that checked its invariants: an invalid run proves nothing (unknown,
// whatever failed, as `zerodrop run` exits 3); else the first failing invariant in report order;
// else the first unknown one.
void reduce(const std::vector<CheckResult>& results, const Validity& validity, ConformOutcome& c) {
  if (!validity.valid()) {
    c.verdict = ConformVerdict::kUnknown;
    c.invariant = "run_validity";
    for (const auto& why : validity.reasons)
      c.evidence += (c.evidence.empty() ? "" : "; ") + why;
    return;
  }
  for (Verdict v : {Verdict::kFail, Verdict::kUnknown})
    for (const auto& r : results)
      if (r.verdict == v) {
        c.verdict = v == Verdict::kFail ? ConformVerdict::kFail : ConformVerdict::kUnknown;
        c.invariant = r.name;
        c.evidence = evidence_line(r);
        return;
      }
  // Neither failed nor undecided: passed, or not applicable to this server (pid_header: none).
  // A level passes with those, and its evidence names them: nothing passes silently.
  c.verdict = ConformVerdict::kPass;
  std::size_t passed = 0;
  std::string na;
  for (const auto& r : results)
    if (r.verdict == Verdict::kPass)
      ++passed;
    else
      na += (na.empty() ? "" : ", ") + r.name;
  c.evidence =
      std::to_string(passed) + " invariant(s) pass" + (na.empty() ? "" : "; not applicable: " + na);
}

}  // namespace

ConformOutcome run_one(const ConformScenario& s, const ConformOptions& o,
                       const std::string& workdir, std::ostream& err) {
  ConformOutcome c;
  c.scenario = s.name;
  const std::string stem = workdir + "/" + s.name;
  RunOptions ro;
  ro.file = stem + ".yaml";
  ro.history_path = stem + ".jsonl";
  ro.report_path = stem + ".json";
  ro.vars = o.vars;
  ro.progress = o.progress;
  {
    std::ofstream y(ro.file);
    y << s.yaml;
    if (!y) {
      err << "zerodrop conform: cannot write " << ro.file << "\n";
      c.exit = kExitUsage;
      return c;
    }
  }
  std::ofstream text(stem + ".txt");
  std::ostringstream run_err;
  c.exit = run_scenario(ro, text, run_err);
  text << run_err.str();
  if (c.exit == kExitUsage || c.exit == 130) {
    err << run_err.str();
    c.evidence = first_line(run_err.str());
    return c;
  }
  History h;
  Scenario sc;
  try {
    h = read_history(ro.history_path);
    sc = parse_scenario_text(h.scenario_yaml, h.scenario_file);
  } catch (const std::exception& e) {
    err << "zerodrop conform: " << ro.history_path << ": " << e.what() << "\n";
    c.exit = kExitUsage;
    return c;
  }
  for (const auto& e : h.events)
    if (e.event == "not_ready") {
      c.verdict = ConformVerdict::kFail;
      c.invariant = "ready";
      c.evidence = "the server did not become ready (" + e.detail + ", startup timeout " +
                   std::to_string(sc.startup_timeout_ms) + " ms); " + stem + ".txt";
      return c;
    }
  const Timeline t = build_timeline(h);
  std::vector<CheckResult> results = run_checks(h, sc.expect);
  if (s.extra_check == "deadline_honoured")
    results.push_back(check_deadline_honoured(h, sc.expect, t));
  reduce(results, check_validity(h, t), c);
  return c;
}

}  // namespace zerodrop::conform
