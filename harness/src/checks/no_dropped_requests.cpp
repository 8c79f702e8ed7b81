// no_dropped_requests: every request got a complete, correct response — except connections
// refused once a graceful shutdown began (nobody accepted them), classes the scenario allows from
// the fault that explains them on, and FINs on reused keep-alive GETs where the scenario calls
// them retryable. A timeout is a drop (a client gave up); a request the harness itself cut off
// at the end of the run is of unknown fate; a harness_error is nobody's (see check_validity).
#include <algorithm>
#include <map>

#include "zerodrop/checks.hpp"

namespace zerodrop {

namespace {
// A close-delimited body ends with the connection: when the process that sent it died (a signal,
// or a non-zero exit) as the connection ended, the body may be cut short with nothing to show it.
constexpr std::int64_t kDeathMarginNs = 100'000'000;

bool cut_by_death(const RequestRecord& q, const Timeline& t) {
  if (q.outcome != Outcome::kOk || q.framing != "close") return false;
  int g = t.gen_index_of(q.pid);
  if (g < 0) return false;
  auto& gen = t.gens[static_cast<std::size_t>(g)];
  if (!gen.exit_code || *gen.exit_code == 0) return false;
  return gen.exit_ns >= q.end_ns - kDeathMarginNs && gen.exit_ns <= q.end_ns + kDeathMarginNs;
}

}  // namespace

CheckResult check_no_dropped_requests(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = to_string(Invariant::kNoDroppedRequests);
  std::map<std::string, long> by_class, expected_refusals, allowed;
  std::map<std::string, std::map<std::string, long>> split;  // "fresh GET" -> class -> n
  long ok = 0, drops = 0, unknown = 0, retryable = 0, harness = 0, judged = 0;
  for (auto& q : h.requests) {
    std::string bucket = std::string(q.keepalive ? "keepalive" : "fresh") + " " + q.method;
    split[bucket]["total"]++;
    Outcome o = cut_by_death(q, t) ? Outcome::kTruncated : q.outcome;
    if (o == Outcome::kHarnessError) {
      ++harness;
      split[bucket]["harness_error"]++;
      continue;
    }
    ++judged;
    if (o == Outcome::kOk) {
      ++ok;
      continue;
    }
    std::string cls = to_string(o);
    split[bucket][cls]++;
    // After a stop only a refusal is expected: a connection the kernel completed was in the
    // listener's queue, and a graceful server accepts and answers everything queued. Judged by
    // when the refusal was seen, not when the request began: the engine stamps the start before
    // its connect(), and the signal may reach the server (which closes its listener) in between.
    // A listener closed before the signal still shows as refusals seen before it.
    const bool refused_after_shutdown = t.shutdown_ns >= 0 && q.end_ns >= t.shutdown_ns;
    if (refused_after_shutdown && o == Outcome::kRefused) {
      expected_refusals[cls]++;
      continue;
    }
    if (is_allowed(o, q.end_ns, e, t)) {
      allowed[cls]++;
      continue;
    }
    if (o == Outcome::kEofOnReusedKeepalive && !e.reused_eof_is_drop && q.method == "GET") {
      ++retryable;  // HTTP lets a client retry an idempotent request after a clean close
      continue;
    }
    if (o == Outcome::kIndeterminate) {
      ++unknown;
      by_class[cls]++;
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
               {"harness_errors", harness},
               {"dropped_by_class", by_class},
               {"expected_refusals_after_shutdown", expected_refusals},
               {"allowed_by_scenario", allowed},
               {"retryable_reused_keepalive_get", retryable},
               {"split", split}};
  if (judged == 0) {
    r.verdict = Verdict::kUnknown;
    r.summary =
        h.requests.empty() ? "no requests were made" : "every request failed on the harness's side";
    return r;
  }
  r.verdict = drops > 0 ? Verdict::kFail : unknown > 0 ? Verdict::kUnknown : Verdict::kPass;
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
      (unknown ? ", " + std::to_string(unknown) + " cut off by the end of the run (unknown fate)"
               : "") +
      (classes.empty() ? "" : " (" + classes + ")") +
      (refused ? ", " + std::to_string(refused) + " refused after shutdown (expected)" : "") +
      (allowed_n ? ", " + std::to_string(allowed_n) + " failed as the scenario allows" : "") +
      (retryable ? ", " + std::to_string(retryable) + " retryable EOFs on reused keep-alive GETs"
                 : "") +
      (harness ? ", " + std::to_string(harness) + " harness errors (not judged)" : "");
  return r;
}

}  // namespace zerodrop
