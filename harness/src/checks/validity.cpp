// The run's own validity: did the harness do what the scenario said, well enough that the
// verdicts mean something? A fault that did not run as written (a signal kill() refused, a
// command that failed, a condition never met), a load engine that fell behind its schedule or
// was held back by max_outstanding, and socket trouble of the harness's own (harness_error) each
// make the run invalid: it then proves nothing either way (exit 3), and none of it is charged to
// the server.
#include <algorithm>
#include <cstdio>

#include "zerodrop/checks.hpp"

namespace zerodrop {

Validity check_validity(const History& h, const Timeline& t) {
  Validity v;
  for (auto& e : t.invalid)
    v.reasons.push_back(e.event + ": " + e.detail);
  for (auto& [pid, code] : t.command_exits)
    if (code != 0)
      v.reasons.push_back("command (pid " + std::to_string(pid) + ") exited " +
                          std::to_string(code) + ", not 0");

  std::vector<double> late;
  long harness_errors = 0;
  std::uint64_t example = 0;
  for (auto& q : h.requests) {
    late.push_back(static_cast<double>(q.start_ns - q.scheduled_ns) / 1e6);
    if (q.outcome == Outcome::kHarnessError && harness_errors++ == 0) example = q.id;
  }
  const double p50 = percentile(late, 50), p99 = percentile(late, 99), max = percentile(late, 100);
  v.figures["start_late_ms"] = {{"n", late.size()}, {"p50", p50}, {"p99", p99}, {"max", max},
                                {"bound_p99", kMaxStartLateP99Ms},
                                {"bound_max", kMaxStartLateMaxMs}};
  char buf[160];
  if (p99 > kMaxStartLateP99Ms || max > kMaxStartLateMaxMs) {
    std::snprintf(buf, sizeof buf,
                  "the load engine fell behind its schedule: start lateness p99 %.1f ms, max %.1f "
                  "ms (bounds %.0f / %.0f ms)",
                  p99, max, kMaxStartLateP99Ms, kMaxStartLateMaxMs);
    v.reasons.emplace_back(buf);
  }
  v.figures["harness_errors"] = harness_errors;
  if (harness_errors > 0)
    v.reasons.push_back(std::to_string(harness_errors) +
                        " request(s) failed on the harness's side (harness_error, e.g. request " +
                        std::to_string(example) + "): not charged to the server");
  if (t.load_planned >= 0) {
    v.figures["planned"] = t.load_planned;
    v.figures["issued"] = t.load_issued;
    v.figures["saturated"] = t.load_saturated;
    if (t.load_saturated > 0)
      v.reasons.push_back("load.max_outstanding was reached: starts were held back " +
                          std::to_string(t.load_saturated) + " time(s)");
    if (t.load_planned > 0 && t.load_issued < t.load_planned)
      v.reasons.push_back(std::to_string(t.load_planned - t.load_issued) + " of " +
                          std::to_string(t.load_planned) + " scheduled requests were never issued");
  }
  return v;
}

}  // namespace zerodrop
