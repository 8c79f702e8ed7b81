// latency_bound: fast requests scheduled in a window around each signal, and those scheduled
// after the last window (a slowdown that outlasts the restart), against the steady state before
// the first signal. Latency runs from the scheduled start (open loop), so a stall shows even
// though the requests behind it were sent late. A fast request that never finished (timeout)
// counts as over every bound. The engine is open-loop and never waits for the server, so its own
// start lateness is the harness's (a busy machine): a breach that disappears when latency is
// counted from the actual start instead is not charged to the server (unknown, with the reason).
// Nor is one that disappears once each request's latency is reduced by the time the process
// that answered it, and the harness's load engine thread (which reads the answer), spent
// waiting for a CPU during the request (zerodrop/cpu_wait.hpp): other jobs on the same cores,
// not the server. A server slow on its own — sleeping, blocked, or
// running — waits for no CPU and stays charged.
#include <algorithm>
#include <cmath>
#include <limits>

#include "zerodrop/checks.hpp"

namespace zerodrop {

namespace {
// Fewer samples than this after the last window cannot show a lasting slowdown.
constexpr std::size_t kMinAfterSamples = 20;
constexpr double kNever = std::numeric_limits<double>::infinity();

struct Sample {
  std::vector<double> ms;
  std::uint64_t worst_id = 0;
  double worst = -1;
  void add(double v, std::uint64_t id) {
    ms.push_back(v);
    if (v > worst) {
      worst = v;
      worst_id = id;
    }
  }
};

// The fast requests of one run split by span, measured one way.
struct Spans {
  Sample steady, window, after;
  void add(Timeline::Span span, double v, std::uint64_t id) {
    switch (span) {
      case Timeline::Span::kSteady:
        steady.add(v, id);
        break;
      case Timeline::Span::kWindow:
        window.add(v, id);
        break;
      case Timeline::Span::kAfter:
        after.add(v, id);
        break;
      case Timeline::Span::kOther:
        break;  // once a shutdown began: not served by design
    }
  }
};

nlohmann::json figures(const std::vector<double>& v) {
  return to_json_ms(summarize(v));
}

std::string fmt(double v) {
  if (std::isinf(v)) return "never";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}
}  // namespace

CheckResult check_latency_bound(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = to_string(Invariant::kLatencyBound);
  const std::vector<std::int64_t> signals = t.signal_times();
  const std::int64_t w = static_cast<std::int64_t>(e.window_ms) * 1'000'000;
  Spans scheduled;  // latency from the scheduled start (what a user waits)
  Spans served;     // from the actual start (what the server caused)
  Spans own;        // and without the answering process's wait for a CPU
  double worst_wait_ms = 0;
  for (auto& q : h.requests) {
    if (q.kind != "fast") continue;
    double ms = 0, served_ms = 0, own_ms = 0;
    if (q.outcome == Outcome::kOk) {
      ms = static_cast<double>(q.end_ns - q.scheduled_ns) / 1e6;
      served_ms = static_cast<double>(q.end_ns - q.start_ns) / 1e6;
      // The answering process's wait, and the load engine's (it reads the answer late).
      const double wait = static_cast<double>(t.cpu_wait_ns(q.pid, q.start_ns, q.end_ns) +
                                              t.cpu_wait_ns(0, q.start_ns, q.end_ns)) /
                          1e6;
      own_ms = std::max(0.0, served_ms - wait);
      worst_wait_ms = std::max(worst_wait_ms, wait);
    } else if (q.outcome == Outcome::kTimeout) {
      ms = served_ms = own_ms = kNever;  // never finished: over any bound
    } else {
      continue;  // failed fast, or unknown fate: no_dropped_requests judges it
    }
    const Timeline::Span span = t.span_of(q.scheduled_ns, w, signals);
    scheduled.add(span, ms, q.id);
    served.add(span, served_ms, q.id);
    own.add(span, own_ms, q.id);
  }
  const Sample& steady = scheduled.steady;
  const Sample& window = scheduled.window;
  const Sample& after = scheduled.after;
  const double sp99 = percentile(steady.ms, 99);
  const double wp99 = percentile(window.ms, 99), wmax = percentile(window.ms, 100);
  const double ap99 = percentile(after.ms, 99), amax = percentile(after.ms, 100);
  r.figures = {{"steady", figures(steady.ms)},
               {"window", figures(window.ms)},
               {"after", figures(after.ms)},
               {"bounds",
                {{"p99_ms", e.p99_ms},
                 {"max_ms", e.max_ms},
                 {"p99_relative", e.p99_relative},
                 {"p99_floor_ms", e.p99_floor_ms},
                 {"window_ms", e.window_ms}}},
               {"worst_cpu_wait_ms", worst_wait_ms}};
  if (window.worst >= 0) r.examples.push_back(window.worst_id);
  r.summary = "p50/p99/max steady " + fmt(percentile(steady.ms, 50)) + "/" + fmt(sp99) + "/" +
              fmt(percentile(steady.ms, 100)) + " ms, window " + fmt(percentile(window.ms, 50)) +
              "/" + fmt(wp99) + "/" + fmt(wmax) + " ms, after " + fmt(percentile(after.ms, 50)) +
              "/" + fmt(ap99) + "/" + fmt(amax) + " ms";
  if (e.p99_ms <= 0 && e.max_ms <= 0 && e.p99_relative <= 0) {
    r.verdict = Verdict::kUnknown;
    r.summary += " (no bound set)";
    return r;
  }
  auto breaches = [&](const Spans& v) {
    const Sample &st = v.steady, &win = v.window, &aft = v.after;
    std::string broken;
    const double sp = percentile(st.ms, 99);
    auto judge = [&](const char* part, const Sample& x) {
      if (x.ms.empty()) return;
      const double p99 = percentile(x.ms, 99), max = percentile(x.ms, 100);
      if (e.p99_ms > 0 && p99 > e.p99_ms)
        broken +=
            std::string(" ") + part + " p99>" + std::to_string(static_cast<int>(e.p99_ms)) + "ms";
      if (e.max_ms > 0 && max > e.max_ms)
        broken +=
            std::string(" ") + part + " max>" + std::to_string(static_cast<int>(e.max_ms)) + "ms";
      if (e.p99_relative > 0 && !st.ms.empty() && p99 > sp * e.p99_relative + e.p99_floor_ms)
        broken += std::string(" ") + part + " p99>steady*" +
                  std::to_string(e.p99_relative).substr(0, 4) + "+floor";
    };
    judge("window", win);
    judge("after", aft);
    return broken;
  };
  const std::string broken = breaches(scheduled);
  if (!broken.empty()) {
    r.summary += ";" + broken;
    if (after.worst >= 0 && broken.find("after") != std::string::npos)
      r.examples.push_back(after.worst_id);
    if (breaches(served).empty()) {
      r.verdict = Verdict::kUnknown;
      r.summary +=
          " (but not once counted from the actual start: the harness started those "
          "requests late, see run validity)";
    } else if (breaches(own).empty()) {
      r.verdict = Verdict::kUnknown;
      r.summary +=
          " (but not once the time the answering process and the harness's load engine "
          "waited for a CPU is taken out, "
          "up to " +
          fmt(worst_wait_ms) +
          " ms a request: the machine was too busy to "
          "run the server, which says nothing of the server)";
    } else {
      r.verdict = Verdict::kFail;
    }
    return r;
  }
  std::string missing;
  if (t.signals.empty())
    missing = "no signal in this run: no restart window";
  else if (window.ms.empty())
    missing = "no fast request in any restart window";
  else if (e.p99_relative > 0 && steady.ms.empty())
    missing = "no steady state before the first signal";
  else if (t.shutdown_ns < 0 && after.ms.size() < kMinAfterSamples)
    missing = std::to_string(after.ms.size()) + " fast requests after the last window (need " +
              std::to_string(kMinAfterSamples) + " to judge a lasting slowdown)";
  r.verdict = missing.empty() ? Verdict::kPass : Verdict::kUnknown;
  if (!missing.empty()) r.summary += " (" + missing + ")";
  return r;
}

}  // namespace zerodrop
