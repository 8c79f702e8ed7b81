// conform — `zerodrop conform`: a fixed conformance suite run against any server command,
// reported as levels.
//
// Contract: the suite is built-in scenarios (suite.cpp builds their YAML text from the options;
// flags.cpp holds the one table mapping each flag onto its scenario key), each run through the
// same pipeline as `zerodrop run` (run_scenario(), run.hpp), each leaving its scenario file,
// history, JSON report and text report in the workdir. By default (--jobs 1) they run one after
// another in this process. --jobs N runs up to N scenarios of the same level at once, each in a
// child process `zerodrop run FILE --history … --report …` of this binary (its own process group,
// ended on SIGINT/SIGTERM: exit 130), levels still in order; the verdicts, the table (lines in
// suite order) and the JSON report are those --jobs 1 gives: a level's outcomes are kept up to
// its first scenario that does not pass, its later ones are ended or not started (their files
// may be left in the workdir), and no scenario of a higher level starts. The levels climb:
//   L1 graceful shutdown      in-flight requests finished, no accepted connection lost, the
//                             process exits 0 within its drain; past the drain, it gives up in time
//   L2 restart, fresh conns   nothing lost, in-flight served by the old generation, new by the new
//   L3 restart, keep-alive    the same over pooled keep-alive connections: no RST, and
//                             `Connection: close` announced while draining (graceful_close)
//   L4 bounded latency        p99/max inside the restart window and after it
//   L5 robust                 a signal storm coalesced, a failed restart and a crash during start
//                             leave the old generation serving and a later restart works, no fd
//                             leak or zombie over 100 restarts
// A level is reached when every invariant of its scenarios passes in a valid run and every lower
// level was reached; the climb stops at the first level that fails (exit 1) or that cannot be
// decided (an `unknown` invariant, an invalid run: exit 3; never counted as a pass; an invalid
// run, which proves nothing either way, is run once more before it counts). Levels above
// --level, and above the one that stopped the climb, are not run. Exit 0 when --level is reached,
// 2 a usage or scenario error, 130 interrupted. The report is a table (level, reached/stopped,
// invariant, evidence line) and, with --report, JSON.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace zerodrop {

inline constexpr int kConformLevels = 5;

struct ConformOptions {
  std::string server;  // --server "CMD": argv split on spaces, placeholders allowed
  // --from FILE: the server block (and reload model, drain, restart signal) of that scenario;
  // --server, when given too, replaces its command.
  std::string from;
  // Each flag below sets scenario keys (flags.cpp, kConformFlags). Empty (0) is the default:
  // the --from scenario's value, else the harness's default (written nowhere for the keys of
  // the server block, so a build without a key still runs the suite while its flag is unused).
  std::string reload_signal;   // HUP
  std::string reload;          // new_main_pid | in_place
  std::string listener;        // listen_fds | port
  std::string ready;           // notify | stdout | pid_file | http | log:REGEX
  std::string pid_header;      // X-Pid | other header | none
  std::string stop_signal;     // TERM
  int drain_ms = 0;            // the server's drain deadline (its shutdown timeout): 5000
  int startup_timeout_ms = 0;  // 5000
  int level = kConformLevels;  // climb up to this level
  int jobs = 1;             // --jobs: scenarios of a level run at once, in child processes when > 1
  std::string report_path;  // JSON
  std::string workdir;      // empty: a fresh /tmp/zerodrop-conform-XXXXXX
  std::map<std::string, std::string> vars;  // --var, as for `zerodrop run`
  bool progress = false;
};

// One built-in scenario: its level, a short name and the YAML text run_scenario() reads.
struct ConformScenario {
  int level = 0;
  std::string name;  // e.g. "L2-restart-fresh"
  std::string runs;  // what it does, one line (the table's and --help's words)
  std::string yaml;
  // A check of conform's own, beside the scenario's invariants ("" none): "deadline_honoured".
  std::string extra_check;
};

// The suite for these options, in climbing order. Throws std::invalid_argument (a usage error)
// for a flag value it cannot map.
std::vector<ConformScenario> conform_suite(const ConformOptions& o);

// What one scenario's run said, reduced to what the climb needs.
enum class ConformVerdict { kPass, kFail, kUnknown };
const char* to_string(ConformVerdict v);  // pass | fail | unknown
struct ConformOutcome {
  std::string scenario;
  ConformVerdict verdict = ConformVerdict::kUnknown;
  std::string invariant;  // the one that stopped it (the first failing, else the first unknown)
  std::string evidence;   // its evidence line (or the run's validity reasons, or why not ready)
  int exit = 0;           // run_scenario()'s exit code
};

struct LevelResult {
  int level = 0;
  std::string state;  // reached | stopped | unknown | not run
  std::vector<ConformOutcome> outcomes;
};

// The climb over outcomes already computed, one list per level (index 0 = L1): which levels are
// reached, where it stopped and why. Pure: the unit tests feed it made-up outcomes.
struct Climb {
  std::vector<LevelResult> levels;
  int reached = 0;  // the highest level reached (0: none)
  int exit = 0;     // 0 requested level reached, 1 a level failed below it, 3 unknown stopped it
};
Climb climb(const std::vector<std::vector<ConformOutcome>>& by_level, int requested);

// The whole command: builds the suite, runs it, prints the table on `out` and writes the JSON
// report. Returns the exit code above.
int run_conform(const ConformOptions& o, std::ostream& out, std::ostream& err);

// The flag → scenario key table, as --help and the README show it.
std::string conform_flags_help();

nlohmann::json climb_json(const Climb& c, const ConformOptions& o, const std::string& workdir);
void render_climb(std::ostream& out, const Climb& c, const std::string& workdir);

}  // namespace zerodrop
