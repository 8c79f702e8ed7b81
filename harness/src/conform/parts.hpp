// conform/parts — what the files of `zerodrop conform` share (zerodrop/conform.hpp is the
// command's contract): flags.cpp maps the flags onto scenario keys, suite.cpp builds the
// scenarios, run_one.cpp runs one through run_scenario() and reduces its result, deadline.cpp is
// conform's one check of its own, climb.cpp computes the levels, report.cpp renders them,
// conform.cpp is the script.
#pragma once

#include <yaml-cpp/yaml.h>

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

// Runs one scenario of the suite through run_scenario(), its files in `workdir`
// (<name>.yaml, .jsonl, .json, .txt), and reduces its result to what the climb needs.
// A usage or scenario error (exit 2) or an interruption (130) is returned as the outcome's exit.
ConformOutcome run_one(const ConformScenario& s, const ConformOptions& o,
                       const std::string& workdir, std::ostream& err);

}  // namespace zerodrop::conform
