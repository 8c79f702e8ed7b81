// conform/run_one — one scenario of the suite through `zerodrop run`'s pipeline in this process
// (--jobs 1), and what the climb needs from a run's result, however it ran (jobs.cpp's child
// processes too): pass, or the invariant that failed (or could not be decided) and its evidence
// line, as the run's own report words it.
#include <deque>
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

RunFiles files_of(const ConformScenario& s, const std::string& workdir) {
  const std::string stem = workdir + "/" + s.name;
  return {stem + ".yaml", stem + ".jsonl", stem + ".json", stem + ".txt"};
}

bool write_scenario(const ConformScenario& s, const RunFiles& f, std::ostream& err) {
  std::ofstream y(f.yaml);
  y << s.yaml;
  if (!y) {
    err << "zerodrop conform: cannot write " << f.yaml << "\n";
    return false;
  }
  return true;
}

ConformOutcome reduce_run(const ConformScenario& s, const RunFiles& f, int exit,
                          const std::string& run_err, std::ostream& err) {
  ConformOutcome c;
  c.scenario = s.name;
  c.exit = exit;
  if (c.exit == kExitUsage || c.exit == 130) {
    err << run_err;
    c.evidence = first_line(run_err);
    return c;
  }
  History h;
  Scenario sc;
  try {
    h = read_history(f.history);
    sc = parse_scenario_text(h.scenario_yaml, h.scenario_file);
  } catch (const std::exception& e) {
    err << "zerodrop conform: " << f.history << ": " << e.what() << "\n";
    c.exit = kExitUsage;
    return c;
  }
  for (const auto& e : h.events)
    if (e.event == "not_ready") {
      c.verdict = ConformVerdict::kFail;
      c.invariant = "ready";
      c.evidence = "the server did not become ready (" + e.detail + ", startup timeout " +
                   std::to_string(sc.startup_timeout_ms) + " ms); " + f.text;
      return c;
    }
  const Timeline t = build_timeline(h);
  std::vector<CheckResult> results = run_checks(h, sc.expect);
  if (s.extra_check == "deadline_honoured")
    results.push_back(check_deadline_honoured(h, sc.expect, t));
  reduce(results, check_validity(h, t), c);
  return c;
}

namespace {

// Each scenario through run_scenario() here, one at a time: start() runs it to its end.
class InProcessRuns final : public Runs {
 public:
  InProcessRuns(const ConformOptions& o, std::string workdir, std::ostream& err)
      : o_(o), workdir_(std::move(workdir)), err_(err) {}

  void start(std::size_t id, const ConformScenario& s) override {
    const RunFiles f = files_of(s, workdir_);
    if (!write_scenario(s, f, err_)) {
      ended_.push_back({id, {s.name, ConformVerdict::kUnknown, "", "", kExitUsage}});
      return;
    }
    RunOptions ro;
    ro.file = f.yaml;
    ro.history_path = f.history;
    ro.report_path = f.report;
    ro.vars = o_.vars;
    ro.progress = o_.progress;
    std::ofstream text(f.text);
    std::ostringstream run_err;
    const int exit = run_scenario(ro, text, run_err);
    text << run_err.str();
    ended_.push_back({id, reduce_run(s, f, exit, run_err.str(), err_)});
  }
  Done next() override {
    Done d = ended_.front();
    ended_.pop_front();
    return d;
  }
  void cancel(std::size_t) override {}  // nothing is ever running between calls
  std::size_t running() const override { return ended_.size(); }

 private:
  const ConformOptions& o_;
  std::string workdir_;
  std::ostream& err_;
  std::deque<Done> ended_;
};

}  // namespace

std::unique_ptr<Runs> in_process_runs(const ConformOptions& o, const std::string& workdir,
                                      std::ostream& err) {
  return std::make_unique<InProcessRuns>(o, workdir, err);
}

}  // namespace zerodrop::conform
