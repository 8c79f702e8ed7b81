// conform/parts — what the files of `zerodrop conform` share (zerodrop/conform.hpp is the
// command's contract): flags.cpp maps the flags onto scenario keys, suite.cpp builds the
// scenarios, run_one.cpp runs one through run_scenario() and reduces a run's result, jobs.cpp
// runs them in child processes instead (--jobs), deadline.cpp is conform's one check of its own,
// climb.cpp computes the levels, report.cpp renders them, conform.cpp is the script.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "zerodrop/checks.hpp"
#include "zerodrop/conform.hpp"

namespace zerodrop::conform {

// Sets, in every scenario of the suite, each key the table (kConformFlags) maps a given flag
// onto. A flag left empty writes nothing: the scenario keeps the harness's default, so a build
// without a key still runs the suite as long as its flag is not used.
void apply_flags(YAML::Node& scenario, const ConformOptions& o);

// --server split on spaces (no shell, as `zerodrop run --server`); a bare argv[0] without a
// placeholder is looked up in PATH, so that copy_binary (L5) can copy it.
std::vector<std::string> server_argv(const std::string& server);

// --from FILE (from_scenario.cpp): a copy of FILE's server block; fills in the options the
// flags left unset (reload model, drain, restart signal). Throws std::invalid_argument.
YAML::Node server_from(const std::string& file, ConformOptions& o);

// The check of L1's deadline scenario: the last generation, stopped with a request in flight
// that outlasts its drain deadline, exits (with any code) within drain_ms + slack_ms of the
// stop signal. Unknown without a stop signal or without such a request.
CheckResult check_deadline_honoured(const History& h, const Expect& e, const Timeline& t);

// The files of one scenario's run in the workdir: <name>.yaml (its scenario), .jsonl (history),
// .json (JSON report), .txt (text report, then the run's stderr).
struct RunFiles {
  std::string yaml, history, report, text;
};
RunFiles files_of(const ConformScenario& s, const std::string& workdir);

// Writes s's YAML text to f.yaml; false (said on err) when it cannot.
bool write_scenario(const ConformScenario& s, const RunFiles& f, std::ostream& err);

// The step both ways of running a scenario share: one finished `zerodrop run` of s (its exit code
// and what it wrote on stderr) reduced to what the climb needs, from its history. A usage or
// scenario error (exit 2) or an interruption (130) is returned as the outcome's exit, with the
// run's stderr passed on to err.
ConformOutcome reduce_run(const ConformScenario& s, const RunFiles& f, int exit,
                          const std::string& run_err, std::ostream& err);

// Where the suite's scenarios run (conform.cpp's climb drives either the same way): start()
// begins one run of a scenario, next() awaits a run that ended (in the order they end) and
// returns its outcome, cancel() ends a run whose outcome is no longer needed, running() counts
// the runs started and not yet returned by next() or cancelled.
class Runs {
 public:
  struct Done {
    std::size_t id = 0;  // as given to start()
    ConformOutcome outcome;
  };
  virtual ~Runs() = default;
  virtual void start(std::size_t id, const ConformScenario& s) = 0;
  virtual Done next() = 0;
  virtual void cancel(std::size_t id) = 0;
  virtual std::size_t running() const = 0;
};

// --jobs 1 (run_one.cpp): each scenario through run_scenario() in this process when started
// (start() returns once it ended; next() hands its outcome over), as conform always did.
std::unique_ptr<Runs> in_process_runs(const ConformOptions& o, const std::string& workdir,
                                      std::ostream& err);

// --jobs N > 1 (jobs.cpp): each scenario in a child process, `zerodrop run FILE --history …
// --report …` of this very binary (/proc/self/exe), started by proc::spawn (its own process
// group, PR_SET_PDEATHSIG) and awaited by pidfd. SIGINT/SIGTERM of this process are taken on a
// signalfd while it exists: next() then ends every child's group and returns exit 130. Its
// destructor ends the groups of the children still running.
std::unique_ptr<Runs> child_runs(const ConformOptions& o, const std::string& workdir,
                                 std::ostream& err);

// The scenarios of one level (in suite order) through `runs`, up to `jobs` at once (1: one after
// another, as before --jobs existed), each line of the table printed on `out` in suite order once
// the lines before it are out. An invalid run is run once more (the table says so). The
// outcomes kept (appended to `kept`) are those up to the first one, in suite order, that does not
// pass: once it is known, the level's later scenarios are not started and those running are
// cancelled, so the result is the one running them one after another gives, in whatever order
// they end. Returns 0, or the exit code that ends the command at once (2 a usage error of a kept
// scenario, 130 interrupted).
int climb_level(const std::vector<const ConformScenario*>& level, int jobs, Runs& runs,
                std::vector<ConformOutcome>& kept, std::ostream& out);

}  // namespace zerodrop::conform
