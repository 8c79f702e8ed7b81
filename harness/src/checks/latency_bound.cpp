// latency_bound: p50/p99/max of fast requests scheduled in a window around each signal, against
// the steady state before the first one. Latency runs from the scheduled start (open loop), so a
// stall shows even though the requests behind it were sent late.
#include <algorithm>

#include "zerodrop/checks.hpp"

namespace zerodrop {

CheckResult check_latency_bound(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = "latency_bound";
  std::int64_t first_fault = t.signals.empty() ? INT64_MAX : t.signals.front().first;
  const std::int64_t w = static_cast<std::int64_t>(e.window_ms) * 1'000'000;
  std::vector<double> steady, window;
  std::uint64_t worst_id = 0;
  double worst = -1;
  for (auto& q : h.requests) {
    if (q.outcome != Outcome::ok || q.kind != "fast") continue;
    double ms = static_cast<double>(q.end_ns - q.scheduled_ns) / 1e6;
    if (q.scheduled_ns < first_fault - w) steady.push_back(ms);
    bool in_window = false;
    for (auto& [at, name] : t.signals)
      if (q.scheduled_ns >= at - w && q.scheduled_ns <= at + w) in_window = true;
    if (in_window) {
      window.push_back(ms);
      if (ms > worst) {
        worst = ms;
        worst_id = q.id;
      }
    }
  }
  double sp50 = percentile(steady, 50), sp99 = percentile(steady, 99),
         smax = percentile(steady, 100);
  double wp50 = percentile(window, 50), wp99 = percentile(window, 99),
         wmax = percentile(window, 100);
  r.figures = {
      {"steady", {{"n", steady.size()}, {"p50_ms", sp50}, {"p99_ms", sp99}, {"max_ms", smax}}},
      {"window", {{"n", window.size()}, {"p50_ms", wp50}, {"p99_ms", wp99}, {"max_ms", wmax}}},
      {"bounds",
       {{"p99_ms", e.p99_ms},
        {"max_ms", e.max_ms},
        {"p99_relative", e.p99_relative},
        {"p99_floor_ms", e.p99_floor_ms},
        {"window_ms", e.window_ms}}}};
  if (worst_id || worst >= 0) r.examples.push_back(worst_id);
  char buf[256];
  std::snprintf(buf, sizeof buf, "p50/p99/max steady %.2f/%.2f/%.2f ms, window %.2f/%.2f/%.2f ms",
                sp50, sp99, smax, wp50, wp99, wmax);
  r.summary = buf;
  if (e.p99_ms <= 0 && e.max_ms <= 0 && e.p99_relative <= 0) {
    r.verdict = Verdict::unknown;
    r.summary += " (no bound set)";
    return r;
  }
  if (window.empty() || (e.p99_relative > 0 && steady.empty())) {
    r.verdict = Verdict::unknown;
    r.summary += " (no samples to compare)";
    return r;
  }
  std::string broken;
  if (e.p99_ms > 0 && wp99 > e.p99_ms)
    broken += " p99>" + std::to_string(static_cast<int>(e.p99_ms)) + "ms";
  if (e.max_ms > 0 && wmax > e.max_ms)
    broken += " max>" + std::to_string(static_cast<int>(e.max_ms)) + "ms";
  if (e.p99_relative > 0 && wp99 > sp99 * e.p99_relative + e.p99_floor_ms)
    broken += " p99>steady*" + std::to_string(e.p99_relative).substr(0, 4) + "+floor";
  r.verdict = broken.empty() ? Verdict::pass : Verdict::fail;
  if (!broken.empty()) r.summary += ";" + broken;
  return r;
}

}  // namespace zerodrop
