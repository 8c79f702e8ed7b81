// zerodrop — command line: run a scenario, re-check a recorded history, or the walkthrough.
// CLI11 2.1's inline string code trips g++ 12's -Wnull-dereference (a false positive at -O2).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "walkthrough.hpp"
#include "zerodrop/run.hpp"
#include "zerodrop/version.hpp"

namespace {

const char* kRunHelp = R"(Run a scenario file against a server and check its invariants.

The server is started from the scenario's server.command (argv, never a shell) with
placeholders substituted: {server} (the reference zerodrop-server of this build, or
$ZERODROP_SERVER), {server_q1mi} (its "hello q1mi!" build, or $ZERODROP_SERVER_Q1MI),
{port}, {pid_file}, {workdir}, and anything given with --var NAME=VALUE.
Load, faults and expectations come from the scenario (format: harness/README.md).

Exit status: 0 every invariant holds, 1 an invariant failed or the server never became
ready, 2 a usage or scenario error, 3 inconclusive: an invariant lacked evidence
(unknown) or the run itself was not valid (a fault that did not run as written, a load
engine behind its schedule, socket errors on the harness's side).)";

const char* kReportHelp =
    R"(Re-check a recorded history (from `zerodrop run --history`) and print the
report again, without running anything. The scenario's expectations travel inside the
history. Exit status as for `run`.)";

// Installed, bin/zerodrop sits beside bin/zerodrop-server: {server} and {server_q1mi} are those
// siblings unless $ZERODROP_SERVER(_Q1MI) says otherwise. In the build tree there is no sibling
// and the paths compiled into the library stay the default.
void default_servers_beside_self() {
  std::error_code ec;
  const auto dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  if (ec) return;
  for (auto [env, name] : {std::pair{"ZERODROP_SERVER", "zerodrop-server"},
                           std::pair{"ZERODROP_SERVER_Q1MI", "zerodrop-server-q1mi"}}) {
    const auto sibling = dir / name;
    if (std::getenv(env) == nullptr && access(sibling.c_str(), X_OK) == 0)
      setenv(env, sibling.c_str(), 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "walkthrough")
    return zerodrop::walkthrough::run_walkthrough_cli(argc - 1, argv + 1);

  CLI::App app{
      "zerodrop: prove that a server restarts and shuts down gracefully.\n"
      "Launches a server, drives open-loop HTTP load at it, sends signals mid-flight,\n"
      "records every request, and checks named invariants."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "zerodrop " ZERODROP_VERSION);
  default_servers_beside_self();
  zerodrop::RunOptions ro;
  std::vector<std::string> vars;
  auto* run = app.add_subcommand("run", kRunHelp);
  run->add_option("FILE", ro.file, "scenario file (YAML)")->required();
  run->add_option("--server", ro.server_cmd,
                  "server command replacing the scenario's server.command (split on spaces, "
                  "placeholders allowed)");
  run->add_option("--report", ro.report_path,
                  "write the JSON report (every invariant and every request record) here");
  run->add_option("--html", ro.html_path,
                  "write the HTML report (one self-contained page: timeline, invariants) here");
  run->add_option("--junit", ro.junit_path, "write JUnit XML (one test case per invariant) here");
  run->add_option("--summary-md", ro.summary_md_path,
                  "write a markdown summary (for a CI job summary) here");
  run->add_option("--history", ro.history_path,
                  "write the history (JSON lines) here, for `zerodrop report`");
  run->add_option("--var", vars, "define a placeholder: NAME=VALUE (repeatable)");
  run->add_flag("--progress", ro.progress,
                "print a progress line on stderr even when it is not a terminal");
  run->add_flag("--allow-inconclusive", ro.allow_inconclusive,
                "exit 0 instead of 3 when the run is inconclusive (the report still says why)");
  run->add_flag("--keep-workdir", ro.keep_workdir,
                "keep the temporary working directory (server log, pid file) even on success");

  std::string history;
  zerodrop::ReportFiles rep_files;
  auto* rep = app.add_subcommand("report", kReportHelp);
  rep->add_option("HISTORY", history, "history file (JSON lines)")->required();
  rep->add_option("--report", rep_files.json, "write the JSON report here");
  rep->add_option("--html", rep_files.html, "write the HTML report here");
  rep->add_option("--junit", rep_files.junit, "write JUnit XML here");
  rep->add_option("--summary-md", rep_files.summary_md, "write a markdown summary here");
  rep->add_option("--figures", rep_files.figures,
                  "write the comparison figures (JSON: drops, steady/window/after latency "
                  "percentiles, signal to new generation serving) here; bench/analyze.py "
                  "renders them");
  rep->add_option("--window-ms", rep_files.figures_window_ms,
                  "the restart window of --figures: +-this around each restart fault")
      ->capture_default_str();
  bool rep_allow = false;
  rep->add_flag("--allow-inconclusive", rep_allow, "exit 0 instead of 3 when inconclusive");

  app.add_subcommand(
      "walkthrough",
      "the article's browser-and-kill-1 walkthrough (see `zerodrop walkthrough --help`)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*run) {
    for (auto& v : vars) {
      auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "zerodrop: --var expects NAME=VALUE, got \"" << v << "\"\n";
        return 2;
      }
      ro.vars[v.substr(0, eq)] = v.substr(eq + 1);
    }
    return zerodrop::run_scenario(ro, std::cout, std::cerr);
  }
  if (*rep) return zerodrop::report_history(history, rep_files, rep_allow, std::cout, std::cerr);
  return 2;
}
