// report_files — the report files a run leaves for people and for CI: JSON, an HTML timeline,
// JUnit XML, a markdown summary.
//
// Contract: each render_* function writes one whole document from the History, the checks'
// results and the run's validity, and nothing else (it needs no server, so `zerodrop report`
// renders a recorded run exactly as `zerodrop run` rendered it live). render_html() is one
// self-contained page (inline CSS, inline JS, data as one inline JSON array; no network, no
// external font or script): a timeline with one point per request (x scheduled start, y latency
// on a log scale, colour its generation, a cross for every outcome other than ok), a band per
// generation from takeover to exit (or the end of the run), a vertical line per fault fired,
// hover for a request's record; the invariant table whose example ids link to their points
// (#req-ID) or bands (#pid-PID); the validity; the result word. render_junit() writes one
// <testcase> per selected invariant (classname the scenario, <failure> with the evidence line
// for fail, <skipped> for unknown) plus "run_validity", failing when the run is not valid, with
// the counts in <testsuite> and <testsuites>. render_markdown() writes a GitHub-flavoured summary:
// the result, one table row per invariant, the validity's reasons. write_reports() writes every
// file whose path is not empty; it returns false, naming the file and the error on `err`, when
// one could not be written.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "zerodrop/checks.hpp"
#include "zerodrop/history.hpp"

namespace zerodrop {

struct ReportFiles {
  std::string json;        // --report
  std::string html;        // --html
  std::string junit;       // --junit
  std::string summary_md;  // --summary-md
  std::string figures = {};        // --figures (run.cpp and tests leave it out: a default)
  double figures_window_ms = 500;  // --window-ms
};

void render_html(std::ostream& out, const std::string& name, const History& h,
                 const std::vector<CheckResult>& results, const Validity& validity);
void render_junit(std::ostream& out, const std::string& name, const History& h,
                  const std::vector<CheckResult>& results, const Validity& validity);
void render_markdown(std::ostream& out, const std::string& name, const History& h,
                     const std::vector<CheckResult>& results, const Validity& validity);

// The figures bench/analyze.py tabulates (the peer comparison), one JSON object: the result and
// failed invariants; requests, ok, dropped, drops by outcome class and by connection mode and
// method; restarts (the nemesis's signals and commands: "restart faults") and drops per restart;
// latency of ok fast requests from their scheduled start (open loop), split by
// Timeline::span_of() around the restart faults +-window_ms into steady (before the first
// window), window and after (past the last window, before a shutdown), each as n, p50, p99, max
// (nearest rank, stats.hpp; null when empty); per restart fault the time to the first response
// from a pid that had not answered before it (new_gen_serving_ms, its nearest-rank median);
// the harness's signal-to-ready times (and their nearest-rank median); the achieved ok rate;
// distinct pids.
nlohmann::json render_figures(const History& h, const std::vector<CheckResult>& results,
                              const Validity& validity, double window_ms);

bool write_reports(const ReportFiles& files, const std::string& name, const History& h,
                   const std::vector<CheckResult>& results, const Validity& validity,
                   std::ostream& err);

}  // namespace zerodrop
