// conform/report — the climb for a person (a table: level, state, invariant, evidence) and for a
// program (JSON: every level, every scenario with its files and the command rerunning it).
#include <iomanip>

#include "zerodrop/conform.hpp"

namespace zerodrop {
namespace {

// The outcome that decides a level's row: its first failure, else its first unknown, else none.
const ConformOutcome* deciding(const LevelResult& l) {
  for (ConformVerdict v : {ConformVerdict::kFail, ConformVerdict::kUnknown})
    for (const auto& o : l.outcomes)
      if (o.verdict == v) return &o;
  return nullptr;
}

std::string scenario_names(const LevelResult& l) {
  std::string s;
  for (const auto& o : l.outcomes)
    s += (s.empty() ? "" : ", ") + o.scenario;
  return s;
}

}  // namespace

void render_climb(std::ostream& out, const Climb& c, const std::string& workdir) {
  out << "\nlevel  state    invariant                evidence\n";
  for (const auto& l : c.levels) {
    const ConformOutcome* d = l.state == "not run" ? nullptr : deciding(l);
    std::string evidence = l.state == "reached" ? "pass: " + scenario_names(l) : "-";
    if (d != nullptr) evidence = d->scenario + ": " + d->evidence;
    out << "L" << l.level << "     " << std::left << std::setw(9) << l.state << std::setw(25)
        << (d != nullptr ? d->invariant : "-") << evidence << "\n";
  }
  out << "\nlevel reached: " << c.reached << " of " << kConformLevels;
  for (const auto& l : c.levels) {
    const ConformOutcome* d = deciding(l);
    if ((l.state == "stopped" || l.state == "unknown") && d != nullptr) {
      out << " (L" << l.level << " " << l.state << " by " << d->invariant << ")";
      break;
    }
  }
  out << "\nscenarios, histories and reports: " << workdir << "\n";
}

nlohmann::json climb_json(const Climb& c, const ConformOptions& o, const std::string& workdir) {
  nlohmann::json levels = nlohmann::json::array();
  for (const auto& l : c.levels) {
    nlohmann::json scenarios = nlohmann::json::array();
    for (const auto& s : l.outcomes) {
      const std::string stem = workdir + "/" + s.scenario;
      std::string rerun = "zerodrop run " + stem + ".yaml";
      for (const auto& [k, v] : o.vars)
        rerun += " --var " + k + "=" + v;
      scenarios.push_back({{"name", s.scenario},
                           {"verdict", to_string(s.verdict)},
                           {"invariant", s.invariant},
                           {"evidence", s.evidence},
                           {"exit", s.exit},
                           {"scenario", stem + ".yaml"},
                           {"history", stem + ".jsonl"},
                           {"report", stem + ".json"},
                           {"rerun", rerun}});
    }
    const ConformOutcome* d = l.state == "not run" ? nullptr : deciding(l);
    levels.push_back({{"level", l.level},
                      {"state", l.state},
                      {"invariant", d != nullptr ? d->invariant : ""},
                      {"evidence", d != nullptr ? d->evidence : ""},
                      {"scenarios", scenarios}});
  }
  return {{"format", "zerodrop-conform/1"},
          {"server", o.server},
          {"from", o.from},
          {"requested_level", o.level},
          {"reached", c.reached},
          {"exit", c.exit},
          {"workdir", workdir},
          {"levels", levels}};
}

}  // namespace zerodrop
