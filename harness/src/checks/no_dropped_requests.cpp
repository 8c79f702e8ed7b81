// no_dropped_requests: every request got a complete, correct response — except new connections
// refused (or reset before any byte) once a graceful shutdown began, and classes the scenario
// explicitly allows. Unknown fates (timeouts, cut-off responses) make the verdict `unknown`.
#include <algorithm>
#include <map>

#include "zerodrop/checks.hpp"

namespace zerodrop {

CheckResult check_no_dropped_requests(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = "no_dropped_requests";
  std::map<std::string, long> by_class, expected_refusals, allowed;
  std::map<std::string, std::map<std::string, long>> split;  // "fresh GET" -> class -> n
  long ok = 0, drops = 0, unknown = 0, retryable = 0;
  for (auto& q : h.requests) {
    std::string bucket = std::string(q.keepalive ? "keepalive" : "fresh") + " " + q.method;
    split[bucket]["total"]++;
    if (q.outcome == Outcome::ok) {
      ++ok;
      continue;
    }
    std::string cls = to_string(q.outcome);
    split[bucket][cls]++;
    bool no_bytes = q.first_byte_ns < 0;
    bool after_shutdown = t.shutdown_ns >= 0 && q.start_ns >= t.shutdown_ns;
    if (after_shutdown && no_bytes && !q.reused &&
        (q.outcome == Outcome::refused || q.outcome == Outcome::reset ||
         q.outcome == Outcome::eof_without_response)) {
      expected_refusals[cls]++;
      continue;
    }
    if (std::find(e.allowed.begin(), e.allowed.end(), cls) != e.allowed.end()) {
      allowed[cls]++;
      continue;
    }
    if (q.outcome == Outcome::eof_on_reused_keepalive && !e.reused_eof_is_drop &&
        q.method == "GET") {
      ++retryable;  // HTTP lets a client retry an idempotent request here
      continue;
    }
    if (q.outcome == Outcome::timeout || q.outcome == Outcome::indeterminate) {
      ++unknown;
      by_class[cls]++;
      if (r.examples.size() < 5) r.examples.push_back(q.id);
      continue;
    }
    ++drops;
    by_class[cls]++;
    if (r.examples.size() < 5) r.examples.push_back(q.id);
  }
  r.figures = {{"requests", h.requests.size()},
               {"ok", ok},
               {"dropped", drops},
               {"unknown_fate", unknown},
               {"dropped_by_class", by_class},
               {"expected_refusals_after_shutdown", expected_refusals},
               {"allowed_by_scenario", allowed},
               {"retryable_reused_keepalive_get", retryable},
               {"split", split}};
  if (h.requests.empty()) {
    r.verdict = Verdict::unknown;
    r.summary = "no requests were made";
    return r;
  }
  r.verdict = drops > 0 ? Verdict::fail : unknown > 0 ? Verdict::unknown : Verdict::pass;
  std::string classes;
  for (auto& [k, v] : by_class)
    classes += (classes.empty() ? "" : ", ") + k + "=" + std::to_string(v);
  long refused = 0, allowed_n = 0;
  for (auto& [k, v] : expected_refusals)
    refused += v;
  for (auto& [k, v] : allowed)
    allowed_n += v;
  r.summary =
      std::to_string(h.requests.size()) + " requests, " + std::to_string(ok) + " ok, " +
      std::to_string(drops) + " dropped" +
      (unknown ? ", " + std::to_string(unknown) + " of unknown fate" : "") +
      (classes.empty() ? "" : " (" + classes + ")") +
      (refused ? ", " + std::to_string(refused) + " refused after shutdown (expected)" : "") +
      (allowed_n ? ", " + std::to_string(allowed_n) + " failed as the scenario allows" : "") +
      (retryable ? ", " + std::to_string(retryable) + " retryable EOFs on reused keep-alive GETs"
                 : "");
  return r;
}

}  // namespace zerodrop
