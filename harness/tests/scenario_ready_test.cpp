// server.ready / main_pid / env / cwd / pid_file / probe_path and listener: port: each key's
// good values, its default, and a bad value's error naming file, line and field.
#include <gtest/gtest.h>

#include "zerodrop/scenario.hpp"

namespace zerodrop {
namespace {

Scenario parse_server(const std::string& server_lines) {
  return parse_scenario_text("name: x\nserver:\n  command: [a]\n" + server_lines, "s.yaml");
}

std::string error_of(const std::string& server_lines) {
  try {
    parse_server(server_lines);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

TEST(ScenarioReady, EachSourceAndItsDefaultMainPid) {
  EXPECT_EQ(parse_server("").ready, Ready::kNotify);
  EXPECT_EQ(parse_server("").main_pid, MainPid::kNotify);
  EXPECT_EQ(parse_server("  ready: stdout\n").main_pid, MainPid::kNotify);  // as before
  const Scenario pf = parse_server("  ready: pid_file\n");
  EXPECT_EQ(pf.ready, Ready::kPidFile);
  EXPECT_EQ(pf.main_pid, MainPid::kPidFile);
  const Scenario http = parse_server("  ready: http\n");
  EXPECT_EQ(http.ready, Ready::kHttp);
  EXPECT_EQ(http.main_pid, MainPid::kFirst);
  const Scenario log = parse_server("  ready: {log: 'Listening at: \\S+ \\((\\d+)\\)'}\n");
  EXPECT_EQ(log.ready, Ready::kLog);
  EXPECT_EQ(log.ready_log_regex, "Listening at: \\S+ \\((\\d+)\\)");
  EXPECT_EQ(log.main_pid, MainPid::kLog);  // the regex names the pid
  EXPECT_EQ(parse_server("  ready: {log: 'Booted'}\n").main_pid, MainPid::kFirst);  // it does not
}

TEST(ScenarioReady, BadReadyNamesFileLineAndField) {
  EXPECT_EQ(error_of("  ready: pidfile\n"),
            "s.yaml:4: server.ready: expected one of notify|stdout|pid_file|http, got \"pidfile\"");
  EXPECT_EQ(error_of("  ready: {regex: x}\n"), "s.yaml:4: server.ready.regex: unknown key");
  EXPECT_EQ(error_of("  ready: {log: ''}\n"), "s.yaml:4: server.ready.log: must not be empty");
  const std::string bad = error_of("  ready: {log: 'Listening (at'}\n");
  EXPECT_EQ(bad.rfind("s.yaml:4: server.ready.log: not an ECMAScript regex", 0), 0u) << bad;
}

TEST(ScenarioReady, MainPid) {
  EXPECT_EQ(parse_server("  ready: http\n  main_pid: pid_file\n").main_pid, MainPid::kPidFile);
  EXPECT_EQ(parse_server("  ready: pid_file\n  main_pid: first\n").main_pid, MainPid::kFirst);
  EXPECT_EQ(parse_server("  main_pid: notify\n").main_pid, MainPid::kNotify);
  EXPECT_EQ(parse_server("  ready: {log: 'pid=(\\d+)'}\n  main_pid: log\n").main_pid,
            MainPid::kLog);
  EXPECT_EQ(error_of("  main_pid: leader\n"),
            "s.yaml:4: server.main_pid: expected one of notify|pid_file|log|first, got \"leader\"");
  EXPECT_EQ(error_of("  ready: pid_file\n  main_pid: log\n"),
            "s.yaml:5: server.main_pid: log needs ready: {log: REGEX} whose first capture group "
            "is the pid");
}

TEST(ScenarioReady, Env) {
  const Scenario s = parse_server("  env: {A_1: x, PORT: '{port}', N: 3}\n");
  EXPECT_EQ(s.env,
            (std::map<std::string, std::string>{{"A_1", "x"}, {"PORT", "{port}"}, {"N", "3"}}));
  EXPECT_TRUE(parse_server("").env.empty());
  EXPECT_EQ(error_of("  env: [A=1]\n"), "s.yaml:4: server.env: expected a mapping NAME: value");
  EXPECT_EQ(error_of("  env:\n    1A: x\n"),
            "s.yaml:5: server.env.1A: not a variable name (letters, digits, _; not a digit first)");
  EXPECT_EQ(error_of("  env:\n    A: [x]\n"), "s.yaml:5: server.env.A: expected a string");
  EXPECT_EQ(error_of("  env:\n    LISTEN_FDS: '1'\n"),
            "s.yaml:5: server.env.LISTEN_FDS: set by the harness");
  EXPECT_EQ(error_of("  env:\n    NOTIFY_SOCKET: x\n"),
            "s.yaml:5: server.env.NOTIFY_SOCKET: set by the harness");
}

TEST(ScenarioReady, CwdPidFileProbePath) {
  const Scenario d = parse_server("");
  EXPECT_EQ(d.cwd, "");  // the harness's own directory, as before
  EXPECT_EQ(d.pid_file, "{pid_file}");
  EXPECT_EQ(d.probe_path, "/healthz");
  const Scenario s =
      parse_server("  cwd: '{workdir}'\n  pid_file: run/x.pid\n  probe_path: /ready?full=1\n");
  EXPECT_EQ(s.cwd, "{workdir}");
  EXPECT_EQ(s.pid_file, "run/x.pid");
  EXPECT_EQ(s.probe_path, "/ready?full=1");
  EXPECT_EQ(error_of("  cwd: ''\n"), "s.yaml:4: server.cwd: must not be empty");
  EXPECT_EQ(error_of("  cwd: [a]\n"), "s.yaml:4: server.cwd: expected a string");
  EXPECT_EQ(error_of("  pid_file: /run/\n"),
            "s.yaml:4: server.pid_file: expected a file path, got \"/run/\"");
  EXPECT_EQ(error_of("  probe_path: healthz\n"),
            "s.yaml:4: server.probe_path: expected a path starting with /, got \"healthz\"");
}

TEST(ScenarioReady, ListenerPortWithAnyReadySource) {
  // Before: listener: port demanded ready: stdout (the port was learnt from the line).
  const Scenario s = parse_server("  listener: port\n  ready: pid_file\n");
  EXPECT_EQ(s.listener, Listener::kPort);
  EXPECT_EQ(parse_server("  listener: port\n").ready, Ready::kNotify);
  EXPECT_EQ(parse_server("  listener: listen_fds\n").listener, Listener::kListenFds);
  EXPECT_EQ(error_of("  listener: socket\n"),
            "s.yaml:4: server.listener: expected one of listen_fds|port, got \"socket\"");
}

}  // namespace
}  // namespace zerodrop
