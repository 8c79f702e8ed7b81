// run — one scenario, end to end: launch, load, faults, settle, teardown, checks, report.
//
// Contract: run_scenario() returns the CLI's exit code — 0 every selected invariant holds,
// 1 one failed (or the server never became ready), 2 a usage or scenario error (message on
// `err`, naming file:line: field for scenario errors), 3 inconclusive: an invariant lacked
// evidence (`unknown`) or the run itself was not valid (report.hpp); 130 interrupted. The
// history is streamed to history_path (or the workdir) as the run goes. Every process it started is ended before
// it returns, whatever happens (the Launcher's destructor; SIGINT/SIGTERM of the harness are
// turned into the same teardown). report_history() re-runs the checks and the report on a
// recorded history, without any server. Both write the report files asked for (JSON, HTML,
// JUnit, markdown: report_files.hpp) from one place; a file that cannot be written is exit 2.
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "zerodrop/report_files.hpp"

namespace zerodrop {

struct RunOptions {
  std::string file;
  std::string server_cmd;    // replaces server.command (split on spaces, no shell)
  std::string report_path;   // JSON report
  std::string html_path, junit_path, summary_md_path;  // report_files.hpp
  std::string history_path;  // JSON lines
  std::map<std::string, std::string> vars;
  bool progress = false;
  bool keep_workdir = false;
  bool allow_inconclusive = false;  // exit 0 instead of 3 (the pre-0.2 behaviour)
};

int run_scenario(const RunOptions& o, std::ostream& out, std::ostream& err);
int report_history(const std::string& history_path, const std::string& report_path,
                   bool allow_inconclusive, std::ostream& out, std::ostream& err);
int report_history(const std::string& history_path, const ReportFiles& files,
                   bool allow_inconclusive, std::ostream& out, std::ostream& err);

// Defaults for {server} and {server_q1mi}: env ZERODROP_SERVER / ZERODROP_SERVER_Q1MI, else the
// paths compiled in from this build tree.
std::map<std::string, std::string> default_vars();

}  // namespace zerodrop
