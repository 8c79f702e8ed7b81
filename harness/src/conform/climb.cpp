// conform/climb — levels from the scenarios' outcomes. A level is reached when every scenario of
// it passed and the level below was reached; the first level that is not reached stops the climb,
// as `stopped` (a failed invariant) or `unknown` (nothing failed, something could not be decided:
// never counted as a pass). Levels past it, or with no outcome, are `not run`.
#include "zerodrop/conform.hpp"

namespace zerodrop {

const char* to_string(ConformVerdict v) {
  return v == ConformVerdict::kPass ? "pass" : v == ConformVerdict::kFail ? "fail" : "unknown";
}

Climb climb(const std::vector<std::vector<ConformOutcome>>& by_level, int requested) {
  Climb c;
  bool climbing = true;
  int stop_exit = 3;  // nothing ran up to the requested level: undecided
  for (int level = 1; level <= kConformLevels; ++level) {
    LevelResult l;
    l.level = level;
    l.state = "not run";
    if (static_cast<std::size_t>(level) <= by_level.size() && !by_level[level - 1].empty()) {
      l.outcomes = by_level[level - 1];
      if (climbing) {
        bool failed = false, unknown = false;
        for (const auto& o : l.outcomes) {
          failed = failed || o.verdict == ConformVerdict::kFail;
          unknown = unknown || o.verdict == ConformVerdict::kUnknown;
        }
        l.state = failed ? "stopped" : unknown ? "unknown" : "reached";
        if (l.state == "reached") {
          c.reached = level;
        } else {
          climbing = false;
          stop_exit = failed ? 1 : 3;
        }
      }
    } else {
      climbing = false;
    }
    c.levels.push_back(l);
  }
  c.exit = c.reached >= requested ? 0 : stop_exit;
  return c;
}

}  // namespace zerodrop
