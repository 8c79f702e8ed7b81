#include "zerodrop/scenario.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>

namespace zerodrop {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_scenario_text(text, "s.yaml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

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
  EXPECT_EQ(s.listener, Listener::kPort);
  EXPECT_EQ(s.ready, Ready::kStdout);
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

// Issue 12: a signal's target and `after: ready`.
TEST(Scenario, ParsesFaultTargetsAndSequences) {
  auto s = parse_scenario_text(R"(name: nginx-upgrade
server:
  command: [nginx]
faults:
  - {at_ms: 500, signal: USR2}
  - {after: ready, signal: WINCH, to: previous}
  - {after: ready, at_ms: 900, signal: QUIT, to: previous}
  - {at_ms: 2000, signal: TERM, to: workers}
  - {at_ms: 2500, signal: HUP, to: group}
  - {after: ready, command: [caddy, reload, --config, "{workdir}/Caddyfile", --address, "127.0.0.1:{port}"]}
)",
                               "s.yaml");
  ASSERT_EQ(s.faults.size(), 6u);
  EXPECT_EQ(s.faults[0].to, FaultTarget::kMain);
  EXPECT_FALSE(s.faults[0].after_ready);
  EXPECT_EQ(s.faults[1].to, FaultTarget::kPrevious);
  EXPECT_TRUE(s.faults[1].after_ready);
  EXPECT_EQ(s.faults[2].at_ms, 900);
  EXPECT_TRUE(s.faults[2].after_ready);
  EXPECT_EQ(s.faults[3].to, FaultTarget::kWorkers);
  EXPECT_EQ(s.faults[4].to, FaultTarget::kGroup);
  EXPECT_TRUE(s.faults[5].after_ready);
  // Signals to the previous main pid or the workers start no generation: WINCH and QUIT both
  // await the generation USR2 started; the command the one the group's HUP did.
  EXPECT_EQ(generation_fault_before(s.faults, 1), 0);
  EXPECT_EQ(generation_fault_before(s.faults, 2), 0);
  EXPECT_EQ(generation_fault_before(s.faults, 5), 4);
}

TEST(Scenario, FaultTargetAndSequenceErrors) {
  const std::string head = "name: x\nserver:\n  command: [a]\nfaults:\n";
  EXPECT_EQ(error_of(head + "  - {signal: HUP, to: parent}\n"),
            "s.yaml:5: faults[0].to: expected one of main|previous|workers|group, got \"parent\"");
  EXPECT_EQ(error_of(head + "  - {command: [x], to: previous}\n"),
            "s.yaml:5: faults[0].to: only for a signal fault");
  EXPECT_EQ(error_of(head + "  - {signal: HUP, after: started}\n"),
            "s.yaml:5: faults[0].after: expected one of ready, got \"started\"");
  EXPECT_EQ(error_of(head + "  - {signal: HUP, after: ready}\n"),
            "s.yaml:5: faults[0].after: no fault before it may start a generation (a signal to "
            "main or group, or a command)");
  EXPECT_EQ(error_of(head + "  - {signal: HUP, to: previous}\n  - {signal: HUP, after: ready}\n"),
            "s.yaml:6: faults[1].after: no fault before it may start a generation (a signal to "
            "main or group, or a command)");
}

// Issue 12: request kinds of your own.
TEST(Scenario, ParsesOwnEndpoints) {
  auto s = parse_scenario_text(R"(name: x
server:
  command: [a]
load:
  kinds:
    - kind: request
      path: /api/items?x=1
      method: POST
      headers: {X-Token: abc, Content-Type: application/json}
      body: '{"a":1}'
      status: 201
      expect_body: created
    - {kind: fast, path: /healthz}
    - {kind: upload, bytes: 10, method: PUT, status: 204, expect_body: ""}
)",
                               "s.yaml");
  ASSERT_EQ(s.load.kinds.size(), 3u);
  const RequestKind& r = s.load.kinds[0];
  EXPECT_EQ(r.kind, "request");
  EXPECT_EQ(r.path, "/api/items?x=1");
  EXPECT_EQ(r.method, "POST");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"X-Token", "abc"}));
  EXPECT_EQ(r.headers[1].first, "Content-Type");
  EXPECT_EQ(r.body, std::optional<std::string>(R"({"a":1})"));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.expect_body, std::optional<std::string>("created"));
  EXPECT_EQ(s.load.kinds[1].path, "/healthz");
  EXPECT_EQ(s.load.kinds[1].method, "");  // unset: the kind's own (GET)
  EXPECT_FALSE(s.load.kinds[1].body);
  EXPECT_EQ(s.load.kinds[1].status, 0);  // unset: any 2xx
  EXPECT_EQ(s.load.kinds[2].expect_body, std::optional<std::string>(""));
}

TEST(Scenario, OwnEndpointErrors) {
  const std::string head = "name: x\nserver:\n  command: [a]\nload:\n  kinds:\n    - ";
  const std::pair<const char*, const char*> cases[] = {
      {"{kind: get}",
       "kind: expected one of fast|slow|upload|download|stream|request, got \"get\""},
      {"{kind: request, path: api}",
       "path: expected a path starting with / without blanks or control characters, got \"api\""},
      {"{kind: request, path: /a b}",
       "path: expected a path starting with / without blanks or control characters, got \"/a b\""},
      {"{kind: request, method: \"GET /\"}", "method: expected an HTTP method, got \"GET /\""},
      {"{kind: request, headers: [a]}", "headers: expected a mapping of header names to values"},
      {"{kind: request, headers: {\"X A\": 1}}",
       "headers.X A: expected a header name (token characters)"},
      {"{kind: request, headers: {content-length: 3}}",
       "headers.content-length: set by the load engine (load.connections, the body's length)"},
      {"{kind: request, headers: {X-A: \"a\\r\\nB: b\"}}",
       "headers.X-A: no control characters in a value"},
      {"{kind: upload, body: abc}", "body: not with kind upload (its body is `bytes` long)"},
      {"{kind: request, status: 42}", "status: expected a status from 100 to 599, got \"42\""},
      {"{kind: request, status: ok}", "status: expected a positive number, got \"ok\""},
      {"{kind: request, expect_body: [a]}", "expect_body: expected a string"},
  };
  for (const auto& [kind, error] : cases)
    EXPECT_EQ(error_of(head + kind + "\n"), std::string("s.yaml:6: load.kinds[0].") + error);
}

TEST(Scenario, ExpandsPlaceholders) {
  EXPECT_EQ(expand("{a}-{b}/x", {{"a", "1"}, {"b", "2"}}), "1-2/x");
  EXPECT_THROW(expand("{nope}", {}), ScenarioError);
}

}  // namespace
}  // namespace zerodrop
