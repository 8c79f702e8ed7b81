#include "zerodrop/scenario.hpp"

#include <gtest/gtest.h>

#include "hand_written.hpp"

namespace zerodrop {
namespace {

using hand_written::error_of;

TEST(Scenario, ParsesAFullScenario) {
  auto s = parse_scenario_text(R"(name: x
description: d
server:
  command: ["{server}", "--pid-file", "{pid_file}"]
  listener: port
  ready: stdout
  copy_binary: true
load:
  loop: closed
  clients: 4
  duration_ms: 1000
  connections: both
  kinds:
    - {kind: fast, weight: 3}
    - {kind: upload, bytes: 100, over_ms: 50}
faults:
  - {at_ms: 10, signal: SIGHUP, repeat: 2, interval_ms: 5}
  - {at_ms: 20, replace_binary: "/bin/true"}
expect:
  restarts: 2
  allowed: [reset]
  eof_on_reused_keepalive: retryable
  messages: [a, b]
  latency: {p99_ms: 10, window_ms: 100}
)",
                               "s.yaml");
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.listener, Listener::port);
  EXPECT_EQ(s.ready, Ready::stdout_line);
  EXPECT_TRUE(s.copy_binary);
  EXPECT_FALSE(s.load.open_loop);
  EXPECT_EQ(s.load.conn, ConnMode::kBoth);
  ASSERT_EQ(s.load.kinds.size(), 2u);
  EXPECT_EQ(s.load.kinds[1].bytes, 100);
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[0].signal, "HUP");  // the SIG prefix is optional
  EXPECT_EQ(s.faults[0].line, 17);
  EXPECT_EQ(s.expect.restarts, 2);
  EXPECT_FALSE(s.expect.reused_eof_is_drop);
  EXPECT_EQ(s.expect.p99_ms, 10);
}

TEST(Scenario, ErrorsNameFileLineAndField) {
  EXPECT_EQ(error_of("name: x\nserver:\n  command: [a]\nload:\n  rate: fast\n"),
            "s.yaml:5: load.rate: expected a positive number, got \"fast\"");
  EXPECT_EQ(error_of("name: x\nserver:\n  command: [a]\nload:\n  rate: -3\n"),
            "s.yaml:5: load.rate: expected a positive number, got \"-3\"");
  EXPECT_EQ(error_of("name: x\nserver:\n  command: [a]\n  colour: red\n"),
            "s.yaml:4: server.colour: unknown key");
  EXPECT_EQ(error_of("name: x\nserver:\n  command: [a]\nload:\n  connections: sometimes\n"),
            "s.yaml:5: load.connections: expected one of fresh|keepalive|both, got \"sometimes\"");
  EXPECT_EQ(error_of("name: x\nserver:\n  command: [a]\nfaults:\n  - {at_ms: 1}\n"),
            "s.yaml:5: faults[0]: exactly one of signal, replace_binary, command");
  EXPECT_EQ(error_of("name: x\nserver:\n  command: [a]\nexpect:\n  invariants: [no_drops]\n"),
            "s.yaml:5: expect.invariants: unknown invariant \"no_drops\"");
  EXPECT_EQ(error_of("server:\n  command: [a]\n"), "s.yaml:1: name: required");
  EXPECT_NE(error_of("name: [unclosed\n").find("s.yaml:"), std::string::npos);
}

TEST(Scenario, ExpandsPlaceholders) {
  EXPECT_EQ(expand("{a}-{b}/x", {{"a", "1"}, {"b", "2"}}), "1-2/x");
  EXPECT_THROW(expand("{nope}", {}), ScenarioError);
}

}  // namespace
}  // namespace zerodrop
