// conform/deadline — deadline_honoured, L1's check of its own: a server stopped while a request
// outlasts its drain deadline must give up at the deadline. old_generation_exits cannot say it
// for any server: it also wants one exit code, and what a server exits with after a forced close
// is its own business (the reference server 1, others 0).
#include <string>

#include "parts.hpp"

namespace zerodrop::conform {
namespace {

std::string ms(std::int64_t ns) {
  return std::to_string(ns / 1'000'000) + " ms";
}

}  // namespace

CheckResult check_deadline_honoured(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = "deadline_honoured";
  if (t.shutdown_ns < 0 || t.gens.empty()) {
    r.summary = "no stop signal was sent";
    return r;
  }
  const std::int64_t drain_ns = static_cast<std::int64_t>(e.drain_ms) * 1'000'000;
  const std::int64_t limit_ns = drain_ns + static_cast<std::int64_t>(e.slack_ms) * 1'000'000;
  // Evidence: a request in flight at the stop signal that the server had not answered by its
  // deadline (cut, or still running).
  std::uint64_t outlasting = 0;
  for (const auto& q : h.requests)
    if (q.start_ns < t.shutdown_ns && (q.end_ns < 0 || q.end_ns > t.shutdown_ns) &&
        (q.end_ns < 0 || q.outcome != Outcome::kOk || q.end_ns > t.shutdown_ns + drain_ns)) {
      outlasting = q.id;
      r.examples.push_back(q.id);
      break;
    }
  const Generation& g = t.gens.back();
  r.figures = {{"pid", g.pid}, {"drain_ms", e.drain_ms}, {"slack_ms", e.slack_ms}};
  if (outlasting == 0) {
    r.summary = "no request in flight at the stop signal outlasted the " + ms(drain_ns) +
                " deadline: nothing to give up";
    return r;
  }
  const bool killed = g.exit_ns >= 0 && t.teardown_ns >= 0 && g.exit_ns >= t.teardown_ns;
  if (!g.gone() || g.exit_ns < 0 || killed) {
    r.verdict = Verdict::kFail;
    r.summary = "pid " + std::to_string(g.pid) + " had not exited when the run ended, " +
                "deadline " + ms(drain_ns) + " + slack " + ms(limit_ns - drain_ns);
    return r;
  }
  const std::int64_t took = g.exit_ns - t.shutdown_ns;
  r.figures["exit_after_ms"] = static_cast<double>(took) / 1e6;
  if (g.exit_code) r.figures["exit"] = *g.exit_code;
  r.verdict = took <= limit_ns ? Verdict::kPass : Verdict::kFail;
  r.summary = "pid " + std::to_string(g.pid) + " exited " + ms(took) + " after the stop signal" +
              (g.exit_code ? " (code " + std::to_string(*g.exit_code) + ")" : "") +
              " with a request in flight past its deadline " + ms(drain_ns) + "; limit " +
              ms(limit_ns);
  return r;
}

}  // namespace zerodrop::conform
