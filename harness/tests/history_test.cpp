#include "zerodrop/history.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "zerodrop/event_kind.hpp"
#include "zerodrop/recorder.hpp"

namespace zerodrop {
namespace {

TEST(History, RoundTripsThroughJsonLines) {
  History h;
  h.scenario_file = "f.yaml";
  h.scenario_yaml = "name: x\n";
  h.events.push_back({5, "spawned", 10, 0, "srv"});
  RequestRecord r;
  r.id = 7;
  r.kind = "slow";
  r.keepalive = true;
  r.reused = true;
  r.outcome = Outcome::kEofOnReusedKeepalive;
  r.end_ns = 99;
  h.requests.push_back(r);
  std::string path = "/tmp/zerodrop-history-test-" + std::to_string(getpid()) + ".jsonl";
  write_history(h, path);
  auto back = read_history(path);
  std::remove(path.c_str());
  EXPECT_EQ(back.scenario_yaml, "name: x\n");
  ASSERT_EQ(back.events.size(), 1u);
  EXPECT_EQ(back.events[0].event, "spawned");
  ASSERT_EQ(back.requests.size(), 1u);
  EXPECT_EQ(back.requests[0].id, 7u);
  EXPECT_TRUE(back.requests[0].reused);
  EXPECT_EQ(back.requests[0].outcome, Outcome::kEofOnReusedKeepalive);
}

// Streamed as the run goes: what was written before a crash is readable, header first, with the
// harness version; events come back in time order whatever order they were written in.
TEST(History, AStreamedHistoryIsReadableAtAnyPoint) {
  std::string path = "/tmp/zerodrop-history-stream-" + std::to_string(getpid()) + ".jsonl";
  {
    HistoryWriter w(path, "s.yaml", "name: s\n");
    w.write(LifecycleEvent{20, "ready", 10, 0, ""});
    w.write(LifecycleEvent{10, "spawned", 10, 0, ""});
    RequestRecord r;
    r.id = 3;
    r.kind = "fast";
    r.outcome = Outcome::kResetOnReusedKeepalive;
    w.write(r);
    w.flush();
    // Not closed yet, as if the harness had been killed here.
    auto mid = read_history(path);
    ASSERT_EQ(mid.events.size(), 2u);
    EXPECT_EQ(mid.events[0].event, "spawned");
    ASSERT_EQ(mid.requests.size(), 1u);
    EXPECT_EQ(mid.requests[0].outcome, Outcome::kResetOnReusedKeepalive);
    EXPECT_EQ(mid.harness_version, harness_version());
    EXPECT_FALSE(mid.harness_version.empty());
  }
  std::remove(path.c_str());
}

TEST(History, ALastLineCutByAKillIsSkippedNotFatal) {
  std::string path = "/tmp/zerodrop-history-cut-" + std::to_string(getpid()) + ".jsonl";
  std::ofstream(path)
      << "{\"type\":\"header\",\"scenario_file\":\"a\",\"scenario_yaml\":\"\"}\n"
      << "{\"type\":\"event\",\"t_ns\":1,\"event\":\"spawned\",\"pid\":5,\"other\":0,"
         "\"detail\":\"\"}\n{\"type\":\"requ";
  auto h = read_history(path);
  EXPECT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.cut_line, 3);
  std::remove(path.c_str());
}

TEST(History, EveryOutcomeNameRoundTrips) {
  for (const auto& d : kOutcomes)
    EXPECT_EQ(outcome_from_string(to_string(d.outcome)), d.outcome);
}

// The history's event names are its on-disk format: histories of older runs and the checks read
// them. The enum's one table must give exactly these strings, each once.
TEST(History, EveryEventKindHasItsOnDiskName) {
  const std::vector<std::string> names = {"spawned",
                                          "command",
                                          "sidecar",
                                          "exec_failed",
                                          "ready",
                                          "mainpid",
                                          "reloading",
                                          "stopping",
                                          "status",
                                          "listening",
                                          "exited",
                                          "vanished",
                                          "orphan_killed",
                                          "teardown_kill",
                                          "fd_limit",
                                          "not_ready",
                                          "load_summary",
                                          "teardown",
                                          "fd_count",
                                          "settle",
                                          "settle_restart",
                                          "settle_restart_result",
                                          "zombie",
                                          "orphan",
                                          "cpu_wait",
                                          "signal",
                                          "signal_failed",
                                          "fault",
                                          "fault_condition_unmet",
                                          "replace_binary",
                                          "replace_binary_failed",
                                          "command_failed",
                                          "idle_close",
                                          "process",
                                          "settle_probe",
                                          "daemonized"};
  std::set<std::string> seen;
  for (const auto& n : names) {
    auto k = event_kind_from_string(n);
    ASSERT_TRUE(k) << n;
    EXPECT_EQ(to_string(*k), n);
    seen.insert(to_string(*k));
  }
  EXPECT_EQ(seen.size(), names.size());
  EXPECT_EQ(static_cast<std::size_t>(EventKind::kDaemonized) + 1, names.size());
  EXPECT_FALSE(event_kind_from_string("no_such_event"));
}

// The Recorder streams each event the moment it is recorded (readable before the run ends) and
// keeps its own list in time order: an event stamped on arrival may be older than one recorded
// before it.
TEST(History, TheRecorderStreamsEachEventAndKeepsTimeOrder) {
  const std::string path = "/tmp/zerodrop-recorder-test-" + std::to_string(getpid()) + ".jsonl";
  {
    HistoryWriter w(path, "s.yaml", "name: s\n");
    RunClock clock;
    Recorder rec(clock, &w);
    rec.record_at(ms_to_ns(5), EventKind::kSpawned, 10, 0, "srv");
    rec.record_at(ms_to_ns(9), EventKind::kExited, 10, 0, "code 0");
    rec.record_at(ms_to_ns(7), EventKind::kReady, 10, 0, "notify");
    rec.flush();
    auto mid = read_history(path);
    ASSERT_EQ(mid.events.size(), 3u) << "streamed before the run ended";
    EXPECT_EQ(mid.harness_version, harness_version());
    auto kept = rec.events();
    ASSERT_EQ(kept.size(), 3u);
    EXPECT_EQ(kept[0].event, "spawned");
    EXPECT_EQ(kept[1].event, "ready");
    EXPECT_EQ(kept[2].event, "exited");
  }
  auto back = read_history(path);
  std::remove(path.c_str());
  ASSERT_EQ(back.events.size(), 3u);
  EXPECT_EQ(back.events[1].event, "ready");
  EXPECT_EQ(back.events[1].t_ns, ms_to_ns(7));
}

TEST(History, BadLineNamesItsNumber) {
  std::string path = "/tmp/zerodrop-history-bad-" + std::to_string(getpid()) + ".jsonl";
  std::ofstream(path)
      << "{\"type\":\"header\",\"scenario_file\":\"a\",\"scenario_yaml\":\"\"}\n{oops\n";
  try {
    read_history(path);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(":2:"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace zerodrop
