// The walkthrough's transcript and its checks.
//
// Contract: Transcript prints, in order, what the walkthrough does (headings, the shell command
// a person would type, what was observed) each stamped with the seconds since the start, and
// records every check with its evidence. A check passes or fails, nothing in between: there is
// no "skipped" check — a step that could not run records a failed check saying why. summary()
// prints one line per check and returns the exit code: 0 when every check held and at least one
// ran, 1 otherwise.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace zerodrop::walkthrough {

struct CheckResult {
  std::string part;
  std::string name;
  bool passed = false;
  std::string evidence;
};

class Transcript {
 public:
  explicit Transcript(std::ostream& out);

  void part(std::string_view name, std::string_view title);
  void command(std::string_view shell);  // "$ kill -1 4242"
  void say(std::string_view text);       // an observation
  bool check(std::string_view name, bool passed, std::string_view evidence);
  void flush() { out_.flush(); }

  const std::vector<CheckResult>& checks() const { return checks_; }
  int failed() const;
  int failed_in(std::string_view part) const;
  int summary();

 private:
  std::string stamp() const;
  std::ostream& out_;
  std::chrono::steady_clock::time_point start_;
  std::string part_;
  std::vector<CheckResult> checks_;
};

}  // namespace zerodrop::walkthrough
