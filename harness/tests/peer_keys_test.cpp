// The keys real servers need (scenarios/peers): server.files, server.requires, sidecars — how
// they parse, how a bad value is named (FILE:LINE: field: message), and how a config template
// is expanded. Their behaviour in a run: harness/tests/peer_keys/*.yaml (CMakeLists.txt).
#include <gtest/gtest.h>

#include "zerodrop/scenario.hpp"

namespace zerodrop {
namespace {

std::string with(const std::string& server_extra, const std::string& top_extra = "") {
  return "name: p\nserver:\n  command: [x]\n" + server_extra + top_extra;
}

// Parsing `text` must fail with exactly `message`.
void expect_error(const std::string& text, const std::string& message) {
  try {
    parse_scenario_text(text, "s.yaml");
    ADD_FAILURE() << "parsed, but expected: " << message;
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.what(), message);
  }
}

TEST(PeerKeys, ParseFilesRequiresAndSidecars) {
  const Scenario s =
      parse_scenario_text(with("  files:\n"
                               "    - {from: nginx.conf, to: \"{workdir}/nginx.conf\"}\n"
                               "  requires: [/usr/sbin/nginx, \"{go_endless}\"]\n",
                               "sidecars:\n  - [\"{server}\", --mode, shutdown]\n"),
                          "s.yaml");
  ASSERT_EQ(s.files.size(), 1u);
  EXPECT_EQ(s.files[0].from, "nginx.conf");
  EXPECT_EQ(s.files[0].to, "{workdir}/nginx.conf");
  EXPECT_EQ(s.files[0].line, 5);
  EXPECT_EQ(s.requirements, (std::vector<std::string>{"/usr/sbin/nginx", "{go_endless}"}));
  ASSERT_EQ(s.sidecars.size(), 1u);
  EXPECT_EQ(s.sidecars[0], (std::vector<std::string>{"{server}", "--mode", "shutdown"}));
}

TEST(PeerKeys, AbsentMeansNone) {
  const Scenario s = parse_scenario_text(with(""), "s.yaml");
  EXPECT_TRUE(s.files.empty());
  EXPECT_TRUE(s.requirements.empty());
  EXPECT_TRUE(s.sidecars.empty());
}

TEST(PeerKeys, BadValuesNameFileLineAndField) {
  expect_error(with("  files: nginx.conf\n"),
               "s.yaml:4: server.files: expected a list of {from, to}");
  expect_error(with("  files:\n    - {to: \"{workdir}/a\"}\n"),
               "s.yaml:5: server.files[0].from: required");
  expect_error(
      with("  files:\n    - {from: a, to: /etc/a}\n"),
      "s.yaml:5: server.files[0].to: must start with {workdir}/ (a run writes only there)");
  expect_error(with("  files:\n    - {from: a, to: \"{workdir}/a\", mode: 1}\n"),
               "s.yaml:5: server.files[0].mode: unknown key");
  expect_error(with("  requires: /usr/sbin/nginx\n"),
               "s.yaml:4: server.requires: expected a list of strings");
  expect_error(with("  requires: [\"\"]\n"), "s.yaml:4: server.requires[0]: must not be empty");
  expect_error(with("", "sidecars: x\n"), "s.yaml:4: sidecars: expected a list of argv lists");
  expect_error(with("", "sidecars:\n  - []\n"), "s.yaml:5: sidecars[0]: must not be empty");
  expect_error(with("", "sidecars:\n  - x\n"), "s.yaml:5: sidecars[0]: expected a list of strings");
}

TEST(PeerKeys, ConfigTemplateReplacesOnlyKnownPlaceholders) {
  const std::map<std::string, std::string> vars{{"port", "8080"}, {"workdir", "/tmp/w"}};
  // nginx blocks, a Caddy placeholder, a shell default and an unknown name stay as written.
  EXPECT_EQ(expand_known("events { worker_connections 64; }\n"
                         "listen 127.0.0.1:{port}; pid {workdir}/n.pid;\n"
                         "header X-Uri {http.request.uri} ${HOME:-x} {nope}{port}",
                         vars),
            "events { worker_connections 64; }\n"
            "listen 127.0.0.1:8080; pid /tmp/w/n.pid;\n"
            "header X-Uri {http.request.uri} ${HOME:-x} {nope}8080");
  EXPECT_EQ(expand_known("{{port}} {port", vars), "{8080} {port");
  EXPECT_EQ(expand_known("", vars), "");
}

}  // namespace
}  // namespace zerodrop
