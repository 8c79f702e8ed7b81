// render_figures (report_files.hpp): the comparison figures bench/analyze.py tabulates, computed
// once, here, with the checks' own definitions (Timeline::span_of, nearest-rank percentiles).
#include <algorithm>
#include <map>
#include <set>

#include "zerodrop/report.hpp"
#include "zerodrop/report_files.hpp"

namespace zerodrop {

namespace {
nlohmann::json or_null(bool have, double v) {
  return have ? nlohmann::json(v) : nlohmann::json(nullptr);
}

void put_summary(nlohmann::json& j, const std::string& prefix, const std::vector<double>& ms) {
  const Summary s = summarize(ms);
  j[prefix + "_n"] = s.n;
  j[prefix + "_p50_ms"] = or_null(s.n > 0, s.p50);
  j[prefix + "_p99_ms"] = or_null(s.n > 0, s.p99);
  j[prefix + "_max_ms"] = or_null(s.n > 0, s.max);
}

// Per restart fault: the first byte of the first response from a pid that had not answered
// before the fault, minus the fault's time, in ms (resolution: the request rate). No peer's own
// notion of "ready" is trusted: only answers count.
std::vector<double> new_generation_serving_ms(const History& h,
                                              const std::vector<std::int64_t>& faults) {
  std::vector<std::pair<std::int64_t, long>> answered;  // (first byte, pid)
  for (const auto& q : h.requests)
    if (q.outcome == Outcome::kOk && q.pid != 0) answered.emplace_back(q.first_byte_ns, q.pid);
  std::sort(answered.begin(), answered.end());
  std::vector<double> out;
  for (std::int64_t f : faults) {
    std::set<long> seen;
    for (const auto& [t, pid] : answered)
      if (t < f) seen.insert(pid);
    for (const auto& [t, pid] : answered)
      if (t >= f && seen.count(pid) == 0) {
        out.push_back(static_cast<double>(t - f) / 1e6);
        break;
      }
  }
  return out;
}
}  // namespace

nlohmann::json render_figures(const History& h, const std::vector<CheckResult>& results,
                              const Validity& validity, double window_ms) {
  const Timeline t = build_timeline(h);
  const std::vector<std::int64_t> faults = t.restart_fault_times();
  const auto w = static_cast<std::int64_t>(window_ms * 1e6);
  std::map<std::string, long> by_class, by_conn;
  std::vector<double> steady, window, after;
  std::set<long> pids;
  long ok = 0, dropped = 0;
  std::int64_t first = INT64_MAX, last = INT64_MIN;
  for (const auto& q : h.requests) {
    first = std::min(first, q.scheduled_ns);
    last = std::max(last, q.scheduled_ns);
    if (q.pid != 0) pids.insert(q.pid);
    if (q.outcome != Outcome::kOk) {
      ++dropped;
      ++by_class[to_string(q.outcome)];
      ++by_conn[std::string(q.keepalive ? "keepalive " : "fresh ") + q.method];
      continue;
    }
    ++ok;
    if (q.kind != "fast") continue;
    const double ms = static_cast<double>(q.end_ns - q.scheduled_ns) / 1e6;
    switch (t.span_of(q.scheduled_ns, w, faults)) {
      case Timeline::Span::kSteady:
        steady.push_back(ms);
        break;
      case Timeline::Span::kWindow:
        window.push_back(ms);
        break;
      case Timeline::Span::kAfter:
        after.push_back(ms);
        break;
      case Timeline::Span::kOther:
        break;
    }
  }
  std::vector<std::string> failed;
  for (const auto& r : results)
    if (r.verdict == Verdict::kFail) failed.push_back(r.name);
  const std::vector<double> to_new = new_generation_serving_ms(h, faults);
  const std::vector<double> ready = t.restart_times_ms();
  const double span_s = h.requests.size() > 1 ? static_cast<double>(last - first) / 1e9 : 0;
  nlohmann::json j = {
      {"format", "zerodrop-figures/1"},
      {"result", result_word(results, validity)},
      {"failed_invariants", failed},
      {"requests", h.requests.size()},
      {"ok", ok},
      {"dropped", dropped},
      {"drops_by_class", by_class},
      {"drops_by_conn", by_conn},
      {"restarts", faults.size()},
      {"drops_per_restart",
       or_null(!faults.empty(), static_cast<double>(dropped) / static_cast<double>(faults.size()))},
      {"window_ms", window_ms},
      {"new_gen_serving_ms", to_new},
      {"new_gen_serving_median_ms", or_null(!to_new.empty(), percentile(to_new, 50))},
      {"new_gens_seen", to_new.size()},
      {"harness_ready_ms", ready},
      {"harness_ready_median_ms", or_null(!ready.empty(), percentile(ready, 50))},
      {"rate_ok_per_s", or_null(span_s > 0, static_cast<double>(ok) / span_s)},
      {"pids", pids.size()},
  };
  put_summary(j, "steady", steady);
  put_summary(j, "window", window);
  put_summary(j, "after", after);
  return j;
}

}  // namespace zerodrop
