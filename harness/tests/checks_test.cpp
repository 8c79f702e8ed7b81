// Each invariant on hand-written histories: one where it holds, and at least one where it
// must fail (a check that cannot fail proves nothing).
#include "zerodrop/checks.hpp"

#include <gtest/gtest.h>

namespace zerodrop {
namespace {

constexpr std::int64_t ms(double v) {
  return static_cast<std::int64_t>(v * 1e6);
}

RequestRecord req(std::uint64_t id, const std::string& kind, double start_ms, double end_ms,
                  long pid, const std::string& body) {
  RequestRecord r;
  r.id = id;
  r.kind = kind;
  r.scheduled_ns = r.start_ns = ms(start_ms);
  r.first_byte_ns = ms(end_ms) - 1;
  r.end_ns = ms(end_ms);
  r.outcome = Outcome::ok;
  r.status = 200;
  r.pid = pid;
  r.body = body;
  return r;
}

// A good hand-over: gen 100 ("hello gin!") → SIGHUP at 1000 ms → gen 200 ("hello q1mi!") ready
// at 1010 ms; a slow request in flight across it finishes on 100; 100 exits 0 at 1500 ms.
History good() {
  History h;
  h.events = {{0, "spawned", 100, 0, ""},
              {ms(1), "ready", 100, 0, "notify"},
              {ms(2), "fd_count", 100, 9, ""},
              {ms(1000), "signal", 100, 1, "HUP"},
              {ms(1000.5), "reloading", 100, 0, ""},
              {ms(1010), "mainpid", 200, 100, ""},
              {ms(1010), "ready", 200, 0, "notify"},
              {ms(1500), "exited", 100, 0, "code 0"},
              {ms(3000), "fd_count", 200, 9, ""},
              {ms(3000), "settle", 200, 1, "200"},
              {ms(3100), "teardown", 200, 0, ""},
              {ms(3200), "exited", 200, 0, "code 0"}};
  std::uint64_t id = 0;
  for (double t = 10; t < 990; t += 10)
    h.requests.push_back(req(id++, "fast", t, t + 1, 100, "hello gin!"));
  h.requests.push_back(req(id++, "slow", 500, 1300, 100, "hello gin!"));
  for (double t = 1100; t < 2000; t += 10)
    h.requests.push_back(req(id++, "fast", t, t + 1, 200, "hello q1mi!"));
  return h;
}

Expect expect() {
  Expect e;
  e.restarts = 1;
  e.messages = {"hello gin!", "hello q1mi!"};
  e.max_ms = 100;
  e.window_ms = 300;
  return e;
}

Verdict verdict(const History& h, const Expect& e,
                CheckResult (*fn)(const History&, const Expect&, const Timeline&)) {
  return fn(h, e, build_timeline(h)).verdict;
}

TEST(Checks, AGoodHandOverPassesEverything) {
  for (auto& r : run_checks(good(), expect()))
    EXPECT_EQ(r.verdict, Verdict::pass) << r.name << ": " << r.summary;
}

TEST(Checks, NoDroppedRequests) {
  auto h = good();
  h.requests[5].outcome = Outcome::reset;
  auto r = check_no_dropped_requests(h, expect(), build_timeline(h));
  EXPECT_EQ(r.verdict, Verdict::fail);
  EXPECT_EQ(r.examples, std::vector<std::uint64_t>{5});
  // Allowed by the scenario: not a drop.
  auto e = expect();
  e.allowed = {"reset"};
  EXPECT_EQ(verdict(h, e, check_no_dropped_requests), Verdict::pass);
  // A refusal after a graceful shutdown began is expected, before it is a drop.
  auto s = good();
  s.events.push_back({ms(2500), "signal", 200, 15, "TERM"});
  s.requests.push_back(req(999, "fast", 2600, 2601, 0, ""));
  s.requests.back().outcome = Outcome::refused;
  s.requests.back().first_byte_ns = -1;
  EXPECT_EQ(verdict(s, expect(), check_no_dropped_requests), Verdict::pass);
  s.requests.back().scheduled_ns = s.requests.back().start_ns = ms(2400);
  EXPECT_EQ(verdict(s, expect(), check_no_dropped_requests), Verdict::fail);
  // An unknown fate is never silently ok.
  auto u = good();
  u.requests[3].outcome = Outcome::indeterminate;
  EXPECT_EQ(verdict(u, expect(), check_no_dropped_requests), Verdict::unknown);
  // EOF on a reused keep-alive connection: a drop unless the scenario calls GETs retryable.
  auto k = good();
  k.requests[4].outcome = Outcome::eof_on_reused_keepalive;
  EXPECT_EQ(verdict(k, expect(), check_no_dropped_requests), Verdict::fail);
  auto rk = expect();
  rk.reused_eof_is_drop = false;
  EXPECT_EQ(verdict(k, rk, check_no_dropped_requests), Verdict::pass);
  k.requests[4].method = "POST";
  EXPECT_EQ(verdict(k, rk, check_no_dropped_requests), Verdict::fail);
}

TEST(Checks, InFlightServedByOld) {
  auto h = good();
  for (auto& q : h.requests)
    if (q.kind == "slow") q.pid = 200;
  EXPECT_EQ(verdict(h, expect(), check_in_flight_served_by_old), Verdict::fail);
  // On a reused keep-alive connection the answer comes from whoever accepted the connection
  // (an older generation still draining, say): not judged.
  for (auto& q : h.requests)
    if (q.kind == "slow") q.reused = true;
  EXPECT_EQ(verdict(h, expect(), check_in_flight_served_by_old), Verdict::pass);
}

TEST(Checks, InFlightServedByOldAllowsForAnOverloadedAcceptQueue) {
  // A fresh connection made 80 ms before the signal, answered by the new generation.
  auto h = good();
  h.requests.push_back(req(900, "fast", 920, 1015, 200, "hello q1mi!"));
  EXPECT_EQ(verdict(h, expect(), check_in_flight_served_by_old), Verdict::fail);
  // The same when the server takes 150 ms to answer a fast request at all: it may well still
  // have been queued when the new generation took over.
  for (auto& q : h.requests)
    if (q.kind == "fast") q.first_byte_ns = q.start_ns + ms(150);
  EXPECT_EQ(verdict(h, expect(), check_in_flight_served_by_old), Verdict::pass);
}

TEST(Checks, NewServedByNew) {
  auto h = good();
  h.requests.back().pid = 100;  // the old generation answered after the new one was ready
  EXPECT_EQ(verdict(h, expect(), check_new_served_by_new), Verdict::fail);
  auto b = good();
  b.requests.back().body = "hello gin!";  // new pid, old content
  EXPECT_EQ(verdict(b, expect(), check_new_served_by_new), Verdict::fail);
}

TEST(Checks, PidTransition) {
  auto e = expect();
  e.restarts = 0;  // exec in place would look like this expectation being broken the other way
  EXPECT_EQ(verdict(good(), e, check_pid_transition), Verdict::fail);
  auto h = good();
  h.requests[0].pid = 555;  // answered by a pid never announced
  EXPECT_EQ(verdict(h, expect(), check_pid_transition), Verdict::fail);
  e.restarts = 0;
  e.max_restarts = 2;
  EXPECT_EQ(verdict(good(), e, check_pid_transition), Verdict::pass);
}

TEST(Checks, OldGenerationExits) {
  auto h = good();
  h.events[7].other = 1;  // old generation exits 1
  EXPECT_EQ(verdict(h, expect(), check_old_generation_exits), Verdict::fail);
  auto late = good();
  late.events[7].t_ns = ms(1010 + 8000);  // beyond drain 5 s + slack 2 s
  EXPECT_EQ(verdict(late, expect(), check_old_generation_exits), Verdict::fail);
  auto never = good();
  never.events.erase(never.events.begin() + 7);
  EXPECT_EQ(verdict(never, expect(), check_old_generation_exits), Verdict::fail);
  auto vanished = good();
  vanished.events[7].event = "vanished";  // reaped by its parent: code unobservable
  EXPECT_EQ(verdict(vanished, expect(), check_old_generation_exits), Verdict::unknown);
}

TEST(Checks, LatencyBoundCatchesA300msStall) {
  auto h = good();
  for (auto& q : h.requests)
    if (q.start_ns == ms(1100)) q.end_ns = ms(1400);
  auto r = check_latency_bound(h, expect(), build_timeline(h));
  EXPECT_EQ(r.verdict, Verdict::fail) << r.summary;
  auto rel = expect();
  rel.max_ms = 0;
  rel.p99_relative = 2;
  rel.p99_floor_ms = 50;
  EXPECT_EQ(verdict(h, rel, check_latency_bound), Verdict::fail);
  auto none = expect();
  none.max_ms = 0;
  EXPECT_EQ(verdict(h, none, check_latency_bound), Verdict::unknown);
}

TEST(Checks, NoLeaks) {
  auto h = good();
  h.events[8].other = 20;  // gen 200 holds 20 fds, the first held 9
  EXPECT_EQ(verdict(h, expect(), check_no_leaks), Verdict::fail);
  auto z = good();
  z.events.push_back({ms(3000), "zombie", 300, 0, ""});
  EXPECT_EQ(verdict(z, expect(), check_no_leaks), Verdict::fail);
}

TEST(Checks, Settles) {
  auto h = good();
  h.events[9].other = 2;  // two generations still alive
  EXPECT_EQ(verdict(h, expect(), check_settles), Verdict::fail);
  auto p = good();
  p.events[9].detail = "100";  // the probe was answered by the old one
  EXPECT_EQ(verdict(p, expect(), check_settles), Verdict::fail);
  auto o = good();
  o.events.push_back({ms(3000), "orphan", 777, 0, ""});  // a process of the run outside the tree
  EXPECT_EQ(verdict(o, expect(), check_settles), Verdict::fail);
}

// The further restart once settled: its generation stays out of the run's PID sequence, and a
// server that cannot restart again (same pid answers, or nobody) does not settle.
TEST(Checks, SettlesNeedsAFurtherRestartToWork) {
  auto further = [](long answered) {
    auto h = good();
    h.events.insert(h.events.begin() + 10,
                    {{ms(3001), "settle_restart", 200, 1, "HUP"},
                     {ms(3010), "spawned", 300, 0, ""},
                     {ms(3012), "ready", 300, 0, "notify"},
                     {ms(3020), "settle_restart_result", 200, answered, ""}});
    return h;
  };
  auto ok = further(300);
  EXPECT_EQ(verdict(ok, expect(), check_settles), Verdict::pass);
  EXPECT_EQ(verdict(ok, expect(), check_pid_transition), Verdict::pass)
      << "pid 300 is the probe's, not the run's";
  EXPECT_EQ(verdict(further(200), expect(), check_settles), Verdict::fail)
      << "the pid never changed";
  EXPECT_EQ(verdict(further(0), expect(), check_settles), Verdict::fail) << "nobody answered";
}

TEST(Checks, Percentile) {
  EXPECT_EQ(percentile({}, 99), 0);
  EXPECT_EQ(percentile({3, 1, 2}, 50), 2);
  EXPECT_EQ(percentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99), 10);
}

}  // namespace
}  // namespace zerodrop
