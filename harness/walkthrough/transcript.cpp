// See transcript.hpp.
#include "transcript.hpp"

#include <cstdio>

namespace zerodrop::walkthrough {

Transcript::Transcript(std::ostream& out) : out_(out), start_(std::chrono::steady_clock::now()) {}

std::string Transcript::stamp() const {
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%6.3fs] ", s);
  return buf;
}

void Transcript::part(std::string_view name, std::string_view title) {
  part_ = std::string(name);
  out_ << "\n== " << title << " ==\n";
  out_.flush();
}

void Transcript::command(std::string_view shell) {
  out_ << stamp() << "$ " << shell << "\n";
  out_.flush();
}

void Transcript::say(std::string_view text) {
  out_ << stamp() << "  " << text << "\n";
  out_.flush();
}

bool Transcript::check(std::string_view name, bool passed, std::string_view evidence) {
  checks_.push_back(CheckResult{part_, std::string(name), passed, std::string(evidence)});
  out_ << stamp() << (passed ? "  [PASS] " : "  [FAIL] ") << name << " -- " << evidence << "\n";
  out_.flush();
  return passed;
}

int Transcript::failed() const {
  int n = 0;
  for (const auto& c : checks_)
    n += c.passed ? 0 : 1;
  return n;
}

int Transcript::failed_in(std::string_view part) const {
  int n = 0;
  for (const auto& c : checks_)
    n += (!c.passed && c.part == part) ? 1 : 0;
  return n;
}

int Transcript::summary() {
  out_ << "\n== summary ==\n";
  for (const auto& c : checks_)
    out_ << (c.passed ? "  PASS  " : "  FAIL  ") << c.part << ": " << c.name << "\n";
  int bad = failed();
  int total = static_cast<int>(checks_.size());
  if (total == 0) {
    out_ << "walkthrough: no check ran -- FAILED\n";
    return 1;
  }
  out_ << "walkthrough: " << total - bad << " of " << total << " checks held"
       << (bad == 0 ? " -- OK\n" : " -- FAILED\n");
  out_.flush();
  return bad == 0 ? 0 : 1;
}

}  // namespace zerodrop::walkthrough
