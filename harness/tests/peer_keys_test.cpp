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

std::string error_of(const std::string& text) {
  try {
    parse_scenario_text(text, "s.yaml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
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
  EXPECT_EQ(error_of(with("  files: nginx.conf\n")),
            "s.yaml:4: server.files: expected a list of {from, to}");
  EXPECT_EQ(error_of(with("  files:\n    - {to: \"{workdir}/a\"}\n")),
            "s.yaml:5: server.files[0].from: required");
  EXPECT_EQ(error_of(with("  files:\n    - {from: a, to: /etc/a}\n")),
            "s.yaml:5: server.files[0].to: must start with {workdir}/ (a run writes only there)");
  EXPECT_EQ(error_of(with("  files:\n    - {from: a, to: \"{workdir}/a\", mode: 1}\n")),
            "s.yaml:5: server.files[0].mode: unknown key");
  EXPECT_EQ(error_of(with("  requires: /usr/sbin/nginx\n")),
            "s.yaml:4: server.requires: expected a list of strings");
  EXPECT_EQ(error_of(with("  requires: [\"\"]\n")),
            "s.yaml:4: server.requires[0]: must not be empty");
  EXPECT_EQ(error_of(with("", "sidecars: x\n")),
            "s.yaml:4: sidecars: expected a list of argv lists");
  EXPECT_EQ(error_of(with("", "sidecars:\n  - []\n")), "s.yaml:5: sidecars[0]: must not be empty");
  EXPECT_EQ(error_of(with("", "sidecars:\n  - x\n")),
            "s.yaml:5: sidecars[0]: expected a list of strings");
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
