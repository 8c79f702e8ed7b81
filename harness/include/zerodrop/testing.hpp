// testing — zerodrop inside a gtest suite: run a scenario file, keep its report, assert on its
// invariants with the evidence as the failure message.
//
// Contract: header-only, built on the public API of run.hpp and the JSON report (harness
// README, "History and JSON report"); link zerodrop::testing (zerodrop::harness + GTest::gtest).
// run_scenario_file() runs one scenario exactly as `zerodrop run` does — every process it starts
// is ended before it returns — and returns a ScenarioReport: the exit code, the printed table, and
// each invariant's verdict, evidence line, figures and example ids. recheck_history() does the
// same for a recorded history (`zerodrop report`), with no server. ScenarioPasses() and
// InvariantHolds() return ::testing::AssertionResult; on failure the message is the evidence,
// the table and where the server's log was kept:
//
//   auto report = zerodrop::testing::run_scenario_file("restart.yaml", "/path/to/my-server");
//   EXPECT_TRUE(zerodrop::testing::InvariantHolds(report, "no_dropped_requests"));
//   EXPECT_TRUE(zerodrop::testing::ScenarioPasses(report));
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "zerodrop/run.hpp"

namespace zerodrop::testing {

struct InvariantReport {
  std::string name;
  std::string verdict;  // "pass", "fail" or "unknown" (the data cannot decide)
  std::string summary;  // the evidence line of the table
  nlohmann::json figures = nlohmann::json::object();
  std::vector<std::uint64_t> examples;  // request ids (or pids, per invariant)
  bool passed() const { return verdict == "pass"; }
};

struct ScenarioOptions {
  std::string server;      // what the scenario's {server} stands for (as --var server=...)
  std::string server_cmd;  // replaces server.command (as --server; split on spaces)
  std::map<std::string, std::string> vars;  // more placeholders (as --var NAME=VALUE)
  std::string report_path;                  // keep the JSON report here; default: a temporary file
  std::string history_path;                 // keep the history (JSON lines) here
};

struct ScenarioReport {
  std::string file;
  int exit_code = 2;  // as `zerodrop run`: 0 pass, 1 an invariant failed, 2 scenario error,
                      // 3 inconclusive (an invariant unknown, or the run not valid)
  std::string output;   // the table and the RESULT line
  std::string errors;   // stderr of the run: scenario errors, harness diagnostics
  nlohmann::json json;  // the whole JSON report; null when the run produced none
  std::vector<InvariantReport> invariants;

  bool passed() const { return exit_code == 0; }
  const InvariantReport* find(std::string_view name) const {
    for (const auto& i : invariants)
      if (i.name == name) return &i;
    return nullptr;
  }
  // Strict: "unknown" is not a pass.
  bool passed(std::string_view name) const {
    const InvariantReport* i = find(name);
    return i != nullptr && i->passed();
  }
  // "no_dropped_requests: fail — 250 requests, 248 ok, 2 dropped (refused=2) [ids 12 40]"
  std::string evidence(std::string_view name) const {
    std::string s(name);
    const InvariantReport* i = find(name);
    if (i == nullptr) {
      s += ": not in the report of " + file + " (exit " + std::to_string(exit_code) + ")";
      if (!errors.empty()) s += ": " + errors;
      return s;
    }
    s += ": " + i->verdict + " — " + i->summary;
    if (!i->examples.empty()) {
      s += " [ids";
      for (auto id : i->examples)
        s += " " + std::to_string(id);
      s += "]";
    }
    return s;
  }
};

inline std::ostream& operator<<(std::ostream& os, const ScenarioReport& r) {
  return os << r.output << r.errors;
}

namespace detail {

// The JSON report, read back: `invariants[{name verdict summary figures examples}]`.
inline void read_report(ScenarioReport& r, const std::string& path) {
  std::ifstream f(path);
  if (!f) return;  // no report: the server never started, or a scenario error (see errors)
  r.json = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (r.json.is_discarded()) {
    r.errors += "zerodrop::testing: " + path + ": not a JSON report\n";
    r.json = nullptr;
    return;
  }
  for (const auto& j : r.json.value("invariants", nlohmann::json::array())) {
    InvariantReport i;
    i.name = j.value("name", "");
    i.verdict = j.value("verdict", "");
    i.summary = j.value("summary", "");
    i.figures = j.value("figures", nlohmann::json::object());
    for (const auto& e : j.value("examples", nlohmann::json::array()))
      if (e.is_number_unsigned()) i.examples.push_back(e.get<std::uint64_t>());
    r.invariants.push_back(std::move(i));
  }
}

// A private directory for the report nobody asked to keep; removed by the destructor.
struct TempDir {
  std::string path;
  std::string error;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "zerodrop-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      error = std::string("mkdtemp: ") + std::strerror(errno);
    else
      path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;  // best effort: a leftover report in /tmp is no test failure
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace detail

inline ScenarioReport run_scenario_file(const std::string& path,
                                        const ScenarioOptions& options = {}) {
  ScenarioReport r;
  r.file = path;
  RunOptions o;
  o.file = path;
  o.server_cmd = options.server_cmd;
  o.vars = options.vars;
  if (!options.server.empty()) o.vars["server"] = options.server;
  o.history_path = options.history_path;
  detail::TempDir tmp;
  if (!options.report_path.empty())
    o.report_path = options.report_path;
  else if (!tmp.path.empty())
    o.report_path = tmp.path + "/report.json";
  else
    r.errors = "zerodrop::testing: " + tmp.error + " (no report kept)\n";
  std::ostringstream out, err;
  r.exit_code = run_scenario(o, out, err);
  r.output = out.str();
  r.errors += err.str();
  if (!o.report_path.empty()) detail::read_report(r, o.report_path);
  return r;
}

// `server`: what the scenario's {server} placeholder stands for.
inline ScenarioReport run_scenario_file(const std::string& path, const std::string& server) {
  ScenarioOptions o;
  o.server = server;
  return run_scenario_file(path, o);
}

// Re-checks a recorded history (`zerodrop run --history`), as `zerodrop report` does.
inline ScenarioReport recheck_history(const std::string& history_path) {
  ScenarioReport r;
  r.file = history_path;
  detail::TempDir tmp;
  if (tmp.path.empty()) r.errors = "zerodrop::testing: " + tmp.error + " (no report kept)\n";
  const std::string report = tmp.path.empty() ? std::string() : tmp.path + "/report.json";
  std::ostringstream out, err;
  r.exit_code = report_history(history_path, report, /*allow_inconclusive=*/false, out, err);
  r.output = out.str();
  r.errors += err.str();
  if (!report.empty()) detail::read_report(r, report);
  return r;
}

// Passes when the invariant's verdict is "pass" ("unknown" does not); the failure message is
// its evidence line, then the whole table.
inline ::testing::AssertionResult InvariantHolds(const ScenarioReport& r, std::string_view name) {
  if (r.passed(name)) return ::testing::AssertionSuccess() << r.evidence(name);
  return ::testing::AssertionFailure() << r.evidence(name) << "\n" << r;
}

// Passes when the run passes as `zerodrop run` would (exit 0); the failure message names each
// invariant that did not pass with its evidence, then the whole table.
inline ::testing::AssertionResult ScenarioPasses(const ScenarioReport& r) {
  if (r.passed()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << r.file << ": exit " << r.exit_code << "\n";
  for (const auto& i : r.invariants)
    if (i.verdict == "fail") failure << "  " << r.evidence(i.name) << "\n";
  return failure << r;
}

}  // namespace zerodrop::testing
