// zerodrop — command line: run a scenario, re-check a recorded history, or the walkthrough.
// CLI11 2.1's inline string code trips g++ 12's -Wnull-dereference (a false positive at -O2).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include "walkthrough.hpp"
#include "zerodrop/conform.hpp"
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

const char* kConformHelp =
    R"(Run a fixed conformance suite against any server command and report the level
it reaches. Each level is a few built-in scenarios, run one after another through the same
pipeline as `zerodrop run` (each one's scenario file, history, JSON and text report are left in
--workdir; `zerodrop run WORKDIR/NAME.yaml` reruns one):
  L1 graceful shutdown   L1-shutdown: stop signal with slow requests in flight, after the last
                         new connection: each finishes, exit 0 within the drain.
                         L1-deadline: a request longer than the drain in flight: the server
                         gives up at its deadline (deadline_honoured, any exit code).
  L2 restart, fresh      L2-restart-fresh: reload signal under 300 req/s, slow requests in
                         flight: nothing lost, in-flight by the old generation, new by the new.
  L3 restart, keep-alive L3-restart-keepalive: the same over a keep-alive pool: no RST,
                         `Connection: close` while draining (graceful_close).
  L4 bounded latency     L4-latency: p99/max of fast requests in the restart window and after.
  L5 robust              L5-storm (20 signals 5 ms apart), L5-failed-restart (binary replaced by
                         /bin/false), L5-crash-during-start (a binary that dies of SIGSEGV),
                         L5-leaks (100 restarts back to back: no fd growth, no zombie).
A level is reached when every invariant of its scenarios passes in a valid run and every lower
level was reached; the climb stops at the first scenario that does not pass (an invalid run,
which proves nothing, is run once more). L1-L4 take about 10 s plus the drain; L5 about 15 s.
--jobs N runs up to N scenarios of the same level at once (L1 has 2, L5 has 4), each in a child
process `zerodrop run` of this binary; levels still climb in order, a level's scenarios after
its first failure are ended and left out: the verdicts and the table are those of --jobs 1.

Exit status: 0 the requested --level is reached, 1 an invariant failed below it, 2 a usage or
scenario error, 3 an invariant could not be decided (unknown) or a run was invalid below it,
130 interrupted.)";

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

// --var NAME=VALUE, for `run` and `conform`.
bool parse_vars(const std::vector<std::string>& given, std::map<std::string, std::string>& vars) {
  for (const auto& v : given) {
    const auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "zerodrop: --var expects NAME=VALUE, got \"" << v << "\"\n";
      return false;
    }
    vars[v.substr(0, eq)] = v.substr(eq + 1);
  }
  return true;
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

  zerodrop::ConformOptions co;
  std::vector<std::string> conform_vars;
  auto* conf = app.add_subcommand("conform", kConformHelp);
  conf->footer(zerodrop::conform_flags_help());
  conf->add_option("--server", co.server,
                   "the server command (argv split on spaces, no shell; placeholders allowed)");
  conf->add_option("--from", co.from,
                   "take the server from this scenario file: its server block, expect.reload, "
                   "expect.drain_ms and restart signal (flags given override them)");
  conf->add_option("--reload-signal", co.reload_signal, "the signal that restarts it (HUP)");
  conf->add_option("--reload", co.reload, "new_main_pid | in_place (expect.reload)");
  conf->add_option("--listener", co.listener, "listen_fds | port (server.listener)");
  conf->add_option("--ready", co.ready,
                   "notify | stdout | pid_file | http | log:REGEX (server.ready)");
  conf->add_option("--pid-header", co.pid_header, "X-Pid | HEADER | none (server.pid_header)");
  conf->add_option("--stop-signal", co.stop_signal, "the signal that stops it gracefully (TERM)");
  conf->add_option("--drain-ms", co.drain_ms, "its drain deadline (shutdown timeout), ms (5000)");
  conf->add_option("--startup-timeout-ms", co.startup_timeout_ms, "readiness timeout, ms (5000)");
  conf->add_option("--level", co.level, "climb up to this level (1-5)")->capture_default_str();
  conf->add_option("--report", co.report_path, "write the JSON report here");
  conf->add_option("--workdir", co.workdir,
                   "keep each scenario's files here (default: a new /tmp/zerodrop-conform-*)");
  conf->add_option("--var", conform_vars, "define a placeholder: NAME=VALUE (repeatable)");
  conf->add_option("--jobs", co.jobs,
                   "run up to N scenarios of a level at once, each in a child `zerodrop run` "
                   "(levels still in order; verdicts and table as with 1)")
      ->capture_default_str();
  conf->add_flag("--progress", co.progress, "print each run's progress line on stderr");

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
    if (!parse_vars(vars, ro.vars)) return 2;
    return zerodrop::run_scenario(ro, std::cout, std::cerr);
  }
  if (*conf) {
    if (!parse_vars(conform_vars, co.vars)) return 2;
    return zerodrop::run_conform(co, std::cout, std::cerr);
  }
  if (*rep) return zerodrop::report_history(history, rep_files, rep_allow, std::cout, std::cerr);
  return 2;
}
