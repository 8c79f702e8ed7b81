#include "zerodrop/history.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

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
  r.outcome = Outcome::eof_on_reused_keepalive;
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
  EXPECT_EQ(back.requests[0].outcome, Outcome::eof_on_reused_keepalive);
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
