// no_leaks: later generations hold no more descriptors than the first (+ slack), and no zombie
// was left behind among the server's processes.
#include "zerodrop/checks.hpp"

namespace zerodrop {

CheckResult check_no_leaks(const History&, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = to_string(Invariant::kNoLeaks);
  if (t.gens.empty() || t.fd_counts.empty()) {
    r.verdict = Verdict::kUnknown;
    r.summary = "no fd counts recorded";
    return r;
  }
  long first = -1;
  for (auto& [pid, n] : t.fd_counts)
    if (pid == t.gens.front().pid) {
      first = n;
      break;
    }
  nlohmann::json counts = nlohmann::json::array();
  long worst = -1;
  bool bad = false;
  for (auto& [pid, n] : t.fd_counts) {
    counts.push_back({{"pid", pid}, {"fds", n}});
    if (pid != t.gens.front().pid && first >= 0 && n > first + e.fd_slack) {
      bad = true;
      r.examples.push_back(static_cast<std::uint64_t>(pid));
    }
    if (pid != t.gens.front().pid) worst = std::max(worst, n);
  }
  r.figures = {{"fd_counts", counts},
               {"first_generation_fds", first},
               {"slack", e.fd_slack},
               {"zombies", t.zombies}};
  if (!t.zombies.empty()) bad = true;
  if (first < 0) {
    r.verdict = Verdict::kUnknown;
    r.summary = "first generation's fd count missing";
    return r;
  }
  r.verdict = bad ? Verdict::kFail : worst < 0 ? Verdict::kUnknown : Verdict::kPass;
  r.summary = "fds first generation " + std::to_string(first) +
              (worst >= 0 ? ", later " + std::to_string(worst)
                           : ", no later generation measured (nothing to compare)") +
              " (slack " + std::to_string(e.fd_slack) + "), " + std::to_string(t.zombies.size()) +
              " zombie(s)";
  return r;
}

}  // namespace zerodrop
