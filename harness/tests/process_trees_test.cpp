// Issue 12, process trees: generations are process trees (a prefork worker answers for its
// master), expect.reload: in_place judges worker sets, server.pid_header: none makes the
// pid-based invariants "not applicable". Hand-written histories, each check shown failing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "hand_written.hpp"
#include "zerodrop/checks.hpp"
#include "zerodrop/http_response.hpp"
#include "zerodrop/launcher.hpp"
#include "zerodrop/report.hpp"
#include "zerodrop/report_files.hpp"
#include "zerodrop/scenario.hpp"

namespace zerodrop {
namespace {

using hand_written::error_of;
using hand_written::ms;

RequestRecord req(std::uint64_t id, const std::string& kind, double start_ms, double end_ms,
                  long pid) {
  return hand_written::req(id, kind, start_ms, end_ms, pid, "hello gin!");
}

LifecycleEvent process(double seen_ms, long pid, long ppid, double start_ms) {
  return {ms(seen_ms), "process", pid, ppid,
          "{\"start_ns\":" + std::to_string(ms(start_ms)) +
              ",\"resolution_ns\":10000000,\"comm\":\"worker\"}"};
}

// Master 100 spawned with workers 101 and 102 (started at 10 ms, seen at 20), READY=1 at 50 ms,
// SIGHUP (fault 0) at 1000 ms.
std::vector<LifecycleEvent> until_the_reload() {
  return {{0, "spawned", 100, 0, ""},          process(20, 101, 100, 10),
          process(20, 102, 100, 10),           {ms(50), "ready", 100, 0, "notify"},
          {ms(1000), "signal", 100, 1, "HUP"}, {ms(1000), "fault", 0, 0, "line 1"}};
}

// Fast requests every 10 ms answered by workers 101/102, a slow one (500..1300 ms) on 101, and
// fast ones from `from_ms` on answered by the two new workers.
void add_requests(History& h, double from_ms, long new_a, long new_b) {
  std::uint64_t id = 0;
  for (double t = 60; t < 990; t += 10, ++id)
    h.requests.push_back(req(id, "fast", t, t + 1, id % 2 ? 101 : 102));
  h.requests.push_back(req(id++, "slow", 500, 1300, 101));
  for (double t = from_ms; t < 2000; t += 10, ++id)
    h.requests.push_back(req(id, "fast", t, t + 2, id % 2 ? new_a : new_b));
}

// The gunicorn case of issue 12 as a fork-restart (new_main_pid): master 100 with workers 101,
// 102; SIGHUP at 1000 ms; new master 200 (MAINPID=) with workers 201, 202 answering after.
History prefork_new_main() {
  History h;
  h.events = until_the_reload();
  h.events.insert(h.events.end(), {process(1010, 200, 100, 1002),
                                   process(1030, 201, 200, 1020),
                                   process(1030, 202, 200, 1020),
                                   {ms(1040), "mainpid", 200, 100, "notify"},
                                   {ms(1040), "ready", 200, 0, "notify"},
                                   {ms(1400), "vanished", 101, 0, ""},
                                   {ms(1400), "vanished", 102, 0, ""},
                                   {ms(1500), "exited", 100, 0, "code 0"},
                                   {ms(3000), "settle", 200, 1, "201"},
                                   {ms(3100), "teardown", 200, 0, ""},
                                   {ms(3200), "exited", 200, 0, "code 0"}});
  add_requests(h, 1100, 201, 202);
  return h;
}

// Events added to a history go where read_history() would put them: in time order.
void in_time_order(History& h) {
  std::stable_sort(h.events.begin(), h.events.end(),
                   [](const auto& a, const auto& b) { return a.t_ns < b.t_ns; });
}

Expect expect_restart() {
  Expect e;
  e.restarts = 1;
  e.messages = {"hello gin!"};
  e.settle_restart = false;
  return e;
}

TEST(ProcessTrees, AWorkerAnswersForItsMaster) {
  // Before process trees, workers were "unknown": new_served_by_new, pid_transition and settles
  // failed (issue 12's three false alarms).
  auto h = prefork_new_main();
  for (auto& r : run_checks(h, expect_restart()))
    if (r.name != "latency_bound" && r.name != "no_leaks" && r.name != "graceful_close") {
      EXPECT_EQ(r.verdict, Verdict::kPass) << r.name << ": " << r.summary;
    }
  Timeline t = build_timeline(h);
  EXPECT_EQ(t.gen_index_of(101), 0);
  EXPECT_EQ(t.gen_index_of(202), 1);
  EXPECT_EQ(t.gens.size(), 2u) << "a child that is a main pid stays its own generation";
}

TEST(ProcessTrees, AnUnrecordedPidStaysUnknown) {
  auto h = prefork_new_main();
  h.requests.push_back(req(900, "fast", 1500, 1501, 999));
  EXPECT_EQ(check_new_served_by_new(h, expect_restart(), build_timeline(h)).verdict,
            Verdict::kFail);
  EXPECT_EQ(check_pid_transition(h, expect_restart(), build_timeline(h)).verdict, Verdict::kFail);
}

TEST(ProcessTrees, AnOldWorkerAnsweringAfterTheNewMasterWasReadyFails) {
  auto h = prefork_new_main();
  h.requests.push_back(req(900, "fast", 1200, 1201, 102));
  EXPECT_EQ(check_new_served_by_new(h, expect_restart(), build_timeline(h)).verdict,
            Verdict::kFail);
  // A settle probe answered by the old master's worker is not settled.
  auto s = prefork_new_main();
  for (auto& e : s.events)
    if (e.event == "settle") e.detail = "101";
  EXPECT_EQ(check_settles(s, expect_restart(), build_timeline(s)).verdict, Verdict::kFail);
}

TEST(ProcessTrees, TheSettleRestartMustReachAProcessNewToTheTree) {
  // The settle restart's HUP to master 200: a new master 300 (its child) answers before it
  // announced itself — a hand-over; an old worker 201 answering is not.
  auto h = prefork_new_main();
  h.events.push_back({ms(3050), "settle_restart", 200, 1, "HUP"});
  h.events.push_back(process(3060, 300, 200, 3050));
  h.events.push_back({ms(3070), "settle_restart_result", 200, 300, ""});
  in_time_order(h);
  Expect e = expect_restart();
  EXPECT_EQ(check_settles(h, e, build_timeline(h)).verdict, Verdict::kPass);
  for (auto& ev : h.events)
    if (ev.event == "settle_restart_result") ev.other = 201;
  EXPECT_EQ(check_settles(h, e, build_timeline(h)).verdict, Verdict::kFail);
}

// nginx's `daemon on` (binary upgrade, new_main_pid): the process spawned, 50, forks master 100
// and exits 0; the pid file names 100 (a `mainpid` from 50), and the launcher, once 50 has
// exited 0, records `daemonized`. Then the reload as above: master 200 after 1000 ms.
History daemonized_start(int first_exit, bool daemonized) {
  History h = prefork_new_main();
  h.events.front() = {0, "spawned", 50, 0, "/usr/sbin/nginx"};
  h.events.push_back(process(5, 100, 50, 2));
  h.events.push_back({ms(40), "mainpid", 100, 50, "pid_file"});
  h.events.push_back({ms(45), "exited", 50, first_exit, "code " + std::to_string(first_exit)});
  if (daemonized) h.events.push_back({ms(45), "daemonized", 100, 50, "pid_file"});
  in_time_order(h);
  return h;
}

TEST(ProcessTrees, ADaemonizingStartIsTheFirstGenerationNotARestart) {
  // Before the `daemonized` event, nginx-upgrade failed pid_transition: 'PIDs 50 -> 100 -> 200:
  // 2 changes, expected 1'.
  auto h = daemonized_start(0, true);
  for (auto& r : run_checks(h, expect_restart()))
    if (r.name != "latency_bound" && r.name != "no_leaks" && r.name != "graceful_close") {
      EXPECT_EQ(r.verdict, Verdict::kPass) << r.name << ": " << r.summary;
    }
  Timeline t = build_timeline(h);
  ASSERT_EQ(t.gens.size(), 2u);
  EXPECT_EQ(t.gens[0].pid, 100);
  EXPECT_EQ(t.gens[0].takeover_ns, 0) << "the daemon serves from the start";
  EXPECT_EQ(t.gens[1].pid, 200);
  EXPECT_EQ(t.gen_index_of(101), 0);
}

// nginx's binary upgrade is one restart made of three signals: USR2 to the master, then WINCH
// and QUIT to the previous one once the new master is ready. `zerodrop report --figures` counted
// every signal as a restart fault (bench/compare.sh: "15 restarts" for 5 upgrades, and the
// median signal -> new pid serving taken over the follow-ups too).
TEST(ProcessTrees, TheFollowUpSignalsOfABinaryUpgradeAreNotRestartsOfTheirOwn) {
  History h;
  h.events = {{ms(0), "spawned", 100, 0, ""},          {ms(10), "ready", 100, 0, "pid_file"},
              {ms(1000), "signal", 100, 1, "USR2"},    {ms(1050), "mainpid", 200, 0, "pid_file"},
              {ms(1060), "ready", 200, 0, "pid_file"}, {ms(1100), "signal", 100, 1, "WINCH"},
              {ms(1150), "signal", 100, 1, "QUIT"},    {ms(1300), "exited", 100, 0, "code 0"},
              {ms(2000), "signal", 200, 1, "HUP"},     {ms(2100), "signal", -200, 1, "HUP"}};
  const Timeline t = build_timeline(h);
  EXPECT_EQ(t.restart_fault_times(), (std::vector<std::int64_t>{ms(1000), ms(2000), ms(2100)}))
      << "USR2 and the HUPs to the current main (or its group) only";
  EXPECT_EQ(t.signal_times().size(), 5u) << "latency windows still see every signal";
}

// nginx's binary upgrade on a loaded machine (scenario/peers/nginx-upgrade, 6 of 60 runs at 3
// at once): the new master is ready and WINCH + QUIT go to the old master at once, but its
// worker 101 hears of it from the master only 52 ms later. Until then it accepts new
// connections and keeps its keep-alive ones open, as any worker that is not draining does.
History old_worker_hears_late() {
  auto h = prefork_new_main();
  std::uint64_t id = 1000;
  auto on_conn_42 = [&](double start_ms) {
    auto q = req(id++, "fast", start_ms, start_ms + 1, 101);
    q.keepalive = true;
    q.reused = start_ms > 900;
    q.conn = 42;
    h.requests.push_back(q);
  };
  on_conn_42(900);  // opened before the drain
  for (double t = 1050; t <= 1090; t += 20)
    on_conn_42(t);
  for (double t = 1060; t <= 1092; t += 16)  // new connections accepted by 101: 1060, 1076, 1092
    h.requests.push_back(req(id++, "fast", t, t + 1, 101));
  on_conn_42(1100);  // the last on conn 42: nothing followed it
  return h;
}

TEST(ProcessTrees, AWorkerStillAcceptingHasNotBegunToDrain) {
  // graceful_close judged keep-alive responses from the successor's readiness (1040 ms) + 5 ms:
  // the worker's three responses at 1050-1090 ms "found the connection kept open", a failure a
  // correct nginx does not deserve. A process that accepts a connection sent at T had not
  // stopped accepting at T: its drain is judged from its last such acceptance.
  auto h = old_worker_hears_late();
  auto r = check_graceful_close(h, expect_restart(), build_timeline(h));
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.summary;
  // The check still fails the same worker once it no longer accepts: a keep-alive response
  // 8 ms after its last acceptance (1092 ms) that a further request then followed.
  auto after = old_worker_hears_late();
  auto q = req(2000, "fast", 1110, 1111, 101);
  q.keepalive = q.reused = true;
  q.conn = 42;
  after.requests.push_back(q);
  r = check_graceful_close(after, expect_restart(), build_timeline(after));
  EXPECT_EQ(r.verdict, Verdict::kFail) << r.summary;
  EXPECT_NE(r.summary.find("request 1007 answered by pid 101"), std::string::npos) << r.summary;
}

TEST(ProcessTrees, AFirstProcessNotHandedOverStaysAGeneration) {
  // The launcher records no `daemonized` when the first process exits non-zero: the start
  // failed (run/start.cpp says not_ready); a history of it still counts two changes.
  auto failed = daemonized_start(1, false);
  EXPECT_EQ(check_pid_transition(failed, expect_restart(), build_timeline(failed)).verdict,
            Verdict::kFail);
  // `daemonized` counts only for the hand-over itself: one naming a later generation (after
  // the restart) changes nothing.
  auto late = daemonized_start(0, false);
  late.events.push_back({ms(1050), "daemonized", 200, 100, "pid_file"});
  in_time_order(late);
  const Timeline t = build_timeline(late);
  ASSERT_EQ(t.gens.size(), 3u);
  EXPECT_EQ(check_pid_transition(late, expect_restart(), t).verdict, Verdict::kFail);
}

// ---- expect.reload: in_place -------------------------------------------------------------

// gunicorn HUP: master 100 stays; workers 101, 102 (set 0); SIGHUP at 1000 ms starts 103, 104
// (set 1), the old ones finish the slow request in flight and exit; the settle restart's HUP
// starts 105.
History in_place_good() {
  History h;
  h.events = until_the_reload();
  h.events.insert(h.events.end(),
                  {// Started 1005 ms, truncated to the tick: 1000 ms; seen after the signal.
                   process(1010, 103, 100, 1000),
                   process(1010, 104, 100, 1000),
                   {ms(1350), "vanished", 102, 0, ""},
                   {ms(1400), "vanished", 101, 0, ""},
                   {ms(3000), "settle", 100, 1, "103"},
                   {ms(3100), "settle_restart", 100, 1, "HUP"},
                   process(3110, 105, 100, 3100),
                   {ms(3150), "settle_restart_result", 100, 105, ""},
                   {ms(3500), "teardown", 100, 0, ""},
                   {ms(3590), "vanished", 103, 0, ""},
                   {ms(3590), "vanished", 104, 0, ""},
                   {ms(3600), "exited", 100, 0, "code 0"}});
  add_requests(h, 1010, 103, 104);
  return h;
}

Expect in_place_expect() {
  Expect e = expect_restart();
  e.reload = Reload::kInPlace;
  e.settle_restart = true;
  return e;
}

CheckResult judge(const History& h, const Expect& e, CheckFn fn) {
  return fn(h, e, build_timeline(h));
}

TEST(InPlace, AGoodReloadPasses) {
  auto h = in_place_good();
  for (auto& r : run_checks(h, in_place_expect()))
    if (r.name != "latency_bound" && r.name != "no_leaks" && r.name != "graceful_close") {
      EXPECT_EQ(r.verdict, Verdict::kPass) << r.name << ": " << r.summary;
    }
  Timeline t = build_timeline(h);
  ASSERT_EQ(t.worker_sets.size(), 2u);
  EXPECT_EQ(t.worker_sets[0].pids, (std::vector<long>{101, 102}));
  EXPECT_EQ(t.worker_sets[1].pids, (std::vector<long>{103, 104}));
  EXPECT_EQ(t.worker_sets[1].ready_ns, ms(1012) - 1) << "its first answer";
  EXPECT_EQ(t.settle_workers, (std::vector<long>{105}));
  // The same history under new_main_pid: the main never changed, 1 restart was expected.
  EXPECT_EQ(judge(h, expect_restart(), check_pid_transition).verdict, Verdict::kFail);
}

// in_place has one generation: no_leaks compares the main's count at settle with its count at
// ready (it said "no later generation measured", unknown, for every in-place server).
TEST(InPlace, NoLeaksComparesTheMainAtSettleWithItselfAtReady) {
  auto with_counts = [](long at_ready, long at_settle) {
    auto h = in_place_good();
    h.events.push_back({ms(60), "fd_count", 100, at_ready, "at ready"});
    h.events.push_back({ms(2990), "fd_count", 100, at_settle, "at settle"});
    return h;
  };
  Expect e = in_place_expect();
  e.fd_slack = 2;
  auto same = judge(with_counts(9, 11), e, check_no_leaks);
  EXPECT_EQ(same.verdict, Verdict::kPass) << same.summary;
  EXPECT_EQ(same.summary, "fds of the main pid at ready 9, at settle 11 (slack 2), 0 zombie(s)");
  auto grew = judge(with_counts(9, 12), e, check_no_leaks);
  EXPECT_EQ(grew.verdict, Verdict::kFail) << grew.summary;
  EXPECT_EQ(grew.examples, std::vector<std::uint64_t>{100});
  // Not measured at settle: nothing to compare, unknown (never a pass).
  auto h = in_place_good();
  h.events.push_back({ms(60), "fd_count", 100, 9, "at ready"});
  EXPECT_EQ(judge(h, e, check_no_leaks).verdict, Verdict::kUnknown);
  // new_main_pid: the same pid counted twice is not a later generation.
  EXPECT_EQ(judge(with_counts(9, 30), expect_restart(), check_no_leaks).verdict, Verdict::kUnknown);
}

// A server that says STOPPING=1 when the harness stops it at teardown (HAProxy -Ws, the
// reference server) in a run without a settle restart (bench/compare.sh's shared schedule):
// that answer to the harness's own stop, after the load, is not a shutdown of the scenario.
// Before, it made one: in_flight_served_by_old found nothing in flight at it and said
// "unknown ... no request in flight at: shutdown" for every HAProxy reload in compare.sh.
TEST(InPlace, AStoppingAnswerToTheTeardownIsNotAShutdownOfTheScenario) {
  History h;
  for (auto& e : in_place_good().events)
    if (e.event != "settle_restart" && e.event != "settle_restart_result" && e.pid != 105)
      h.events.push_back(e);
  h.events.push_back({ms(3501), "stopping", 100, 0, "notify"});
  in_time_order(h);
  add_requests(h, 1010, 103, 104);
  Expect e = in_place_expect();
  e.settle_restart = false;
  const Timeline t = build_timeline(h);
  EXPECT_EQ(t.shutdown_ns, -1) << "the teardown's STOPPING=1 is not the scenario's shutdown";
  auto r = judge(h, e, check_in_flight_served_by_old);
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.summary;
  // A STOPPING=1 before the teardown (the server stopping by itself, or a stop fault) still is.
  h.events.push_back({ms(2500), "stopping", 100, 0, "notify"});
  in_time_order(h);
  EXPECT_EQ(build_timeline(h).shutdown_ns, ms(2500));
}

TEST(InPlace, AnOldWorkerAnsweringAFreshRequestAfterTheNewSetWasReadyFails) {
  auto h = in_place_good();
  h.requests.push_back(req(900, "fast", 1200, 1201, 102));
  auto r = judge(h, in_place_expect(), check_new_served_by_new);
  EXPECT_EQ(r.verdict, Verdict::kFail) << r.summary;
  EXPECT_EQ(r.examples, std::vector<std::uint64_t>{900});
  // Before the new set was ready (its first answer, 1011 ms), an old worker may answer.
  auto before = in_place_good();
  before.requests.push_back(req(901, "fast", 1005, 1009, 102));
  EXPECT_EQ(judge(before, in_place_expect(), check_new_served_by_new).verdict, Verdict::kPass);
}

TEST(InPlace, ReadinessIsReadyAfterReloadingFromTheMainWhenThatComesFirst) {
  auto h = in_place_good();
  h.events.push_back({ms(1001), "reloading", 100, 0, "notify"});
  h.events.push_back({ms(1003), "ready", 100, 0, "notify"});
  in_time_order(h);
  EXPECT_EQ(build_timeline(h).worker_sets[1].ready_ns, ms(1003));
  h.requests.push_back(req(901, "fast", 1005, 1009, 102));
  EXPECT_EQ(judge(h, in_place_expect(), check_new_served_by_new).verdict, Verdict::kFail);
}

TEST(InPlace, InFlightAnsweredByANewWorkerFails) {
  auto h = in_place_good();
  for (auto& q : h.requests)
    if (q.kind == "slow") q.pid = 103;
  EXPECT_EQ(judge(h, in_place_expect(), check_in_flight_served_by_old).verdict, Verdict::kFail);
  auto lost = in_place_good();
  for (auto& q : lost.requests)
    if (q.kind == "slow") q.outcome = Outcome::kReset;
  EXPECT_EQ(judge(lost, in_place_expect(), check_in_flight_served_by_old).verdict, Verdict::kFail);
}

TEST(InPlace, AnOldWorkerThatNeverExitsFails) {
  auto h = in_place_good();
  std::erase_if(h.events, [](auto& e) { return e.event == "vanished" && e.pid == 102; });
  EXPECT_EQ(judge(h, in_place_expect(), check_old_generation_exits).verdict, Verdict::kFail);
  auto late = in_place_good();
  for (auto& e : late.events)
    if (e.event == "vanished" && e.pid == 102) e.t_ns = ms(9000);
  EXPECT_EQ(judge(late, in_place_expect(), check_old_generation_exits).verdict, Verdict::kFail);
}

TEST(InPlace, PidTransitionCountsWorkerSetReplacementsAndKeepsTheMain) {
  auto h = in_place_good();
  auto two = in_place_expect();
  two.restarts = 2;
  EXPECT_EQ(judge(h, two, check_pid_transition).verdict, Verdict::kFail);
  auto moved = in_place_good();
  moved.events.push_back({ms(1500), "mainpid", 200, 100, "notify"});
  in_time_order(moved);
  EXPECT_EQ(judge(moved, in_place_expect(), check_pid_transition).verdict, Verdict::kFail);
}

TEST(InPlace, SettlesNeedsTheNewestSetAndANewSetAfterTheSettleRestart) {
  auto h = in_place_good();
  for (auto& e : h.events)
    if (e.event == "settle") e.detail = "101";
  EXPECT_EQ(judge(h, in_place_expect(), check_settles).verdict, Verdict::kFail);
  auto same = in_place_good();
  for (auto& e : same.events)
    if (e.event == "settle_restart_result") e.other = 104;  // still the old set
  EXPECT_EQ(judge(same, in_place_expect(), check_settles).verdict, Verdict::kFail);
}

// ---- server.pid_header: none ---------------------------------------------------------------

TEST(PidHeader, NoneMakesThePidBasedChecksNotApplicableNeverAPass) {
  auto h = in_place_good();
  for (auto& q : h.requests)
    q.pid = 0;
  for (auto& e : h.events)
    if (e.event == "settle") e.detail = "100";
  Expect e = in_place_expect();
  e.pids_answered = false;
  auto results = run_checks(h, e);
  for (auto& r : results) {
    if (r.name == "in_flight_served_by_old" || r.name == "new_served_by_new") {
      EXPECT_EQ(r.verdict, Verdict::kNotApplicable) << r.name;
    }
    if (r.name == "pid_transition" || r.name == "settles" || r.name == "no_dropped_requests") {
      EXPECT_EQ(r.verdict, Verdict::kPass) << r.name << ": " << r.summary;
    }
  }
  // Drops are still judged.
  h.requests[3].outcome = Outcome::kReset;
  EXPECT_EQ(judge(h, e, check_no_dropped_requests).verdict, Verdict::kFail);
  // The report: n/a shown, the result and exit code untouched by it.
  std::vector<CheckResult> na_and_pass;
  for (auto& r : results)
    if (r.verdict == Verdict::kPass || r.verdict == Verdict::kNotApplicable)
      na_and_pass.push_back(r);
  std::ostringstream text;
  render_text(text, "s", h, na_and_pass, Validity{});
  EXPECT_NE(text.str().find(" n/a "), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("2 not applicable"), std::string::npos) << text.str();
  EXPECT_EQ(exit_code(na_and_pass, Validity{}, false), 0);
  EXPECT_EQ(render_json("s", h, na_and_pass, Validity{})["invariants"][1]["verdict"], "n/a");
}

TEST(PidHeader, EveryReportShowsNotApplicable) {
  CheckResult na;
  na.name = "new_served_by_new";
  na.verdict = Verdict::kNotApplicable;
  na.summary = "not applicable";
  const std::vector<CheckResult> results{na};
  const History h = in_place_good();
  std::ostringstream md, junit, html;
  render_markdown(md, "s", h, results, Validity{});
  render_junit(junit, "s", h, results, Validity{});
  render_html(html, "s", h, results, Validity{});
  EXPECT_NE(md.str().find("n/a"), std::string::npos);
  EXPECT_NE(junit.str().find("<skipped message=\"n/a: "), std::string::npos) << junit.str();
  EXPECT_NE(html.str().find("class=\"v-na\">n/a<"), std::string::npos);
  EXPECT_STREQ(result_word(results, Validity{}), "pass") << "n/a changes no exit code";
}

// ---- the scenario keys ---------------------------------------------------------------------

TEST(ProcessTreeKeys, ParseAndRejectBadValues) {
  auto s = parse_scenario_text(
      "name: x\nserver:\n  command: [a]\n  pid_header: X-Worker\nexpect:\n  reload: in_place\n",
      "s.yaml");
  EXPECT_EQ(s.pid_header, "X-Worker");
  EXPECT_TRUE(s.expect.pids_answered);
  EXPECT_EQ(s.expect.reload, Reload::kInPlace);
  auto d = parse_scenario_text("name: x\nserver:\n  command: [a]\n", "s.yaml");
  EXPECT_EQ(d.pid_header, "X-Pid");
  EXPECT_EQ(d.expect.reload, Reload::kNewMainPid);
  auto n = parse_scenario_text("name: x\nserver:\n  command: [a]\n  pid_header: none\n", "s.yaml");
  EXPECT_EQ(n.pid_header, "");
  EXPECT_FALSE(n.expect.pids_answered);
  EXPECT_EQ(error_of("name: x\nserver:\n  command: [a]\n  pid_header: \"X Pid\"\n"),
            "s.yaml:4: server.pid_header: expected a header name or none, got \"X Pid\"");
  EXPECT_EQ(error_of("name: x\nserver:\n  command: [a]\nexpect:\n  reload: sideways\n"),
            "s.yaml:5: expect.reload: expected one of new_main_pid|in_place, got \"sideways\"");
}

TEST(ProcessTreeKeys, TheLoadReadsTheConfiguredPidHeader) {
  const std::string resp =
      "HTTP/1.1 200 OK\r\nX-Pid: 7\r\nX-Worker: 42\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_EQ(parse_response(resp, false).pid, 7);
  EXPECT_EQ(parse_response(resp, false, false, "x-worker").pid, 42);
  EXPECT_EQ(parse_response(resp, false, false, "").pid, 0) << "none: no pid is read";
}

// ---- the launcher records the tree -----------------------------------------------------------

TEST(ProcessTreeLauncher, RecordsEachDescendantOnceWithItsParentAndStart) {
  char tmpl[] = "/tmp/zerodrop-trees-test-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    Launcher L(RunClock{}, dir);
    SpawnOptions o;
    // A master with two workers, and a worker of a worker.
    o.argv = {"/bin/sh", "-c", "sleep 30 & sh -c 'sleep 30 & wait' & wait"};
    o.capture_stdout = false;
    const pid_t master = L.spawn(o);
    auto processes = [&] {
      std::vector<LifecycleEvent> out;
      for (auto& e : L.events())
        if (e.event == "process") out.push_back(e);
      return out;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (processes().size() < 3 && std::chrono::steady_clock::now() < deadline)
      L.wait_until(L.now_ns() + ms_to_ns(10));
    L.poll();
    L.poll();  // scanning again records nobody twice
    const auto seen = processes();
    ASSERT_EQ(seen.size(), 3u);
    int children = 0;
    for (auto& e : seen) {
      children += e.other == master;
      EXPECT_EQ(L.generation_of(static_cast<pid_t>(e.pid)), master);
      auto j = nlohmann::json::parse(e.detail);
      EXPECT_LE(j["start_ns"].get<std::int64_t>(), e.t_ns + 1) << "started before it was seen";
      EXPECT_GE(j["start_ns"].get<std::int64_t>(), -j["resolution_ns"].get<std::int64_t>());
    }
    EXPECT_EQ(children, 2) << "sleep and the inner sh; the inner sleep is the inner sh's";
    EXPECT_EQ(L.tree_of(master).size(), 4u);
    History h;
    h.events = L.events();
    Timeline t = build_timeline(h);
    for (auto& e : seen)
      EXPECT_EQ(t.gen_index_of(e.pid), 0);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zerodrop
