// graceful_close: how the server ends connections. No RST on any connection, idle or busy (an
// RST can destroy a response already in the client's buffer and is never benign), and every
// keep-alive response to a request sent after a generation's drain began says
// `Connection: close` — or
// the server ends that connection with a FIN before the client uses it again. Judged from every
// close of an idle pooled connection (the load engine records each, FIN or RST) and from the
// request records, so a server that resets its idle pool on drain is caught in every run, not
// only when a request happens to race the reset.
#include <algorithm>
#include <map>
#include <set>

#include "zerodrop/checks.hpp"

namespace zerodrop {

namespace {
// Judged by when the request was sent, not when its answer arrived (a loaded client may read a
// response long after the server wrote it): a request sent after the harness learnt that the
// drain began reached a draining server. The harness learns it from the successor's readiness,
// announced only once the old generation stopped accepting; the margin absorbs the conversion of
// kernel arrival stamps to the run's clock.
constexpr std::int64_t kDrainMarginNs = 5'000'000;

// When each process was last seen accepting: the latest start of a connection's first request
// that it answered (it accepted that connection no earlier than the request was sent). A process
// that still accepts has not begun to drain, whatever the harness was told: a worker hears of the
// drain from its master, which on a loaded machine took nginx's old workers up to 52 ms after
// WINCH (scenario/peers/nginx-upgrade: 6 of 60 runs, 3 at once) — until then they answer with
// keep-alive as any worker that is not draining does.
std::map<long, std::int64_t> last_accepts(const History& h) {
  std::map<long, std::int64_t> at;
  for (auto& q : h.requests)
    if (!q.reused && q.status != 0 && q.pid > 0) at[q.pid] = std::max(at[q.pid], q.start_ns);
  return at;
}

bool was_reset(const RequestRecord& q) {
  return q.outcome == Outcome::kReset || q.outcome == Outcome::kResetOnReusedKeepalive ||
         (q.outcome == Outcome::kTruncated &&
          q.error.find("Connection reset") != std::string::npos);
}

}  // namespace

CheckResult check_graceful_close(const History& h, const Expect& e, const Timeline& t) {
  CheckResult r;
  r.name = to_string(Invariant::kGracefulClose);
  long busy_rst = 0, idle_rst = 0, idle_fin = 0, judged = 0, kept_alive = 0;
  for (auto& q : h.requests)
    if (was_reset(q) && !is_allowed(q.outcome, q.end_ns, e, t)) {
      ++busy_rst;
      if (r.examples.size() < 5) r.examples.push_back(q.id);
    }
  for (auto& c : t.idle_closes) {
    if (c.how == "rst") {
      ++idle_rst;
    } else if (c.how == "fin") {
      ++idle_fin;
    }
  }
  // The requests of each client connection, in order: what came after a response.
  std::map<std::uint64_t, std::vector<const RequestRecord*>> by_conn;
  for (auto& q : h.requests)
    if (q.keepalive && q.conn != 0) by_conn[q.conn].push_back(&q);
  std::string first_kept;
  long drains = 0;
  const auto accepted = last_accepts(h);
  std::set<long> late;  // processes judged from their last acceptance, after the drain began
  for (std::size_t g = 0; g < t.gens.size(); ++g)
    if (t.drain_ns(g) >= 0) ++drains;
  for (auto& [conn, reqs] : by_conn) {
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      const RequestRecord& q = *reqs[i];
      if (q.first_byte_ns < 0 || q.status == 0) continue;
      int g = t.gen_index_of(q.pid);
      if (g < 0) continue;
      std::int64_t drain = t.drain_ns(static_cast<std::size_t>(g));
      if (drain < 0) continue;
      if (auto a = accepted.find(q.pid); a != accepted.end() && a->second > drain) {
        drain = a->second;
        late.insert(q.pid);
      }
      if (q.start_ns < drain + kDrainMarginNs) continue;
      ++judged;
      // Written while draining, yet the client was free to use the connection again, and did.
      if (!q.server_close && i + 1 < reqs.size()) {
        ++kept_alive;
        if (first_kept.empty())
          first_kept = "request " + std::to_string(q.id) + " answered by pid " +
                       std::to_string(q.pid) + " " +
                       std::to_string((q.start_ns - drain) / 1'000'000) +
                       " ms into its drain, without Connection: close; request " +
                       std::to_string(reqs[i + 1]->id) + " followed on the same connection";
        if (r.examples.size() < 5) r.examples.push_back(q.id);
      }
    }
  }
  r.figures = {{"rst_on_requests", busy_rst},
               {"idle_closed_rst", idle_rst},
               {"idle_closed_fin", idle_fin},
               {"responses_after_drain_judged", judged},
               {"kept_alive_while_draining", kept_alive},
               {"drains", drains},
               {"accepting_after_drain", static_cast<long>(late.size())}};
  const bool bad = busy_rst || idle_rst || kept_alive;
  r.summary = std::to_string(busy_rst) + " RST(s) under requests, " + std::to_string(idle_rst) +
              " RST(s) on idle pooled connections (" + std::to_string(idle_fin) + " FINs), " +
              std::to_string(kept_alive) + " of " + std::to_string(judged) +
              " keep-alive requests answered while draining found the connection kept open" +
              (first_kept.empty() ? "" : " (" + first_kept + ")") +
              (late.empty() ? ""
                            : "; " + std::to_string(late.size()) +
                                  " process(es) still accepted after the drain began: judged "
                                  "from their last acceptance");
  if (bad) {
    r.verdict = Verdict::kFail;
  } else if (drains == 0 && busy_rst == 0 && idle_rst == 0 && idle_fin == 0) {
    r.verdict = Verdict::kUnknown;
    r.summary += "; no drain and no connection closed by the server in this run";
  } else {
    r.verdict = Verdict::kPass;
  }
  return r;
}

}  // namespace zerodrop
