// in_flight_served_by_old and new_served_by_new: who answered each request, against when the
// generations changed.
#include <algorithm>
#include <vector>

#include "zerodrop/checks.hpp"

namespace zerodrop {

namespace {
// A connection made just before the signal may still sit in the shared accept queue when the
// old generation stops accepting; the new one rightly takes it. Only requests started this long
// before the signal are surely accepted by the old generation...
constexpr std::int64_t kAcceptedMarginNs = 50'000'000;

// ...or longer, when the server is slow to take connections at all: the margin grows to the 99th
// percentile of the time to first byte of fast requests on fresh connections over the run (an
// overloaded machine keeps connections queued for longer than 50 ms, and a queued connection is
// the new generation's to take).
std::int64_t accepted_margin_ns(const History& h) {
  std::vector<std::int64_t> ttfb;
  for (auto& q : h.requests)
    if (q.outcome == Outcome::ok && q.kind == "fast" && !q.reused && q.first_byte_ns >= q.start_ns)
      ttfb.push_back(q.first_byte_ns - q.start_ns);
  if (ttfb.empty()) return kAcceptedMarginNs;
  auto k = ttfb.begin() + static_cast<std::ptrdiff_t>((ttfb.size() - 1) * 99 / 100);
  std::nth_element(ttfb.begin(), k, ttfb.end());
  return std::max(kAcceptedMarginNs, *k);
}
}  // namespace

// A request that started on a fresh connection before the signal leading to a hand-over must be
// answered by the generation that was serving when it started: the old one finishes what it
// accepted. A request on a reused keep-alive connection is answered by whichever generation
// accepted that connection, which with overlapping drains (restarts closer together than the
// slow requests are long) may be older than the one serving when the request started; it says
// nothing about the hand-over, so it is not judged here.
CheckResult check_in_flight_served_by_old(const History& h, const Expect&, const Timeline& t) {
  CheckResult r;
  r.name = "in_flight_served_by_old";
  long checked = 0, wrong = 0;
  const std::int64_t margin = accepted_margin_ns(h);
  for (std::size_t g = 1; g < t.gens.size(); ++g) {
    // The signal that caused generation g: the last one before it took over.
    std::int64_t sig = -1;
    for (auto& [at, name] : t.signals)
      if (at <= t.gens[g].takeover_ns) sig = at;
    if (sig < 0) continue;
    long old_pid = t.gens[g - 1].pid;
    for (auto& q : h.requests) {
      if (q.outcome != Outcome::ok || q.reused || q.start_ns >= sig - margin || q.end_ns < sig)
        continue;
      if (t.main_at(q.start_ns) != old_pid) continue;
      ++checked;
      if (q.pid != old_pid) {
        ++wrong;
        if (r.examples.size() < 5) r.examples.push_back(q.id);
      }
    }
  }
  r.figures = {{"in_flight_at_restart", checked},
               {"answered_by_other_generation", wrong},
               {"restarts", t.gens.size() ? t.gens.size() - 1 : 0},
               {"accepted_margin_ms", static_cast<double>(margin) / 1e6}};
  if (t.gens.size() < 2) {
    r.verdict = Verdict::pass;
    r.summary = "no hand-over in this run (nothing to check)";
    return r;
  }
  r.verdict = wrong ? Verdict::fail : Verdict::pass;
  r.summary = std::to_string(checked) + " requests in flight across a restart, " +
              std::to_string(wrong) + " answered by another generation";
  return r;
}

// A request started on a fresh connection after generation g was ready is answered by g (or a
// later one) with g's content. Reused keep-alive connections were accepted by whoever accepted
// them, so they are not judged here.
CheckResult check_new_served_by_new(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = "new_served_by_new";
  long checked = 0, old_pid = 0, wrong_body = 0, unknown_pid = 0;
  for (auto& q : h.requests) {
    if (q.outcome != Outcome::ok || q.reused) continue;
    if (t.shutdown_ns >= 0 && q.start_ns >= t.shutdown_ns) continue;
    int ready_gen = -1;
    for (std::size_t g = 0; g < t.gens.size(); ++g)
      if (t.gens[g].ready_ns >= 0 && t.gens[g].ready_ns <= q.start_ns)
        ready_gen = static_cast<int>(g);
    if (ready_gen < 0) continue;
    ++checked;
    int answered = t.gen_index_of(q.pid);
    if (answered < 0) {
      ++unknown_pid;
      if (r.examples.size() < 5) r.examples.push_back(q.id);
      continue;
    }
    if (answered < ready_gen) {
      ++old_pid;
      if (r.examples.size() < 5) r.examples.push_back(q.id);
      continue;
    }
    if (!e.messages.empty() && (q.kind == "fast" || q.kind == "slow")) {
      const auto& want = e.messages[std::min<std::size_t>(static_cast<std::size_t>(answered),
                                                          e.messages.size() - 1)];
      if (q.body != want) {
        ++wrong_body;
        if (r.examples.size() < 5) r.examples.push_back(q.id);
      }
    }
  }
  r.figures = {{"checked", checked},
               {"answered_by_older_generation", old_pid},
               {"wrong_body", wrong_body},
               {"answered_by_unknown_pid", unknown_pid},
               {"expected_messages", e.messages}};
  if (checked == 0) {
    r.verdict = Verdict::unknown;
    r.summary = "no request started after a generation was ready";
    return r;
  }
  r.verdict = (old_pid || wrong_body || unknown_pid) ? Verdict::fail : Verdict::pass;
  r.summary = std::to_string(checked) +
              " fresh requests after readiness: " + std::to_string(old_pid) +
              " by an older generation, " + std::to_string(wrong_body) + " with the wrong body, " +
              std::to_string(unknown_pid) + " by an unknown pid";
  return r;
}

}  // namespace zerodrop
