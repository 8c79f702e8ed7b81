// no_leaks: later generations hold no more descriptors than the first (+ slack), and no zombie
// was left behind among the server's processes. With expect.reload: in_place the main pid is the
// only generation: its count at settle, after every reload, is the later one, compared with its
// own count at ready (a master that keeps a descriptor per reload grows there).
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
  const long main = t.gens.front().pid;
  const bool in_place = e.reload == Reload::kInPlace;
  long first = -1;
  nlohmann::json counts = nlohmann::json::array();
  long worst = -1;
  bool bad = false;
  for (auto& [pid, n] : t.fd_counts) {
    counts.push_back({{"pid", pid}, {"fds", n}});
    if (pid == main && first < 0) {
      first = n;  // the first generation at ready: the baseline
      continue;
    }
    if (pid == main && !in_place) continue;  // a restart that never happened compares nothing
    if (first >= 0 && n > first + e.fd_slack) {
      bad = true;
      r.examples.push_back(static_cast<std::uint64_t>(pid));
    }
    worst = std::max(worst, n);
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
  r.summary = std::string(in_place ? "fds of the main pid at ready " : "fds first generation ") +
              std::to_string(first) +
              (worst >= 0 ? (in_place ? ", at settle " : ", later ") + std::to_string(worst)
                          : ", no later generation measured (nothing to compare)") +
              " (slack " + std::to_string(e.fd_slack) + "), " + std::to_string(t.zombies.size()) +
              " zombie(s)";
  return r;
}

}  // namespace zerodrop
